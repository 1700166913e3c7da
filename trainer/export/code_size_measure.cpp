// code_size_measure.cpp: what counts as our code, and how it is measured (list, archive, compress, hash). Built
// twice: into the golf-code-size build tool (which runs it on the source tree at build time) and into the export
// library (for tests and for re-measuring a tree).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "code_size.h"
#include "sha256.h"

#if defined(GOLF_CODE_SIZE_LZMA)
#include <lzma.h>
#else
#include <zlib.h>
#endif

namespace golf::train_export {

// WHAT COUNTS. The challenge counts "the training code" (train_gpt.py: training, quantized export and the
// round-trip evaluation in one script; data preparation is a separate script and is not counted). Our equivalent
// is everything golf-train and golf-export are built from:
//   format/             the .golf writer and reader, quantizers, rANS, shard reader: export needs them
//   trainer/            the training core (cpu/, cuda/), data loaders (data/), the loop (train/), export (export/)
//   runtime/eval, model, kernels, tokenizer
//                       the post-quantization score is computed by the runtime (as the challenge's script
//                       re-evaluates its own dequantized weights); the tokenizer library is linked by the model
//   meson.build files of those directories and the top-level meson.build / meson_options.txt: the build recipe
// Not counted, because neither binary needs them: the developer tools and benchmarks (format/tools/, bench_*,
// golf-bench, golf-eval, golf-tokenize), golf-data's command-line front end (data preparation, like the
// challenge's uncounted tokenization script; the data library it shares with golf-train stays counted), the C API
// and demo/bindings (applications), tests/. Comments count too: the figure is honest, not minified.
const CodeSizeSpec& counted_code_spec() {
  static const CodeSizeSpec spec = {
      /*roots=*/{"format", "trainer", "runtime/eval", "runtime/model", "runtime/kernels", "runtime/tokenizer"},
      /*files=*/{"meson.build", "meson_options.txt"},
      /*extensions=*/{".h", ".hpp", ".c", ".cc", ".cpp", ".cu", ".cuh", ".inc"},
      /*names=*/{"meson.build"},
      /*exclude=*/
      {"format/tools/*", "*/bench_*", "runtime/model/golf_bench.cpp", "runtime/eval/golf_eval.cpp",
       "runtime/tokenizer/golf_tokenize.cpp", "trainer/data/golf_data.cpp", "trainer/data/cli.h",
       "trainer/data/*_command.cpp", "trainer/data/train_tokenizer.*"},
      /*description=*/
      "C++ sources and meson.build files of format/, trainer/, runtime/{eval,model,kernels,tokenizer} "
      "(without tools, benchmarks and golf-data's CLI)",
  };
  return spec;
}

namespace {

namespace fs = std::filesystem;

// '*' matches any run of characters, '/' included; everything else matches itself.
bool path_glob_match(const std::string& pattern, const std::string& path) {
  size_t p = 0, n = 0, star = std::string::npos, mark = 0;
  while (n < path.size()) {
    if (p < pattern.size() && pattern[p] == path[n]) { p++, n++; }
    else if (p < pattern.size() && pattern[p] == '*') { star = p++, mark = n; }
    else if (star != std::string::npos) { p = star + 1, n = ++mark; }
    else return false;
  }
  while (p < pattern.size() && pattern[p] == '*') p++;
  return p == pattern.size();
}

bool counts(const CodeSizeSpec& spec, const std::string& rel) {
  for (const std::string& g : spec.exclude)
    if (path_glob_match(g, rel)) return false;
  const std::string name = fs::path(rel).filename().string();
  for (const std::string& n : spec.names)
    if (name == n) return true;
  const std::string ext = fs::path(rel).extension().string();
  for (const std::string& e : spec.extensions)
    if (ext == e) return true;
  return false;
}

Status io_error(const std::string& what, const std::string& path, const std::error_code& ec) {
  return Status(StatusCode::io_error, path + ": " + what + (ec ? ": " + ec.message() : std::string()));
}

}  // namespace

Status list_code_files(const std::string& source_root, const CodeSizeSpec& spec, std::vector<CodeFile>* files,
                       std::vector<std::string>* dirs) {
  const fs::path root(source_root);
  std::error_code ec;
  files->clear();
  if (dirs) dirs->clear();
  for (const std::string& rel : spec.files) {
    const fs::path p = root / rel;
    if (!fs::is_regular_file(p, ec)) return io_error("counted file missing", p.string(), ec);
    files->push_back({rel, (uint64_t)fs::file_size(p, ec)});
    if (ec) return io_error("cannot stat", p.string(), ec);
  }
  for (const std::string& rel_root : spec.roots) {
    const fs::path dir = root / rel_root;
    // A root that does not exist yet (e.g. trainer/cuda before it is written) counts nothing; its parent is
    // listed as scanned so that creating it triggers a new measurement.
    if (!fs::is_directory(dir, ec)) {
      if (dirs) dirs->push_back(dir.parent_path().string());
      continue;
    }
    if (dirs) dirs->push_back(dir.string());
    fs::recursive_directory_iterator it(dir, fs::directory_options::none, ec), end;
    if (ec) return io_error("cannot list", dir.string(), ec);
    for (; it != end; it.increment(ec)) {
      if (ec) return io_error("cannot list", dir.string(), ec);
      const fs::directory_entry& e = *it;
      if (e.is_directory(ec)) {
        if (dirs) dirs->push_back(e.path().string());
        continue;
      }
      if (!e.is_regular_file(ec)) continue;
      const std::string rel = e.path().lexically_relative(root).generic_string();
      if (!counts(spec, rel)) continue;
      files->push_back({rel, (uint64_t)e.file_size(ec)});
      if (ec) return io_error("cannot stat", e.path().string(), ec);
    }
  }
  std::sort(files->begin(), files->end(), [](const CodeFile& a, const CodeFile& b) { return a.path < b.path; });
  // A file named both by `files` and by a root would count twice.
  files->erase(std::unique(files->begin(), files->end(),
                           [](const CodeFile& a, const CodeFile& b) { return a.path == b.path; }),
               files->end());
  if (dirs) std::sort(dirs->begin(), dirs->end());
  return Status::Ok();
}

Status build_code_archive(const std::string& source_root, std::vector<CodeFile>* files, std::string* archive) {
  archive->clear();
  for (CodeFile& f : *files) {
    const std::string path = (fs::path(source_root) / f.path).string();
    std::ifstream in(path, std::ios::binary);
    if (!in) return Status(StatusCode::io_error, path + ": cannot open");
    std::ostringstream content;
    content << in.rdbuf();
    const std::string bytes = content.str();
    f.bytes = bytes.size();
    *archive += f.path + "\n" + std::to_string(bytes.size()) + "\n" + bytes;
  }
  return Status::Ok();
}

const char* code_compressor_name() {
#if defined(GOLF_CODE_SIZE_LZMA)
  return "xz -9e (liblzma)";
#else
  return "zlib -9";
#endif
}

Status compress_code_archive(const std::string& archive, std::string* compressed) {
#if defined(GOLF_CODE_SIZE_LZMA)
  std::string out(lzma_stream_buffer_bound(archive.size()), '\0');
  size_t pos = 0;
  lzma_ret r = lzma_easy_buffer_encode(9 | LZMA_PRESET_EXTREME, LZMA_CHECK_CRC64, nullptr,
                                       (const uint8_t*)archive.data(), archive.size(), (uint8_t*)out.data(), &pos,
                                       out.size());
  if (r != LZMA_OK) return Status(StatusCode::out_of_memory, "liblzma failed with code " + std::to_string((int)r));
  out.resize(pos);
#else
  uLongf len = compressBound((uLong)archive.size());
  std::string out(len, '\0');
  int r = compress2((Bytef*)out.data(), &len, (const Bytef*)archive.data(), (uLong)archive.size(), 9);
  if (r != Z_OK) return Status(StatusCode::out_of_memory, "zlib failed with code " + std::to_string(r));
  out.resize(len);
#endif
  *compressed = std::move(out);
  return Status::Ok();
}

Status measure_code_size(const std::string& source_root, const CodeSizeSpec& spec, CodeSize* out,
                         std::vector<std::string>* dirs) {
  CodeSize r;
  r.compressor = code_compressor_name();
  r.description = spec.description;
  GOLF_RETURN_IF_ERROR(list_code_files(source_root, spec, &r.files, dirs));
  if (r.files.empty()) return Status(StatusCode::invalid_argument, source_root + ": no counted source files found");
  std::string archive, compressed;
  GOLF_RETURN_IF_ERROR(build_code_archive(source_root, &r.files, &archive));
  GOLF_RETURN_IF_ERROR(compress_code_archive(archive, &compressed));
  // Sizes from the bytes actually read (a file may have changed since it was listed).
  r.raw_bytes = 0;
  for (const CodeFile& f : r.files) r.raw_bytes += f.bytes;
  r.archive_bytes = archive.size();
  r.compressed_bytes = compressed.size();
  r.sha256 = data::sha256_hex(archive.data(), archive.size());
  *out = std::move(r);
  return Status::Ok();
}

}  // namespace golf::train_export
