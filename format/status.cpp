// status.cpp: names of status codes, for messages and the C API.
#include "status.h"

namespace golf {

const char* status_code_name(StatusCode code) {
  switch (code) {
    case StatusCode::ok: return "ok";
    case StatusCode::io_error: return "io_error";
    case StatusCode::bad_format: return "bad_format";
    case StatusCode::checksum_mismatch: return "checksum_mismatch";
    case StatusCode::unsupported: return "unsupported";
    case StatusCode::invalid_argument: return "invalid_argument";
    case StatusCode::out_of_memory: return "out_of_memory";
    case StatusCode::cancelled: return "cancelled";
  }
  return "unknown";
}

}  // namespace golf
