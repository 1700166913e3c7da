// quant.h: quantizers from fp32 to the .golf quantized dtypes (q8, q4, q2..q7; per row or per group, symmetric,
// f16 scales) with clipping by percentile or by k standard deviations, their dequantizers, and the error measures
// golf-pack reports. Output is the raw layout of SPEC.md §5.2, ready for GolfWriter.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "dtype.h"
#include "status.h"

namespace golf {

enum class ClipMethod : uint8_t {
  none = 0,        // clip at max |w| of the row or group
  percentile = 1,  // clip at the given percentile of |w| per row/group (linear interpolation, like torch.quantile)
  std_k = 2,       // clip at k times the standard deviation of the row/group (the records' SDClip)
};

struct QuantRecipe {
  Dtype dtype = Dtype::q8;
  uint32_t group_size = 0;  // 0 = one scale per row; else 32, 64, 128 (q4: 32 or 64)
  ClipMethod clip = ClipMethod::none;
  double clip_value = 0;    // percentile in (0, 100] or k > 0
  float scale_floor = 0;    // smallest scale; the challenge's q8 export uses 1/127
};

// Quantizes a tensor of shape dims (viewed as R x C, SPEC.md §5.1) into its raw layout. The scale of a row/group is
// clip/code_max rounded to f16; codes are round(clamp(w, -clip, clip)/scale), clamped to the dtype's range.
Status quantize(const float* w, const std::vector<uint64_t>& dims, const QuantRecipe& recipe,
                std::vector<uint8_t>* raw_out);

// The clip quantize uses for one row or group of n values: max |w|, the percentile of |w|, or k·std (clip_value as
// in QuantRecipe). For tests and reports. invalid_argument for NaN/inf values, or std_k with n < 2.
Status quant_clip(const float* w, size_t n, ClipMethod clip, double clip_value, float* clip_out);

// Decodes a raw layout of any dtype (float or quantized) to fp32; out holds layout.count values.
Status dequantize(Dtype dtype, const TensorLayout& layout, uint32_t group_size, const uint8_t* raw, float* out);

// One row of a quantized raw layout to fp32 (SPEC.md §5.2: code · f16 scale, q4 nibbles split per group): row_codes
// is the row's code bytes (cols, or cols / 2 for q4), row_scales its f16 scales (one per group, or one for the row
// when group_size is 0; any alignment). No checks and no allocation: for callers that validated the layout once
// (dequantize, the runtime's embedding lookup and head panels).
void dequantize_row(Dtype dtype, uint32_t group_size, uint64_t cols, const uint8_t* row_codes,
                    const uint8_t* row_scales, float* out);

// Checks the values of a quantized raw layout (SPEC.md §5.1): every int8-held code within the dtype's range (q4's
// 16 nibbles are all codes), every f16 scale finite and not negative (sign bit clear; 0 is allowed: it is what the
// quantizers write for an all-zero row or group). bad_format naming the first bad element; Ok for float dtypes.
Status check_quant_values(Dtype dtype, const TensorLayout& layout, const uint8_t* raw);

// Encodes fp32 values as f32/f16/bf16 raw bytes (n * element bytes).
Status encode_float(Dtype dtype, const float* in, size_t n, uint8_t* out);

// The codes of a quantized raw layout in logical element order, one int8 per element (unpacks q4), and back.
void codes_from_raw(Dtype dtype, const TensorLayout& layout, uint32_t group_size, const uint8_t* raw, int8_t* codes);
void codes_to_raw(Dtype dtype, const TensorLayout& layout, uint32_t group_size, const int8_t* codes, uint8_t* raw);

struct QuantError {
  double max_abs = 0;  // max |w - w'|
  double rel_rms = 0;  // sqrt(sum (w - w')^2 / sum w^2); 0 when w is all zero
};
QuantError quant_error(const float* ref, const float* approx, size_t n);

}  // namespace golf
