// Status: the error type of the golf libraries. Functions that can fail return a Status (or fill an out-param and
// return a Status); nothing in the libraries throws across its API, exits or aborts.
#pragma once
#include <string>
#include <utility>

namespace golf {

enum class StatusCode : int {
  ok = 0,
  io_error = 1,          // the OS refused: open, read, write, mmap, rename
  bad_format = 2,        // the bytes do not follow SPEC.md
  checksum_mismatch = 3, // the bytes follow the layout but a checksum disagrees
  unsupported = 4,       // valid, but needs a newer reader (version, dtype, codec, required key or section)
  invalid_argument = 5,  // the caller asked for something impossible
  out_of_memory = 6,
  cancelled = 7,         // stopped on request (Session::request_cancel) before it finished
};

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status Ok() { return Status(); }
  bool ok() const { return code_ == StatusCode::ok; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // Prefixes context, e.g. "model.golf: " + "section 'TENS': ..."; returns *this for chaining.
  Status& prefix(const std::string& context) {
    if (!ok()) message_ = context + message_;
    return *this;
  }

 private:
  StatusCode code_ = StatusCode::ok;
  std::string message_;
};

const char* status_code_name(StatusCode code);

}  // namespace golf

#define GOLF_RETURN_IF_ERROR(expr)          \
  do {                                      \
    ::golf::Status golf_status_ = (expr);   \
    if (!golf_status_.ok()) return golf_status_; \
  } while (0)
