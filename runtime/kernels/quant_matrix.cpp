// quant_matrix.cpp: validation of QuantMatrix views and their construction from a raw-layout payload.
#include "quant_matrix.h"

#include "kernel_util.h"

#include <string>

namespace golf::kernels {
namespace {

bool is_int8_held(golf::Dtype d) {
  switch (d) {
    case golf::Dtype::q2: case golf::Dtype::q3: case golf::Dtype::q5: case golf::Dtype::q6:
    case golf::Dtype::q7: case golf::Dtype::q8:
      return true;
    default:
      return false;
  }
}

Status invalid(const std::string& m) { return Status(StatusCode::invalid_argument, "quant matrix: " + m); }

}  // namespace

Status check_quant_matrix(const QuantMatrix& w) {
  bool q4 = w.dtype == golf::Dtype::q4;
  if (!q4 && !is_int8_held(w.dtype)) return invalid("dtype is not a quantized dtype");
  if (w.rows < 1) return invalid("rows must be >= 1");
  if (w.cols < kActBlock || w.cols % kActBlock != 0) return invalid("cols must be a positive multiple of 32");
  uint32_t g = w.group_size;
  if (q4 ? (g != 32 && g != 64) : (g != 0 && g != 32 && g != 64 && g != 128))
    return invalid("group_size " + std::to_string(g) + " is not allowed for this dtype");
  if (g != 0 && w.cols % (int)g != 0) return invalid("group_size does not divide cols");
  if (w.codes == nullptr || w.scales == nullptr) return invalid("null codes or scales");
  return Status::Ok();
}

Status quant_matrix_from_raw(golf::Dtype dtype, int rows, int cols, uint32_t group_size, const uint8_t* raw,
                             QuantMatrix* out) {
  if (reinterpret_cast<uintptr_t>(raw) % 2 != 0) return invalid("raw payload is not 2-byte aligned");
  QuantMatrix w;
  w.dtype = dtype;
  w.rows = rows;
  w.cols = cols;
  w.group_size = group_size;
  w.codes = raw;
  if (raw != nullptr && rows > 0 && cols > 0) {
    size_t code_bytes = (size_t)rows * w_row_bytes(w);
    w.scales = reinterpret_cast<const uint16_t*>(raw + (code_bytes + 63) / 64 * 64);  // SPEC.md §5.2
  }
  GOLF_RETURN_IF_ERROR(check_quant_matrix(w));
  *out = w;
  return Status::Ok();
}

}  // namespace golf::kernels
