// golf_tokenize.cpp: golf-tokenize, the command-line front end of golf::Tokenizer. Encodes documents to ids (one
// line of space-separated ids per document), decodes id lines back to text, or shows the normalized text. The
// tokenizer parity test drives it; it also serves for quick looks at how a model splits text.
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "args.h"    // defines: golf::cli::ArgParser
#include "jsonl_text.h"  // defines: golf::cli::jsonl_text
#include "sha256.h"  // defines: to_hex
#include "spm_model.h"
#include "tokenizer.h"

namespace {

enum class Format { lines, jsonl, hex };
enum class Mode { encode, decode, normalize };

int fail(const std::string& message) {
  std::fprintf(stderr, "golf-tokenize: %s\n", message.c_str());
  return 1;
}

bool read_all(const std::string& path, std::string* out) {
  std::FILE* f = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  char buffer[1 << 16];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0) out->append(buffer, n);
  const bool ok = !std::ferror(f);
  if (f != stdin) std::fclose(f);
  return ok;
}

std::vector<std::string_view> split_lines(std::string_view all) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < all.size()) {
    size_t end = all.find('\n', start);
    if (end == std::string_view::npos) end = all.size();
    lines.push_back(all.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

bool from_hex(std::string_view hex, std::string* out) {
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  while (!hex.empty() && (hex.back() == '\r' || hex.back() == ' ')) hex.remove_suffix(1);
  if (hex.size() % 2) return false;
  out->clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = digit(hex[i]), lo = digit(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(char(hi * 16 + lo));
  }
  return true;
}

void write_text(const std::string& text, Format format, std::string* out) {
  if (format == Format::hex) {
    out->append(golf::data::to_hex(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  } else if (format == Format::jsonl) {
    nlohmann::json line = {{"text", text}};
    out->append(line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  } else {
    out->append(text);
  }
  out->push_back('\n');
}

}  // namespace

int main(int argc, char** argv) {
  std::string model_path, input_path = "-";
  bool jsonl = false, hex = false, decode = false, normalize = false, timing = false;
  std::vector<std::string> inputs;
  golf::cli::ArgParser args("golf-tokenize",
      "--model FILE.model [--jsonl | --hex] [--decode | --normalize] [--time] [INPUT]",
      "Reads documents from INPUT (default or '-': standard input) and tokenizes them with the SentencePiece model,\n"
      "giving exactly SentencePiece's ids (no BOS/EOS added). Encoding prints one line per document: its ids\n"
      "separated by single spaces (an empty line for no ids).");
  args.positionals("INPUT", &inputs, 0, 1, "the documents (default or '-': standard input)")
      .text("--model", &model_path, "SentencePiece .model file (BPE)").required()
      .flag("--jsonl", &jsonl, "documents are JSON lines; the \"text\" field of each is tokenized (blank lines\n"
            "skipped); with --decode/--normalize, output texts are written as {\"text\": ...} lines")
      .flag("--hex", &hex, "documents are lines of hex digits (any bytes, NUL and invalid UTF-8 included); with\n"
            "--decode/--normalize, output texts are written as hex lines\n"
            "(without --jsonl/--hex every input line is one document, its newline removed)")
      .flag("--decode", &decode, "input lines are space-separated ids; prints the decoded text of each line")
      .flag("--normalize", &normalize, "prints each document's normalized text (spaces shown as U+2581)")
      .flag("--time", &timing, "prints documents, bytes, tokens and encoding speed (MB/s) to standard error");
  if (int rc = args.parse(argc, argv); rc >= 0) return rc;
  if (jsonl && hex) return args.usage_error("--jsonl and --hex exclude each other");
  if (decode && normalize) return args.usage_error("--decode and --normalize exclude each other");
  if (!inputs.empty()) input_path = inputs[0];
  const Format format = jsonl ? Format::jsonl : hex ? Format::hex : Format::lines;
  const Mode mode = decode ? Mode::decode : normalize ? Mode::normalize : Mode::encode;

  golf::TokenizerData data;
  golf::Status status = golf::spm_model_load(model_path, &data);
  if (!status.ok()) return fail(status.message());
  golf::Tokenizer tokenizer;
  status = tokenizer.init(data);
  if (!status.ok()) return fail(model_path + ": " + status.message());

  std::string input;
  if (!read_all(input_path, &input)) return fail(input_path + ": cannot read");
  const std::vector<std::string_view> lines = split_lines(input);

  std::string out, document, text;
  std::vector<int32_t> ids;
  double seconds = 0;
  size_t documents = 0, bytes = 0, tokens = 0;
  for (size_t line_number = 1; line_number <= lines.size(); line_number++) {
    const std::string_view line = lines[line_number - 1];
    const std::string where = input_path + ":" + std::to_string(line_number) + ": ";
    if (mode == Mode::decode) {
      ids.clear();
      for (const char* p = line.data(); p < line.data() + line.size();) {
        while (p < line.data() + line.size() && (*p == ' ' || *p == '\r' || *p == '\t')) p++;
        if (p == line.data() + line.size()) break;
        int32_t id = 0;
        const auto parsed = std::from_chars(p, line.data() + line.size(), id);
        if (parsed.ec != std::errc()) return fail(where + "not an id list");
        ids.push_back(id);
        p = parsed.ptr;
      }
      status = tokenizer.decode(ids.data(), ids.size(), &text);
      if (!status.ok()) return fail(where + status.message());
      write_text(text, format, &out);
      continue;
    }
    // One document from this line.
    if (format == Format::jsonl) {
      if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      const std::string problem = golf::cli::jsonl_text(std::string(line), "text", &document);
      if (!problem.empty()) return fail(where + problem);
    } else if (format == Format::hex) {
      if (!from_hex(line, &document)) return fail(where + "not a line of hex digits");
    } else {
      document.assign(line.data(), line.size());
    }
    documents++;
    bytes += document.size();
    if (mode == Mode::normalize) {
      write_text(tokenizer.normalize(document), format, &out);
      continue;
    }
    const auto start = std::chrono::steady_clock::now();
    status = tokenizer.encode(document, &ids);
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!status.ok()) return fail(where + status.message());
    tokens += ids.size();
    char number[16];
    for (size_t k = 0; k < ids.size(); k++) {
      if (k) out.push_back(' ');
      out.append(number, size_t(std::to_chars(number, number + sizeof number, ids[k]).ptr - number));
    }
    out.push_back('\n');
    if (out.size() > (1 << 20)) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      out.clear();
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  if (std::fflush(stdout) != 0) return fail("cannot write the output");
  if (timing && mode == Mode::encode) {
    std::fprintf(stderr, "golf-tokenize: %zu documents, %zu bytes, %zu tokens, %.3f s encoding, %.2f MB/s\n",
                 documents, bytes, tokens, seconds, seconds > 0 ? bytes / seconds / 1e6 : 0.0);
  }
  return 0;
}
