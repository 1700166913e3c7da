// golf-code-size: the build step that measures our counted code (code_size.h). Run by meson at build time, it
// writes the header code_size_data.h with the figures and the file list, a depfile naming every file read and
// every directory scanned (so that editing, adding or removing a counted file re-measures), and optionally the
// archive itself (to check the figure with `xz -9e < archive | wc -c`).
//
// usage: golf-code-size --root SOURCE_DIR --header OUT.h [--depfile OUT.d] [--archive OUT.txt]
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "args.h"
#include "code_size.h"

namespace {

using golf::train_export::CodeSize;

// A C++ string literal of s.
std::string literal(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') out += '\\', out += (char)c;
    else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\%03o", c);
      out += buf;
    } else out += (char)c;
  }
  return out + "\"";
}

// Makefile syntax: spaces (and '#', '$') in paths are escaped.
std::string make_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == ' ' || c == '#') out += '\\';
    if (c == '$') out += '$';
    out += c;
  }
  return out;
}

std::string header_text(const CodeSize& s) {
  std::string h =
      "// code_size_data.h: generated at build time by golf-code-size (trainer/export/code_size_tool.cpp) from the\n"
      "// counted sources; do not edit.\n"
      "#pragma once\n\n"
      "namespace golf::train_export::generated {\n\n";
  h += "constexpr const char* kCompressor = " + literal(s.compressor) + ";\n";
  h += "constexpr const char* kDescription = " + literal(s.description) + ";\n";
  h += "constexpr unsigned long long kRawBytes = " + std::to_string(s.raw_bytes) + "ULL;\n";
  h += "constexpr unsigned long long kArchiveBytes = " + std::to_string(s.archive_bytes) + "ULL;\n";
  h += "constexpr unsigned long long kCompressedBytes = " + std::to_string(s.compressed_bytes) + "ULL;\n";
  h += "constexpr const char* kSha256 = " + literal(s.sha256) + ";\n\n";
  h += "struct File {\n  const char* path;\n  unsigned long long bytes;\n};\n";
  h += "constexpr File kFiles[] = {\n";
  for (const auto& f : s.files) h += "    {" + literal(f.path) + ", " + std::to_string(f.bytes) + "ULL},\n";
  h += "};\n\n}  // namespace golf::train_export::generated\n";
  return h;
}

bool write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  return (bool)out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string root, header, depfile, archive_path;
  golf::cli::ArgParser args("golf-code-size", "--root SOURCE_DIR --header OUT.h [--depfile OUT.d] [--archive OUT]",
                            "Measures the counted code of the source tree into a generated header (run by the build).");
  args.text("--root", &root, "the source tree", "SOURCE_DIR")
      .required()
      .text("--header", &header, "the header to write (code_size_data.h)", "OUT.h")
      .required()
      .text("--depfile", &depfile, "also write a Makefile depfile: every file read, every directory scanned", "OUT.d")
      .text("--archive", &archive_path, "also write the archive that is compressed, to check the figure", "OUT");
  if (int rc = args.parse(argc, argv); rc >= 0) return rc;
  CodeSize size;
  std::vector<std::string> dirs;
  golf::Status st = golf::train_export::measure_code_size(root, golf::train_export::counted_code_spec(), &size, &dirs);
  if (!st.ok()) { std::fprintf(stderr, "golf-code-size: %s\n", st.message().c_str()); return 1; }
  if (!write_text(header, header_text(size))) { std::fprintf(stderr, "golf-code-size: cannot write %s\n", header.c_str()); return 1; }
  if (!depfile.empty()) {
    std::string d = make_escape(header) + ":";
    for (const auto& f : size.files) d += " \\\n  " + make_escape(root + "/" + f.path);
    for (const std::string& dir : dirs) d += " \\\n  " + make_escape(dir);
    if (!write_text(depfile, d + "\n")) { std::fprintf(stderr, "golf-code-size: cannot write %s\n", depfile.c_str()); return 1; }
  }
  if (!archive_path.empty()) {
    std::string archive;
    st = golf::train_export::build_code_archive(root, &size.files, &archive);
    if (!st.ok() || !write_text(archive_path, archive)) {
      std::fprintf(stderr, "golf-code-size: cannot write %s\n", archive_path.c_str());
      return 1;
    }
  }
  std::printf("golf-code-size: %zu files, %llu bytes, %llu compressed (%s)\n", size.files.size(),
              (unsigned long long)size.raw_bytes, (unsigned long long)size.compressed_bytes, size.compressor.c_str());
  return 0;
}
