// rms_norm_math.h: the per-row arithmetic of the weightless RMSNorm kernels (rms_norm.cu), as GOLF_HD functions
// the kernels call and tests/trainer/cuda/test_rows_math.cpp runs on the host against train_cpu::rms_norm_forward
// and rms_norm_backward. Statistics are summed in double, as the CPU twin does (products of floats are exact in
// double, so only the summation order differs: lanes then butterfly, rows_math.h).
#pragma once
#include "rows_math.h"  // defines: GOLF_HD, mul_rn, sub_rn, dadd_rn

namespace golf::train_cuda {

// One term of a row's sum of squares / dot product: exact in double.
GOLF_HD double rms_term(float a, float b) { return (double)a * (double)b; }
// rstd = 1 / sqrt(mean(x²) + eps), from the row's sum of squares (the CPU twin's expression and rounding).
GOLF_HD float rms_rstd(double sum_sq, int cols, float eps) { return 1.0f / sqrtf((float)(sum_sq / cols) + eps); }
// The backward's row term m = Σ dy·y / cols.
GOLF_HD float rms_mean_dot(double dot, int cols) { return (float)(dot / cols); }
// din = rstd·(dy − y·m), rounded as the CPU twin rounds it.
GOLF_HD float rms_backward_value(float dy, float y, float m, float rstd) {
  return mul_rn(rstd, sub_rn(dy, mul_rn(y, m)));
}

}  // namespace golf::train_cuda
