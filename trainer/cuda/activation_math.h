// activation_math.h: the MLP activation's per-element arithmetic (activation.cu): relu(x)² (slope 0) or
// leaky_relu(x, slope)², and its derivative, rounded as train_cpu::activation_forward/backward round them. Host
// tests: tests/trainer/cuda/test_activation_math.cpp.
#pragma once
#include "rows_math.h"  // defines: GOLF_HD, mul_rn

namespace golf::train_cuda {

// a(x)² with a(x) = x for x > 0, slope·x otherwise.
GOLF_HD float activation_value(float x, float slope) {
  const float a = x > 0.0f ? x : mul_rn(slope, x);
  return mul_rn(a, a);
}
// The derivative's negative-side factor 2·slope² (0 for relu²), computed once per launch.
GOLF_HD float activation_neg_factor(float slope) { return mul_rn(mul_rn(2.0f, slope), slope); }
// dout · 2·a(x)·a'(x): 2x for x > 0, neg·x otherwise.
GOLF_HD float activation_grad(float dout, float x, float neg) {
  return mul_rn(dout, x > 0.0f ? mul_rn(2.0f, x) : mul_rn(neg, x));
}

}  // namespace golf::train_cuda
