// classifier_math.h: the per-row arithmetic of the softcapped cross-entropy kernels (classifier.cu): the softcap
// z = cap·tanh(raw/cap), the row's logsumexp in fp32 with the block's fixed reduction order, the nll, and the
// gradient with respect to the raw logits, written as train_cpu::softcap_cross_entropy_forward/backward write them
// (the CPU's exp is the runtime's exp_nonpositive, the GPU's expf: both within a few ulp of e^x). Host tests:
// tests/trainer/cuda/test_classifier_math.cpp.
#pragma once
#include "rows_math.h"  // defines: GOLF_HD, mul_rn, add_rn, sub_rn

namespace golf::train_cuda {

// Threads per row (one block per row): thread t holds the columns t, t + kClsThreads, ...; its partial max / sum
// runs in that order, the warp adds its lanes by the butterfly (rows_math.h), and every thread then adds the
// kClsThreads / 32 warp sums in warp order.
constexpr int kClsThreads = 256;
constexpr int kClsWarps = kClsThreads / 32;
// The kernels keep the row's z in shared memory (fp32): V ≤ this, so that z and the reduction's few floats stay
// inside the 48 KiB a block gets without opting in.
constexpr int kClsMaxVocab = 12000;
// The loss kernel: one block of kClsLossThreads; thread t sums nll[t], nll[t + kClsLossThreads], ... in double,
// then thread 0 adds the threads' sums in order and divides by N.
constexpr int kClsLossThreads = 256;

GOLF_HD float softcap_inv(float cap) { return cap > 0.0f ? 1.0f / cap : 0.0f; }
// z = cap·tanh(raw·(1/cap)), or raw when cap = 0.
GOLF_HD float softcap_value(float raw, float cap, float inv) {
  return cap > 0.0f ? mul_rn(cap, tanhf(mul_rn(raw, inv))) : raw;
}
GOLF_HD float ce_exp(float z, float m) { return expf(sub_rn(z, m)); }
GOLF_HD float ce_lse(float m, float sum) { return add_rn(m, logf(sum)); }
GOLF_HD float ce_nll(float lse, float z_target) { return sub_rn(lse, z_target); }
// d raw of one logit without the one-hot term: softmax(z)·dloss·(1 − (z/cap)²) (the softcap's derivative), or
// softmax(z)·dloss when cap = 0.
GOLF_HD float ce_grad(float z, float lse, float cap, float inv, float dloss) {
  const float p = mul_rn(expf(sub_rn(z, lse)), dloss);
  if (!(cap > 0.0f)) return p;
  const float u = mul_rn(z, inv);
  return mul_rn(p, sub_rn(1.0f, mul_rn(u, u)));
}
// The one-hot term subtracted at the target: dloss·(1 − (z_t/cap)²) (the CPU divides here).
GOLF_HD float ce_target_term(float z_target, float cap, float dloss) {
  const float u = cap > 0.0f ? z_target / cap : 0.0f;
  return mul_rn(dloss, sub_rn(1.0f, mul_rn(u, u)));
}

}  // namespace golf::train_cuda
