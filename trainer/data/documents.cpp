// documents.cpp: streaming split of JSON-lines and plain-text corpora into documents (see documents.h).
#include "documents.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

namespace golf {
namespace data {
namespace {

// Large enough that read() calls are rare, small enough that memory stays flat on any input.
constexpr size_t kReadBlockBytes = size_t(4) << 20;

bool ends_with(const std::string& s, const char* suffix) {
  const size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

std::string_view strip_carriage_return(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

}  // namespace

InputFormat input_format_for(const std::string& path, bool doc_per_line) {
  if (ends_with(path, ".jsonl") || ends_with(path, ".json") || ends_with(path, ".ndjson")) return InputFormat::jsonl;
  return doc_per_line ? InputFormat::text_lines : InputFormat::text_paragraphs;
}

const char* input_format_name(InputFormat format) {
  switch (format) {
    case InputFormat::jsonl: return "jsonl";
    case InputFormat::text_paragraphs: return "text-paragraphs";
    case InputFormat::text_lines: return "text-lines";
  }
  return "?";
}

bool is_blank_line(std::string_view line) {
  for (char c : line) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\f' && c != '\v') return false;
  }
  return true;
}

DocumentReader::~DocumentReader() {
  if (fd_ >= 0) ::close(fd_);
}

Status DocumentReader::open(const std::string& path, InputFormat format) {
  if (fd_ >= 0) ::close(fd_);
  hasher_.reset();
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) {
    return Status(StatusCode::io_error, path + ": cannot open input: " + std::strerror(errno));
  }
  struct stat st;
  if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd_);
    fd_ = -1;
    return Status(StatusCode::io_error, path + ": not a regular file");
  }
  path_ = path;
  format_ = format;
  file_size_ = uint64_t(st.st_size);
  bytes_read_ = documents_ = line_number_ = 0;
  at_eof_ = false;
  pending_.clear();
  pending_pos_ = 0;
  paragraph_.clear();
  in_paragraph_ = false;
  sha256_hex_.clear();
  return Status::Ok();
}

Status DocumentReader::fill(bool* got_more) {
  *got_more = false;
  if (at_eof_) return Status::Ok();
  pending_.erase(0, pending_pos_);
  pending_pos_ = 0;
  const size_t old_size = pending_.size();
  pending_.resize(old_size + kReadBlockBytes);
  ssize_t n;
  do {
    n = ::read(fd_, &pending_[old_size], kReadBlockBytes);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    pending_.resize(old_size);
    return Status(StatusCode::io_error, path_ + ": read failed: " + std::strerror(errno));
  }
  pending_.resize(old_size + size_t(n));
  if (n == 0) {
    at_eof_ = true;
    sha256_hex_ = hasher_.hex_digest();
    return Status::Ok();
  }
  hasher_.update(pending_.data() + old_size, size_t(n));
  bytes_read_ += uint64_t(n);
  *got_more = true;
  return Status::Ok();
}

bool DocumentReader::take_line(std::string_view* line) {
  const size_t newline = pending_.find('\n', pending_pos_);
  if (newline == std::string::npos) return false;
  *line = std::string_view(pending_).substr(pending_pos_, newline - pending_pos_);
  pending_pos_ = newline + 1;
  line_number_++;
  return true;
}

void DocumentReader::emit(DocumentBatch* batch, std::string_view text, uint64_t line) {
  DocumentBatch::Span span;
  span.offset = batch->bytes.size();
  span.size = text.size();
  span.line = line;
  batch->bytes.append(text.data(), text.size());
  batch->docs.push_back(span);
  documents_++;
}

void DocumentReader::emit_paragraph(DocumentBatch* batch) {
  if (!in_paragraph_) return;
  emit(batch, paragraph_, paragraph_line_);
  paragraph_.clear();
  in_paragraph_ = false;
}

Status DocumentReader::read(size_t target_bytes, size_t max_docs, DocumentBatch* batch, bool* end) {
  *end = false;
  if (fd_ < 0) return Status(StatusCode::invalid_argument, "DocumentReader: read() before open()");
  const size_t first_doc = batch->docs.size(), first_byte = batch->bytes.size();
  for (;;) {
    if (batch->docs.size() - first_doc >= max_docs || batch->bytes.size() - first_byte >= target_bytes) {
      return Status::Ok();
    }
    std::string_view line;
    bool have_line = take_line(&line);
    if (!have_line) {
      bool got_more = false;
      GOLF_RETURN_IF_ERROR(fill(&got_more));
      if (got_more) continue;
      if (pending_pos_ < pending_.size()) {
        // The last line has no newline.
        line = std::string_view(pending_).substr(pending_pos_);
        pending_pos_ = pending_.size();
        line_number_++;
        have_line = true;
      }
    }
    if (!have_line) {
      emit_paragraph(batch);
      *end = !in_paragraph_;
      return Status::Ok();
    }
    if (format_ == InputFormat::jsonl) {
      if (!is_blank_line(line)) emit(batch, line, line_number_);
      continue;
    }
    line = strip_carriage_return(line);
    const bool blank = is_blank_line(line);
    if (format_ == InputFormat::text_lines) {
      if (!blank) emit(batch, line, line_number_);
    } else if (blank) {
      emit_paragraph(batch);
    } else {
      if (in_paragraph_) {
        paragraph_.push_back('\n');
      } else {
        in_paragraph_ = true;
        paragraph_line_ = line_number_;
      }
      paragraph_.append(line.data(), line.size());
    }
  }
}

Status DocumentReader::finish_hash() {
  if (fd_ < 0) return Status(StatusCode::invalid_argument, "DocumentReader: finish_hash() before open()");
  while (!at_eof_) {
    // Drop what is buffered: only the hash is wanted now.
    pending_.clear();
    pending_pos_ = 0;
    bool got_more = false;
    GOLF_RETURN_IF_ERROR(fill(&got_more));
  }
  pending_.clear();
  pending_pos_ = 0;
  return Status::Ok();
}

Status extract_text(std::string_view line, const std::string& field, const std::string& where, std::string* text) {
  nlohmann::json object;
  try {
    object = nlohmann::json::parse(line.begin(), line.end());
  } catch (const nlohmann::json::exception& e) {
    return Status(StatusCode::bad_format, where + ": not valid JSON (" + e.what() + "); each line of a .jsonl input "
                                                                                     "must be one JSON object");
  }
  if (!object.is_object()) {
    return Status(StatusCode::bad_format, where + ": the line is JSON but not an object");
  }
  const auto it = object.find(field);
  if (it == object.end()) {
    return Status(StatusCode::bad_format, where + ": the object has no \"" + field +
                                              "\" field (choose the field with --text-field)");
  }
  if (!it->is_string()) {
    return Status(StatusCode::bad_format, where + ": the \"" + field + "\" field is not a string");
  }
  *text = it->get_ref<const std::string&>();
  return Status::Ok();
}

}  // namespace data
}  // namespace golf
