// rope_math.h: the arithmetic of the rotary-embedding and q-gain kernels (rope.cu): the NeoX half-split rotation
// of one pair (i, i + rd/2) of a head's first rd dims, the per-head gain, and the order of q_gain's gradient sum,
// each rounded as train_cpu::rope_forward/backward and head_gain_forward/backward round them. Host tests:
// tests/trainer/cuda/test_rope_math.cpp.
#pragma once
#include "rows_math.h"  // defines: GOLF_HD, mul_rn, add_rn

namespace golf::train_cuda {

// sign +1: the forward rotation y1 = x1·cos + x2·sin, y2 = −x1·sin + x2·cos; sign −1: its transpose (the backward).
GOLF_HD void rope_pair(float x1, float x2, float c, float s, float sign, float* y1, float* y2) {
  const float si = mul_rn(sign, s);
  *y1 = add_rn(mul_rn(x1, c), mul_rn(x2, si));
  *y2 = add_rn(mul_rn(-x1, si), mul_rn(x2, c));
}

// Thread p of a head (rope.cu) handles pair p (dims p and p + rd/2) when p < rd/2, else copies dim rd + p − rd/2:
// so a head needs rd/2 + (hd − rd) threads and no two threads touch the same element (in-place safe).
GOLF_HD int rope_threads_per_head(int hd, int rd) { return rd / 2 + (hd - rd); }

// Element j of the rotated head row x (the fused QK-norm kernel's view, qk_norm_rope.cu): the first or second
// member of its pair, or x[j] itself past rd; cos_row, sin_row: the tables' row for this position.
GOLF_HD float rope_element(const float* x, int j, int half, int rd, const float* cos_row, const float* sin_row,
                           float sign) {
  float y1, y2;
  if (j < half) {
    rope_pair(x[j], x[j + half], cos_row[j], sin_row[j], sign, &y1, &y2);
    return y1;
  }
  if (j < rd) {
    rope_pair(x[j - half], x[j], cos_row[j - half], sin_row[j - half], sign, &y1, &y2);
    return y2;
  }
  return x[j];
}

// out = in·gain
GOLF_HD float head_gain_value(float x, float gain) { return mul_rn(x, gain); }

}  // namespace golf::train_cuda
