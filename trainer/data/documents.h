// documents.h: splits corpus files into documents, streaming (inputs can be far larger than memory), and hashes
// every byte read so the manifest can record each input's SHA-256.
//
// Formats, chosen by file name: `.jsonl`, `.json` and `.ndjson` are JSON lines, one document per non-blank line,
// its text in a string field ("text" by default); anything else is plain text, where a document is a run of
// non-blank lines joined by "\n" (paragraph blocks), or each non-blank line with doc_per_line. In plain text a
// trailing "\r" is removed from every line (CRLF files read like LF files) and a line is blank when it holds only
// spaces, tabs, "\r", "\f" or "\v".
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sha256.h"
#include "status.h"

namespace golf {
namespace data {

enum class InputFormat { jsonl, text_paragraphs, text_lines };
InputFormat input_format_for(const std::string& path, bool doc_per_line);
const char* input_format_name(InputFormat format);

// Documents stored back to back in one buffer: few allocations per thousands of documents.
struct DocumentBatch {
  struct Span {
    uint64_t offset = 0, size = 0;
    uint64_t line = 0;  // 1-based line of the document's start, for error messages
  };
  std::string bytes;
  std::vector<Span> docs;
  std::string_view doc(size_t i) const { return std::string_view(bytes).substr(docs[i].offset, docs[i].size); }
  void clear() {
    bytes.clear();
    docs.clear();
  }
};

class DocumentReader {
 public:
  DocumentReader() = default;
  ~DocumentReader();
  DocumentReader(const DocumentReader&) = delete;
  DocumentReader& operator=(const DocumentReader&) = delete;

  Status open(const std::string& path, InputFormat format);
  // Appends documents to *batch until it holds at least target_bytes bytes or max_docs documents, or the file ends
  // (then *end is true). For JSON lines a document is the raw line (extract_text() gets its text); for plain text
  // it is the text itself.
  Status read(size_t target_bytes, size_t max_docs, DocumentBatch* batch, bool* end);
  // Reads the rest of the file without splitting it, so that sha256_hex() covers the whole file even when the
  // caller stopped early (--max-docs).
  Status finish_hash();

  const std::string& path() const { return path_; }
  InputFormat format() const { return format_; }
  uint64_t file_size() const { return file_size_; }
  uint64_t bytes_read() const { return bytes_read_; }
  // Documents handed out so far.
  uint64_t documents() const { return documents_; }
  // The SHA-256 of the whole file; valid once read() has reported the end or finish_hash() has run.
  std::string sha256_hex() const { return sha256_hex_; }

 private:
  // Reads the next block of the file onto pending_; false at the end of the file.
  Status fill(bool* got_more);
  // Takes one complete line (without "\n") off pending_; false if no complete line is buffered.
  bool take_line(std::string_view* line);
  void emit(DocumentBatch* batch, std::string_view text, uint64_t line);
  void emit_paragraph(DocumentBatch* batch);

  std::string path_;
  InputFormat format_ = InputFormat::jsonl;
  int fd_ = -1;
  uint64_t file_size_ = 0, bytes_read_ = 0, documents_ = 0;
  uint64_t line_number_ = 0;  // lines taken so far
  bool at_eof_ = false;
  std::string pending_;       // bytes read but not yet split
  size_t pending_pos_ = 0;
  std::string paragraph_;     // the paragraph being gathered (plain text)
  uint64_t paragraph_line_ = 0;
  bool in_paragraph_ = false;
  Sha256 hasher_;
  std::string sha256_hex_;
};

// The text of a JSON-lines document: the string field `field` of the object on the line. `where` ("FILE:LINE")
// labels errors: not JSON, not an object, no such field, or not a string.
Status extract_text(std::string_view line, const std::string& field, const std::string& where, std::string* text);

// True when a plain-text line is blank (spaces, tabs, "\r", "\f", "\v" only).
bool is_blank_line(std::string_view line);

}  // namespace data
}  // namespace golf
