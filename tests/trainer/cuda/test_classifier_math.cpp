// test_classifier_math.cpp: the softcapped cross-entropy kernels' arithmetic (trainer/cuda/classifier_math.h) in
// an emulation of their block (kClsThreads threads per row: partials in column order, warp butterflies, warps in
// order) and of the fixed-order loss sum, against train_cpu::softcap_cross_entropy_forward/backward, with and
// without the softcap, V = 1024 (the baseline), V below and off the block width. The CPU's exp is the runtime's
// exp_nonpositive and ours expf, so values agree to a few ulp, not bit for bit.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "cpu/layers.h"            // defines: train_cpu::softcap_cross_entropy_*
#include "cuda/classifier_math.h"  // defines: softcap_*, ce_*, kCls*
#include "rows_emulation.h"        // defines: butterfly_sum, normal, rel_error

using namespace golf::train_cuda;
using namespace golf::rows_test;
namespace tc = golf::train_cpu;

namespace {

// The block's reduction: per-thread values → each warp's butterfly → warps in order.
float block_sum(const std::vector<float>& per_thread) {
  float r = 0;
  for (int w = 0; w < kClsWarps; w++) {
    const float ws = butterfly_sum(std::vector<float>(per_thread.begin() + 32 * w, per_thread.begin() + 32 * w + 32));
    r = w == 0 ? ws : add_rn(r, ws);
  }
  return r;
}

// One row of the fused kernel: raw in, d raw out; returns lse, writes nll.
float emulate_row(float* x, int V, int target, float cap, float dloss, float* nll) {
  const float inv = softcap_inv(cap);
  std::vector<float> z(V), part(kClsThreads, -INFINITY);
  for (int v = 0; v < V; v++) {
    z[v] = softcap_value(x[v], cap, inv);
    part[v % kClsThreads] = std::max(part[v % kClsThreads], z[v]);
  }
  float m = part[0];
  for (float p : part) m = std::max(m, p);
  std::fill(part.begin(), part.end(), 0.0f);
  for (int v = 0; v < V; v++) part[v % kClsThreads] = add_rn(part[v % kClsThreads], ce_exp(z[v], m));
  const float lse = ce_lse(m, block_sum(part));
  *nll = ce_nll(lse, z[target]);
  for (int v = 0; v < V; v++) {
    float g = ce_grad(z[v], lse, cap, inv, dloss);
    if (v == target) g = sub_rn(g, ce_target_term(z[v], cap, dloss));
    x[v] = g;
  }
  return lse;
}

double emulate_loss(const std::vector<float>& nll) {
  std::vector<double> part(kClsLossThreads, 0.0);
  for (size_t i = 0; i < nll.size(); i++) part[i % kClsLossThreads] += (double)nll[i];
  double total = 0;
  for (double p : part) total += p;
  return total / nll.size();
}

TEST(ClassifierMath, FusedRowMatchesTheCpuForwardThenBackward) {
  for (int V : {1, 7, 255, 256, 1000, 1024})
    for (float cap : {0.0f, 30.0f}) {
      const int N = 37;
      std::vector<float> raw = normal((size_t)N * V, 1 + V, 8.0f);  // spread so the cap bends
      std::vector<int32_t> targets(N);
      std::mt19937 g(V);
      for (int32_t& t : targets) t = (int32_t)(g() % V);
      const float dloss = 1.0f / N;
      std::vector<float> cpu = raw, lse_cpu(N), nll_cpu(N);
      double loss_cpu = 0;
      tc::softcap_cross_entropy_forward(cpu.data(), lse_cpu.data(), nll_cpu.data(), &loss_cpu, targets.data(), N, V,
                                        cap);
      tc::softcap_cross_entropy_backward(cpu.data(), lse_cpu.data(), targets.data(), N, V, cap, dloss);
      std::vector<float> gpu = raw, lse_gpu(N), nll_gpu(N);
      for (int n = 0; n < N; n++)
        lse_gpu[n] = emulate_row(gpu.data() + (size_t)n * V, V, targets[n], cap, dloss, &nll_gpu[n]);
      EXPECT_LE(rel_error(lse_gpu, lse_cpu), 1e-6) << "V " << V << " cap " << cap;
      EXPECT_LE(rel_error(nll_gpu, nll_cpu), 1e-5) << "V " << V << " cap " << cap;
      if (V > 1) {
        EXPECT_LE(rel_error(gpu, cpu), 1e-5) << "V " << V << " cap " << cap;
      } else {
        // One logit: probability 1, the gradient is 0 up to rounding on both sides (the CPU's vectorised tanh may
        // differ from the scalar one by an ulp), so compare absolutely, against dloss.
        for (int n = 0; n < N; n++) EXPECT_LE(std::abs(gpu[n] - cpu[n]), 1e-6f * dloss) << n;
      }
      EXPECT_NEAR(emulate_loss(nll_gpu), loss_cpu, 1e-5 * std::abs(loss_cpu)) << "V " << V;
    }
}

TEST(ClassifierMath, GradientRowsSumToZero) {
  // Σ_v d raw_v / (1 − (z_v/cap)²) = dloss·(Σ softmax − 1) = 0: an independent check of the emulated kernel.
  const int V = 1024;
  std::vector<float> raw = normal(V, 5, 4.0f);
  float nll = 0;
  const float cap = 30.0f, inv = softcap_inv(cap);
  std::vector<float> z(V);
  for (int v = 0; v < V; v++) z[v] = softcap_value(raw[v], cap, inv);
  emulate_row(raw.data(), V, 17, cap, 1.0f, &nll);
  double s = 0;
  for (int v = 0; v < V; v++) s += raw[v] / (1.0 - (double)(z[v] / cap) * (z[v] / cap));
  EXPECT_NEAR(s, 0.0, 1e-5);
  EXPECT_GT(nll, 0.0f);
}

}  // namespace
