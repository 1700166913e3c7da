// kernels_neon_dotprod.cpp: the aarch64 path for CPUs with the dot-product extension (ARMv8.2 sdot: Cortex-A55/
// A76 and later, Apple M1, Graviton 2+), compiled with -march=armv8.2-a+dotprod. One block's int8 dot product is
// two sdot instructions; the rest is neon_kernels.inc.
#if defined(__aarch64__)
#include <arm_neon.h>

#include <type_traits>

#include "kernel_table.h"
#include "kernel_util.h"

namespace golf::kernels {
namespace {

// Exact int32 partial sums (4 lanes) of the 32-column block x · w.
inline int32x4_t block_dot(int8x16_t x0, int8x16_t x1, int8x16_t w0, int8x16_t w1) {
  return vdotq_s32(vdotq_s32(vdupq_n_s32(0), x0, w0), x1, w1);
}

}  // namespace

#include "neon_kernels.inc"

namespace {
const KernelTable kTable = {"neon_dotprod", 8, quantize_rows_neon, quant_matmul_neon, f32_matmul_neon,
                            nullptr};
}  // namespace

const KernelTable* kernel_table_neon_dotprod() { return &kTable; }

}  // namespace golf::kernels

#else  // not aarch64: the path does not exist in this build

#include "kernel_table.h"
namespace golf::kernels {
const KernelTable* kernel_table_neon_dotprod() { return nullptr; }
}  // namespace golf::kernels

#endif
