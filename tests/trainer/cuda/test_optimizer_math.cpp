// test_optimizer_math.cpp: the optimizer kernels' arithmetic (trainer/cuda/adam_math.h, muon_momentum_math.h,
// weights_math.h) against the CPU: Adam over several steps bit for bit against train_cpu::adam_update; Muon's
// element steps (momentum, Nesterov, the fixed-order sum of squares, normalisation, scaled update) against
// train_cpu::muon_update with zero Newton–Schulz steps (which is exactly that composition); the EMA against the
// CPU backend's formula.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "cpu/adam.h"                 // defines: train_cpu::adam_update
#include "cpu/muon.h"                 // defines: train_cpu::muon_update, MuonScratch, kMuonNormEps
#include "cuda/adam_math.h"           // defines: adam_scalars, adam_step_size, adam_element
#include "cuda/muon_momentum_math.h"  // defines: muon_*, kMuonThreads
#include "cuda/weights_math.h"        // defines: ema_value
#include "rows_emulation.h"           // defines: butterfly_sum, normal, rel_error, bits_equal

using namespace golf::train_cuda;
using namespace golf::rows_test;
namespace tc = golf::train_cpu;

namespace {

TEST(OptimizerMath, AdamEqualsTheCpuBitForBitOverSteps) {
  for (size_t n : {(size_t)1, (size_t)1000, (size_t)20000}) {  // 20000: the CPU's OpenMP branch
    std::vector<float> p = normal(n, 1), m(n, 0.0f), v(n, 0.0f);
    std::vector<float> p2 = p, m2 = m, v2 = v;
    for (int64_t t = 1; t <= 5; t++) {
      const std::vector<float> g = normal(n, 10 + (uint32_t)t, t == 3 ? 1e-4f : 1.0f);
      const float lr = 0.05f / t;
      tc::adam_update(p.data(), m.data(), v.data(), g.data(), n, lr, 0.9f, 0.95f, 1e-8f, t);
      const AdamScalars s = adam_scalars(0.9f, 0.95f, 1e-8f, t);
      const float step = adam_step_size(lr, 0.9f, t);
      for (size_t i = 0; i < n; i++) adam_element(&p2[i], &m2[i], &v2[i], g[i], s, step);
      ASSERT_TRUE(bits_equal(p2, p)) << "n " << n << " step " << t;
      ASSERT_TRUE(bits_equal(m2, m));
      ASSERT_TRUE(bits_equal(v2, v));
    }
  }
}

// The kernels' sum of squares order (muon_momentum_math.h) on the host.
double emulate_sum_sq(const std::vector<float>& u) {
  const size_t n = u.size();
  const int blocks = muon_blocks(n);
  double total = 0;
  for (int b = 0; b < blocks; b++) {
    double block = 0;
    for (int w = 0; w < kMuonThreads / 32; w++) {
      std::vector<double> lanes(32, 0.0);
      for (int l = 0; l < 32; l++)
        for (size_t i = (size_t)b * kMuonThreads + w * 32 + l; i < n; i += (size_t)blocks * kMuonThreads)
          lanes[l] += (double)u[i] * u[i];
      const double ws = butterfly_sum(lanes);
      block = w == 0 ? ws : block + ws;
    }
    total = b == 0 ? block : total + block;
  }
  return total;
}

TEST(OptimizerMath, MuonElementStepsMatchTheCpuUpdateWithoutNewtonSchulz) {
  struct S {
    int rows, cols;
  };
  for (S s : {S{1, 1}, S{7, 5}, S{64, 512}, S{512, 64}, S{300, 301}}) {
    const size_t n = (size_t)s.rows * s.cols;
    const std::vector<float> grad = normal(n, 20), buf0 = normal(n, 21), param0 = normal(n, 22);
    const float lr = 0.02f, mu = 0.95f;
    std::vector<float> p_cpu = param0, b_cpu = buf0;
    tc::MuonScratch scratch;
    ASSERT_TRUE(tc::muon_scratch_init(&scratch, n, std::min(s.rows, s.cols)).ok());
    tc::muon_update(p_cpu.data(), b_cpu.data(), grad.data(), s.rows, s.cols, lr, mu, 0, &scratch);

    std::vector<float> p_gpu = param0, b_gpu = buf0, u(n);
    for (size_t i = 0; i < n; i++) u[i] = muon_nesterov_element(&b_gpu[i], grad[i], mu);
    const float inv = muon_inv_norm(emulate_sum_sq(u));
    const float step = muon_step_scale(lr, s.rows, s.cols);
    for (size_t i = 0; i < n; i++) p_gpu[i] = muon_apply_element(p_gpu[i], step, mul_rn(u[i], inv));
    EXPECT_TRUE(bits_equal(b_gpu, b_cpu)) << s.rows << "x" << s.cols;
    // Only the order of the double sum of squares differs: equal unless the float norm rounds the other way.
    EXPECT_LE(rel_error(p_gpu, p_cpu), 1e-7) << s.rows << "x" << s.cols;
  }
}

TEST(OptimizerMath, EmaFollowsTheCpuBackendFormula) {
  // The CPU backend's ema_update (trainer/train/cpu_backend.cpp): ema = keep·ema + take·param, keep = d,
  // take = 1 − d, in fp32. Written out here because that function lives in the training loop's library.
  const std::vector<float> param = normal(999, 30), ema0 = normal(999, 31);
  for (float d : {0.0f, 0.5f, 0.999f}) {
    std::vector<float> want = ema0, got = ema0;
    const float keep = d, take = 1.0f - d;
    for (size_t i = 0; i < want.size(); i++) want[i] = keep * want[i] + take * param[i];
    for (size_t i = 0; i < got.size(); i++) got[i] = ema_value(got[i], param[i], d, 1.0f - d);
    EXPECT_TRUE(bits_equal(got, want)) << d;
  }
}

}  // namespace
