// test_residual_math.cpp: the residual kernels' arithmetic (trainer/cuda/residual_math.h) in an emulation of their
// loops (element kernels; the two-stage column sums of rows_math.h), against train_cpu::resid_mix_*,
// scaled_add_* and colsum_mul_add on odd shapes: the element outputs must equal the CPU's bit for bit (same
// roundings), the per-channel gradients agree to the last bit or two (only the order of the double sums differs).
#include <gtest/gtest.h>

#include <vector>

#include "cpu/layers.h"          // defines: train_cpu::resid_mix_*, scaled_add_*, colsum_mul_add
#include "cuda/residual_math.h"  // defines: resid_mix_value, scaled_add_value, channel_scale_grad*, colsum_*
#include "cuda/rms_norm_math.h"  // defines: rms_term, rms_rstd
#include "rows_emulation.h"      // defines: chunked_column_sum, normal, rel_error, bits_equal

using namespace golf::train_cuda;
using namespace golf::rows_test;
namespace tc = golf::train_cpu;

namespace {

// colsum_mul_add as the kernels compute it.
void emulate_colsum(std::vector<float>* acc, size_t off, const std::vector<float>& a, const std::vector<float>& b,
                    int rows, int cols) {
  for (int c = 0; c < cols; c++) {
    const double s =
        chunked_column_sum(rows, [&](int r) { return colsum_term(a[(size_t)r * cols + c], b[(size_t)r * cols + c]); });
    (*acc)[off + c] = colsum_finish((*acc)[off + c], s);
  }
}

struct Shape {
  int N, d;
};
const Shape kShapes[] = {{1, 1}, {5, 7}, {127, 33}, {128, 64}, {300, 512}, {1000, 20}};

TEST(ResidualMath, ColumnSumMatchesTheCpuTwin) {
  for (Shape s : kShapes) {
    const std::vector<float> a = normal((size_t)s.N * s.d, 1), b = normal((size_t)s.N * s.d, 2);
    std::vector<float> cpu = normal(s.d, 3), gpu = cpu;
    tc::colsum_mul_add(cpu.data(), a.data(), b.data(), s.N, s.d);
    emulate_colsum(&gpu, 0, a, b, s.N, s.d);
    EXPECT_LE(rel_error(gpu, cpu), 1e-7) << s.N << "x" << s.d;
    if (s.N <= kColsumChunkRows) {
      EXPECT_TRUE(bits_equal(gpu, cpu)) << "one chunk: the CPU's order exactly";
    }
  }
}

TEST(ResidualMath, ResidMixForwardAndBackwardMatchTheCpuTwin) {
  for (Shape s : kShapes) {
    const size_t n = (size_t)s.N * s.d;
    const std::vector<float> x = normal(n, 4), x0 = normal(n, 5), mix = normal(2 * s.d, 6), dout = normal(n, 7);
    std::vector<float> out_cpu(n), out_gpu(n);
    tc::resid_mix_forward(out_cpu.data(), x.data(), x0.data(), mix.data(), s.N, s.d);
    for (size_t i = 0; i < n; i++) out_gpu[i] = resid_mix_value(mix[i % s.d], x[i], mix[s.d + i % s.d], x0[i]);
    EXPECT_TRUE(bits_equal(out_gpu, out_cpu)) << s.N << "x" << s.d;

    std::vector<float> dx_cpu(n), dx0_cpu = normal(n, 8), dmix_cpu = normal(2 * s.d, 9);
    std::vector<float> dx_gpu(n), dx0_gpu = dx0_cpu, dmix_gpu = dmix_cpu;
    tc::resid_mix_backward(dx_cpu.data(), dx0_cpu.data(), dmix_cpu.data(), dout.data(), x.data(), x0.data(), mix.data(),
                           s.N, s.d);
    emulate_colsum(&dmix_gpu, 0, dout, x, s.N, s.d);
    emulate_colsum(&dmix_gpu, s.d, dout, x0, s.N, s.d);
    for (size_t i = 0; i < n; i++) {
      const int c = (int)(i % s.d);
      dx0_gpu[i] = channel_scale_grad_add(dx0_gpu[i], dout[i], mix[s.d + c]);
      dx_gpu[i] = channel_scale_grad(dout[i], mix[c]);
    }
    EXPECT_TRUE(bits_equal(dx_gpu, dx_cpu));
    EXPECT_TRUE(bits_equal(dx0_gpu, dx0_cpu));
    EXPECT_LE(rel_error(dmix_gpu, dmix_cpu), 1e-7);
  }
}

TEST(ResidualMath, ScaledAddForwardAndBackwardMatchTheCpuTwin) {
  for (Shape s : kShapes)
    for (bool acc : {false, true}) {
      const size_t n = (size_t)s.N * s.d;
      const std::vector<float> x = normal(n, 10), y = normal(n, 11), scale = normal(s.d, 12), dout = normal(n, 13);
      std::vector<float> out_cpu(n), out_gpu(n);
      tc::scaled_add_forward(out_cpu.data(), x.data(), scale.data(), y.data(), s.N, s.d);
      for (size_t i = 0; i < n; i++) out_gpu[i] = scaled_add_value(x[i], scale[i % s.d], y[i]);
      EXPECT_TRUE(bits_equal(out_gpu, out_cpu));

      std::vector<float> dy_cpu = normal(n, 14), ds_cpu = normal(s.d, 15), dy_gpu = dy_cpu, ds_gpu = ds_cpu;
      tc::scaled_add_backward(dy_cpu.data(), ds_cpu.data(), dout.data(), y.data(), scale.data(), s.N, s.d, acc);
      emulate_colsum(&ds_gpu, 0, dout, y, s.N, s.d);
      for (size_t i = 0; i < n; i++)
        dy_gpu[i] = acc ? channel_scale_grad_add(dy_gpu[i], dout[i], scale[i % s.d])
                        : channel_scale_grad(dout[i], scale[i % s.d]);
      EXPECT_TRUE(bits_equal(dy_gpu, dy_cpu)) << "accumulate " << acc;
      EXPECT_LE(rel_error(ds_gpu, ds_cpu), 1e-7);
    }
}

// The fused residual + RMSNorm kernels (residual_norm.cu): one warp per row, the residual value in fp32 feeds the
// norm. Against the CPU's composition resid_mix_forward → rms_norm_forward and scaled_add_forward → rms_norm_forward.
TEST(ResidualMath, FusedResidualNormMatchesTheCpuComposition) {
  for (Shape s : kShapes) {
    const size_t n = (size_t)s.N * s.d;
    const float eps = 1e-6f;
    const std::vector<float> x = normal(n, 16), x0 = normal(n, 17), mix = normal(2 * s.d, 18), scale = normal(s.d, 19);
    for (bool is_mix : {true, false}) {
      std::vector<float> res_cpu(n), xn_cpu(n), r_cpu(s.N), res_gpu(n), xn_gpu(n), r_gpu(s.N);
      if (is_mix)
        tc::resid_mix_forward(res_cpu.data(), x.data(), x0.data(), mix.data(), s.N, s.d);
      else
        tc::scaled_add_forward(res_cpu.data(), x.data(), scale.data(), x0.data(), s.N, s.d);
      tc::rms_norm_forward(xn_cpu.data(), r_cpu.data(), res_cpu.data(), s.N, s.d, eps);
      for (int r = 0; r < s.N; r++) {
        const size_t b = (size_t)r * s.d;
        auto value = [&](int c) {
          return is_mix ? resid_mix_value(mix[c], x[b + c], mix[s.d + c], x0[b + c])
                        : scaled_add_value(x[b + c], scale[c], x0[b + c]);
        };
        const float st =
            rms_rstd(warp_row_sum<double>(s.d, [&](int c) { return rms_term(value(c), value(c)); }), s.d, eps);
        r_gpu[r] = st;
        for (int c = 0; c < s.d; c++) {
          res_gpu[b + c] = value(c);
          xn_gpu[b + c] = mul_rn(value(c), st);
        }
      }
      EXPECT_TRUE(bits_equal(res_gpu, res_cpu)) << s.N << "x" << s.d;
      EXPECT_LE(rel_error(xn_gpu, xn_cpu), 1e-7) << s.N << "x" << s.d;
      EXPECT_LE(rel_error(r_gpu, r_cpu), 1e-7) << s.N << "x" << s.d;
    }
  }
}

}  // namespace
