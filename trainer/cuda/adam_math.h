// adam_math.h: the per-element Adam update of adam.cu and its host-side scalars, in the operation order of
// train_cpu::adam_update (trainer/cpu/adam.cpp, itself torch.optim.Adam's single-tensor order): the fp32 kernel
// gives the CPU's bits. Host tests: tests/trainer/cuda/test_optimizer_math.cpp.
#pragma once
#include <cmath>
#include <cstdint>

#include "rows_math.h"  // defines: GOLF_HD, mul_rn, add_rn, sub_rn, div_rn, sqrt_rn

namespace golf::train_cuda {

// The scalars of one step, computed on the host: bias corrections in double (as Python floats in PyTorch), then
// used as fp32.
struct AdamScalars {
  float beta1 = 0, beta2 = 0, one_m_b1 = 0, one_m_b2 = 0, eps = 0;
  float bc2_sqrt = 0;  // √(1 − β2^t)
};
inline AdamScalars adam_scalars(float beta1, float beta2, float eps, int64_t t) {
  AdamScalars s;
  s.beta1 = beta1;
  s.beta2 = beta2;
  s.one_m_b1 = 1.0f - beta1;
  s.one_m_b2 = 1.0f - beta2;
  s.eps = eps;
  s.bc2_sqrt = (float)std::sqrt(1.0 - std::pow((double)beta2, (double)t));
  return s;
}
// lr / (1 − β1^t), per tensor (the learning rate differs between groups).
inline float adam_step_size(float lr, float beta1, int64_t t) {
  return (float)(lr / (1.0 - std::pow((double)beta1, (double)t)));
}

// m = β1·m + (1−β1)·g;  v = β2·v + (1−β2)·g·g;  p −= step_size · m / (√v / √(1−β2^t) + eps)
GOLF_HD void adam_element(float* p, float* m, float* v, float g, const AdamScalars& s, float step_size) {
  const float mi = add_rn(mul_rn(s.beta1, *m), mul_rn(s.one_m_b1, g));
  const float vi = add_rn(mul_rn(s.beta2, *v), mul_rn(mul_rn(s.one_m_b2, g), g));
  *m = mi;
  *v = vi;
  const float denom = add_rn(div_rn(sqrt_rn(vi), s.bc2_sqrt), s.eps);
  *p = sub_rn(*p, mul_rn(step_size, div_rn(mi, denom)));
}

}  // namespace golf::train_cuda
