// rows_math.h: what the arithmetic of the row and element kernels (norms, embedding, residuals, RoPE, activations,
// cross-entropy, optimizers) shares, as GOLF_HD code: float operations that are rounded exactly as written on both
// sides (nvcc would otherwise contract a·b + c into one fused multiply-add, which rounds once where the CPU twin
// rounds twice, so the fp32 kernels could not equal the CPU bit for bit), and the fixed reduction orders that the
// kernels use and the host tests emulate. Includes only device_math.h (no CUDA header).
#pragma once
#include "device_math.h"  // defines: GOLF_HD

namespace golf::train_cuda {

// a·b, a + b, a − b, a / b, √a rounded once each (correctly rounded) (never fused), on the device as on the host (the
// host build is ISO C++17, where GCC does not contract).
GOLF_HD float mul_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fmul_rn(a, b);
#else
  return a * b;
#endif
}
GOLF_HD float add_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fadd_rn(a, b);
#else
  return a + b;
#endif
}
GOLF_HD float sub_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fsub_rn(a, b);
#else
  return a - b;
#endif
}
GOLF_HD float div_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fdiv_rn(a, b);
#else
  return a / b;
#endif
}
GOLF_HD float sqrt_rn(float a) {
#if defined(__CUDA_ARCH__)
  return __fsqrt_rn(a);
#else
  return std::sqrt(a);
#endif
}
GOLF_HD double dmul_rn(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dmul_rn(a, b);
#else
  return a * b;
#endif
}
GOLF_HD double dadd_rn(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dadd_rn(a, b);
#else
  return a + b;
#endif
}

// ---- fixed reduction orders ----------------------------------------------------------------------------------------
// Row statistics (norm sums of squares, dot products): one warp per row; lane l sums the columns l, l + 32, ... in
// increasing order, then the 32 partial sums are added by the butterfly of __shfl_xor_sync with offsets 16, 8, 4,
// 2, 1 (after each step lane l holds v[l] + v[l ^ off]; both lanes of a pair compute the same sum, addition being
// commutative). The host tests emulate exactly this order.
constexpr int kRowLanes = 32;

// Column sums over many rows (per-channel parameter gradients): stage 1 sums each column over chunks of
// kColsumChunkRows consecutive rows, in row order, in double; stage 2 adds the chunks' sums in chunk order and then
// adds the total, rounded to float, into the fp32 gradient. No atomics: the same bits every run.
constexpr int kColsumChunkRows = 128;
GOLF_HD int colsum_chunks(int rows) { return (rows + kColsumChunkRows - 1) / kColsumChunkRows; }

}  // namespace golf::train_cuda
