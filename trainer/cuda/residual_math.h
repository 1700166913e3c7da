// residual_math.h: the per-element arithmetic of the residual kernels (residual.cu): resid_mix, the scaled residual
// branches (attn_scale, mlp_scale, the U-Net skip weights) and their backward, each rounded exactly as the CPU twin
// in trainer/cpu/layers.cpp rounds it, so the fp32 kernels equal the CPU bit for bit; the per-channel gradients use
// the two-stage column sum of rows_math.h. Host tests: tests/trainer/cuda/test_residual_math.cpp.
#pragma once
#include "rows_math.h"  // defines: GOLF_HD, mul_rn, add_rn, kColsumChunkRows

namespace golf::train_cuda {

// out = mix0·x + mix1·x0
GOLF_HD float resid_mix_value(float mix0, float x, float mix1, float x0) {
  return add_rn(mul_rn(mix0, x), mul_rn(mix1, x0));
}
// out = x + scale·y
GOLF_HD float scaled_add_value(float x, float scale, float y) { return add_rn(x, mul_rn(scale, y)); }
// A gradient scaled per channel: g·scale (dx of resid_mix, dy of scaled_add) ...
GOLF_HD float channel_scale_grad(float g, float scale) { return mul_rn(g, scale); }
// ... and the same added into an existing gradient (dx0 of resid_mix, dy with accumulate_dy).
GOLF_HD float channel_scale_grad_add(float acc, float g, float scale) { return add_rn(acc, mul_rn(g, scale)); }
// One term of a per-channel parameter gradient Σ_rows a·b: exact in double.
GOLF_HD double colsum_term(float a, float b) { return (double)a * (double)b; }
// The end of a column sum: the fp32 gradient plus the double total rounded to float (the CPU's `acc += (float)s`).
GOLF_HD float colsum_finish(float acc, double total) { return add_rn(acc, (float)total); }

}  // namespace golf::train_cuda
