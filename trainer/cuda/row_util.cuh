// row_util.cuh: device-side helpers of the row and element kernels (rms_norm.cu, encoder.cu, residual.cu, ...):
// activations of type T read and written as float, the warp butterfly sum in the order rows_math.h documents, and
// the launchers' argument checks. Included by .cu files only.
#pragma once
#include <cstdint>
#include <string>

#include "cuda_common.h"  // defines: bf16, Status, ceil_div
#include "rows_math.h"    // defines: kRowLanes

namespace golf::train_cuda {

__device__ __forceinline__ float to_float(float x) { return x; }
__device__ __forceinline__ float to_float(bf16 x) { return __bfloat162float(x); }
template <typename T>
__device__ __forceinline__ T from_float(float x);
template <>
__device__ __forceinline__ float from_float<float>(float x) {
  return x;
}
template <>
__device__ __forceinline__ bf16 from_float<bf16>(float x) {
  return __float2bfloat16_rn(x);
}

// Σ over the warp's lanes in the butterfly order of rows_math.h; every lane gets the same value.
__device__ __forceinline__ double warp_sum(double v) {
#pragma unroll
  for (int off = kRowLanes / 2; off > 0; off /= 2) v = dadd_rn(v, __shfl_xor_sync(0xffffffffu, v, off));
  return v;
}
__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int off = kRowLanes / 2; off > 0; off /= 2) v = add_rn(v, __shfl_xor_sync(0xffffffffu, v, off));
  return v;
}
__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
  for (int off = kRowLanes / 2; off > 0; off /= 2) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, off));
  return v;
}

// invalid_argument "<fn>: <why>".
inline Status bad_launch(const char* fn, const std::string& why) {
  return Status(StatusCode::invalid_argument, std::string(fn) + ": " + why);
}
// Grid-stride launch size for n elements with `threads` per block (capped: each thread loops).
inline unsigned elementwise_blocks(int64_t n, int threads) {
  const int64_t b = ceil_div(n, threads);
  return (unsigned)(b < 1 ? 1 : (b > 65536 * 8 ? 65536 * 8 : b));
}

}  // namespace golf::train_cuda
