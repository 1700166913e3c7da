// code_size.h: the "code bytes" of our artifact. The challenge counts the training script's bytes next to the
// compressed model (challenge.md §0, §9 item 10); for this C++ port we count the sources that golf-train and
// golf-export are built from, compressed with a standard compressor. The figure is measured at build time (the
// golf-code-size tool run by a meson custom_target, code_size_tool.cpp) and compiled into the binaries, so an
// installed golf-train knows it without the source tree. What counts, and why, is counted_code_spec() in
// code_size_measure.cpp.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "status.h"

namespace golf::train_export {

// Which files of the source tree count: every regular file under `roots` (recursively) whose name has one of
// `extensions` or is one of `names`, plus the top-level `files`, minus paths matching an `exclude` glob ('*'
// matches any characters, '/' included). Paths are relative to the source root, '/'-separated.
struct CodeSizeSpec {
  std::vector<std::string> roots;
  std::vector<std::string> files;
  std::vector<std::string> extensions;  // ".cpp", ".h", ...
  std::vector<std::string> names;       // whole file names that count in any root, e.g. "meson.build"
  std::vector<std::string> exclude;
  std::string description;              // one line: what counts
};
const CodeSizeSpec& counted_code_spec();

struct CodeFile {
  std::string path;    // relative to the source root
  uint64_t bytes = 0;
};

struct CodeSize {
  std::string compressor;         // e.g. "xz -9e (liblzma)"
  std::string description;        // CodeSizeSpec::description
  uint64_t raw_bytes = 0;         // sum of the files' bytes
  uint64_t archive_bytes = 0;     // the concatenation that is compressed (paths + contents)
  uint64_t compressed_bytes = 0;  // THE code bytes of the artifact
  std::string sha256;             // of the archive: identifies the counted code
  std::vector<CodeFile> files;    // sorted by path
};

// The files the spec selects under source_root, sorted; `dirs` (optional) receives every directory scanned (a
// build step lists them as dependencies so that adding a file re-measures).
Status list_code_files(const std::string& source_root, const CodeSizeSpec& spec, std::vector<CodeFile>* files,
                       std::vector<std::string>* dirs = nullptr);
// The archive: for each file in order, "<path>\n<decimal size>\n<contents>". A reader can split it again, and
// `xz -9e` of it gives compressed_bytes. Each file's `bytes` is set to what was read.
Status build_code_archive(const std::string& source_root, std::vector<CodeFile>* files, std::string* archive);
// Compresses with the build's compressor (xz -9e through liblzma when found at configure time, else zlib level 9).
Status compress_code_archive(const std::string& archive, std::string* compressed);
const char* code_compressor_name();
// All of the above: lists, archives, compresses and hashes.
Status measure_code_size(const std::string& source_root, const CodeSizeSpec& spec, CodeSize* out,
                         std::vector<std::string>* dirs = nullptr);

// The figure measured when this binary was built (the generated header), for the counted spec.
const CodeSize& counted_code_size();

}  // namespace golf::train_export
