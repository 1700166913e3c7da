// muon_momentum_math.h: the element arithmetic of Muon's first and last steps (muon_momentum.cu), in the order of
// train_cpu::muon_update (trainer/cpu/muon.cpp): momentum, Nesterov, the sum of squares (double, in the fixed
// order below), the Frobenius normalisation, and the scaled update of the master weights. Newton–Schulz in
// between is the GEMM side's (cuBLASLt). Host tests: tests/trainer/cuda/test_optimizer_math.cpp.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>

#include "rows_math.h"  // defines: GOLF_HD, mul_rn, add_rn, sub_rn, div_rn, sqrt_rn, kRowLanes

namespace golf::train_cuda {

// The Frobenius norm's eps (train_cpu::kMuonNormEps).
constexpr float kMuonNormEpsCuda = 1e-7f;

// Sum of squares: kMuonThreads threads per block and muon_blocks(n) blocks; thread (b, t) takes the elements
// b·kMuonThreads + t + k·blocks·kMuonThreads in increasing k, in double; each warp adds its lanes by the butterfly,
// the block adds its warps in order into partial[b], and the normalisation adds partial[0..blocks) in order.
constexpr int kMuonThreads = 256;
constexpr int kMuonMaxBlocks = 512;
GOLF_HD int muon_blocks(size_t n) {
  const size_t b = (n + kMuonThreads * 4 - 1) / (kMuonThreads * 4);
  return b < 1 ? 1 : (b > (size_t)kMuonMaxBlocks ? kMuonMaxBlocks : (int)b);
}

// buf = μ·buf + g;  returns u = g + μ·buf (Nesterov).
GOLF_HD float muon_nesterov_element(float* buf, float g, float momentum) {
  const float b = add_rn(mul_rn(momentum, *buf), g);
  *buf = b;
  return add_rn(g, mul_rn(momentum, b));
}
// 1 / (‖u‖_F + eps) from the double sum of squares (the CPU's roundings).
GOLF_HD float muon_inv_norm(double sum_sq) { return div_rn(1.0f, add_rn((float)sqrt(sum_sq), kMuonNormEpsCuda)); }
// lr·√max(1, rows/cols), on the host.
inline float muon_step_scale(float lr, int rows, int cols) {
  return lr * std::sqrt(std::max(1.0f, (float)rows / (float)cols));
}
// param −= step·X
GOLF_HD float muon_apply_element(float param, float step, float x) { return sub_rn(param, mul_rn(step, x)); }

}  // namespace golf::train_cuda
