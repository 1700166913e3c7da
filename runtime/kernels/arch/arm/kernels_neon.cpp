// kernels_neon.cpp: the aarch64 path for CPUs without the dot-product extension (Cortex-A53/A72, Raspberry Pi 3
// and 4), plain Advanced SIMD. One block's int8 dot product is widening multiplies to int16 (two products per
// lane, at most 2 · 127² — no overflow) and pairwise accumulation to int32; the rest is neon_kernels.inc.
#if defined(__aarch64__)
#include <arm_neon.h>

#include <type_traits>

#include "kernel_table.h"
#include "kernel_util.h"

namespace golf::kernels {
namespace {

// Exact int32 partial sums (4 lanes) of the 32-column block x · w.
inline int32x4_t block_dot(int8x16_t x0, int8x16_t x1, int8x16_t w0, int8x16_t w1) {
  int16x8_t p0 = vmlal_high_s8(vmull_s8(vget_low_s8(x0), vget_low_s8(w0)), x0, w0);
  int16x8_t p1 = vmlal_high_s8(vmull_s8(vget_low_s8(x1), vget_low_s8(w1)), x1, w1);
  return vpadalq_s16(vpaddlq_s16(p0), p1);
}

}  // namespace

#include "neon_kernels.inc"

namespace {
const KernelTable kTable = {"neon", 8, quantize_rows_neon, quant_matmul_neon, f32_matmul_neon, nullptr};
}  // namespace

const KernelTable* kernel_table_neon() { return &kTable; }

}  // namespace golf::kernels

#else  // not aarch64: the path does not exist in this build

#include "kernel_table.h"
namespace golf::kernels {
const KernelTable* kernel_table_neon() { return nullptr; }
}  // namespace golf::kernels

#endif
