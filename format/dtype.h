// dtype.h: the element types and codecs of .golf tensors (SPEC.md §5.1, §6), and the raw-layout arithmetic that
// every reader, writer and kernel shares: rows, columns, groups, code bytes, scale offsets.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "status.h"

namespace golf {

enum class Dtype : uint8_t {
  f32 = 0x01,
  f16 = 0x02,
  bf16 = 0x03,
  q2 = 0x12,
  q3 = 0x13,
  q4 = 0x14,  // two 4-bit codes per byte
  q5 = 0x15,
  q6 = 0x16,
  q7 = 0x17,
  q8 = 0x18,
};

enum class Codec : uint8_t { raw = 0, rans = 1 };

constexpr uint8_t kScaleDtypeNone = 0;
constexpr uint8_t kScaleDtypeF16 = 2;

bool dtype_is_known(uint8_t code);
bool dtype_is_quantized(Dtype d);
inline bool dtype_is_float(Dtype d) { return !dtype_is_quantized(d); }
int dtype_bits(Dtype d);            // 32/16/16 for floats, N for qN
int dtype_float_bytes(Dtype d);     // 4/2/2 for floats, 0 for quantized
int dtype_code_max(Dtype d);        // largest code magnitude the quantizers write: 2^(N-1)-1 (q4: 7); 0 for floats
int dtype_code_min(Dtype d);        // smallest code a reader accepts: -(2^(N-1)-1), q4: -8
const char* dtype_name(Dtype d);    // "f32", "q8", ...
bool dtype_from_name(const std::string& name, Dtype* out);
const char* codec_name(Codec c);    // "raw", "rans"
bool codec_from_name(const std::string& name, Codec* out);
Dtype dtype_q(int bits);            // q2..q8 for bits 2..8

// The R x C matrix view of a tensor and its quantization layout (SPEC.md §5.1-5.2).
struct TensorLayout {
  uint64_t count = 0;        // elements
  uint64_t rows = 0;         // R
  uint64_t cols = 0;         // C
  uint64_t n_groups = 0;     // scales per row (quantized only)
  uint64_t code_bytes = 0;   // bytes of the codes block (quantized) or of all elements (float)
  uint64_t scales_offset = 0;// align64(code_bytes) for quantized
  uint64_t scale_count = 0;  // rows * n_groups
  uint64_t raw_size = 0;     // bytes of the whole raw layout
};

// Validates dtype/shape/group_size against SPEC.md and computes the layout, overflow-safe. The message says what
// is wrong without naming the tensor (callers prefix it).
Status tensor_layout(Dtype dtype, const std::vector<uint64_t>& dims, uint32_t group_size, TensorLayout* out);

}  // namespace golf
