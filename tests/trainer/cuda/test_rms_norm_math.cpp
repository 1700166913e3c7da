// test_rms_norm_math.cpp: the RMSNorm and embedding kernels' arithmetic (trainer/cuda/rms_norm_math.h,
// encoder_math.h) in an emulation of their loops, against train_cpu::rms_norm_forward/backward and
// encoder_forward/backward, on random rows of odd widths (QK-norm's 32 and 64, the model's 512, and widths that
// are not multiples of a warp).
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "cpu/layers.h"          // defines: train_cpu::rms_norm_*, encoder_*
#include "cuda/encoder_math.h"   // defines: encoder_buckets_plan, encoder_grad_add
#include "cuda/rms_norm_math.h"  // defines: rms_term, rms_rstd, rms_mean_dot, rms_backward_value
#include "rows_emulation.h"      // defines: warp_row_sum, normal, rel_error, bits_equal

using namespace golf::train_cuda;
using namespace golf::rows_test;
namespace tc = golf::train_cpu;

namespace {

// The forward kernel on the host: per row a warp sum of squares (double), rstd, then y = x·rstd.
void emulate_forward(std::vector<float>* y, std::vector<float>* rstd, const std::vector<float>& x, int rows, int cols,
                     float eps) {
  for (int r = 0; r < rows; r++) {
    const float* xr = x.data() + (size_t)r * cols;
    const float s = rms_rstd(warp_row_sum<double>(cols, [&](int c) { return rms_term(xr[c], xr[c]); }), cols, eps);
    (*rstd)[r] = s;
    for (int c = 0; c < cols; c++) (*y)[(size_t)r * cols + c] = mul_rn(xr[c], s);
  }
}

void emulate_backward(std::vector<float>* dx, const std::vector<float>& dy, const std::vector<float>& y,
                      const std::vector<float>& rstd, int rows, int cols, bool accumulate) {
  for (int r = 0; r < rows; r++) {
    const float* dyr = dy.data() + (size_t)r * cols;
    const float* yr = y.data() + (size_t)r * cols;
    const float m = rms_mean_dot(warp_row_sum<double>(cols, [&](int c) { return rms_term(dyr[c], yr[c]); }), cols);
    for (int c = 0; c < cols; c++) {
      const float v = rms_backward_value(dyr[c], yr[c], m, rstd[r]);
      float& o = (*dx)[(size_t)r * cols + c];
      o = accumulate ? add_rn(o, v) : v;
    }
  }
}

TEST(RmsNormMath, ForwardAndBackwardMatchTheCpuTwin) {
  const float eps = 1e-6f;
  for (int cols : {1, 7, 32, 33, 64, 100, 512}) {
    const int rows = 37;
    const size_t n = (size_t)rows * cols;
    std::vector<float> x = normal(n, 1 + cols, 2.0f), dy = normal(n, 100 + cols), base = normal(n, 200 + cols);
    std::vector<float> y_cpu(n), r_cpu(rows), y_gpu(n), r_gpu(rows);
    tc::rms_norm_forward(y_cpu.data(), r_cpu.data(), x.data(), rows, cols, eps);
    emulate_forward(&y_gpu, &r_gpu, x, rows, cols, eps);
    // Same rounding of every element; only the order of the double sums differs, so the results are equal or
    // differ in the last bit of the rare row whose (float) mean rounds differently.
    EXPECT_LE(rel_error(y_gpu, y_cpu), 1e-7) << cols;
    EXPECT_LE(rel_error(r_gpu, r_cpu), 1e-7) << cols;
    for (bool acc : {false, true}) {
      std::vector<float> dx_cpu = base, dx_gpu = base;
      tc::rms_norm_backward(dx_cpu.data(), dy.data(), y_cpu.data(), r_cpu.data(), rows, cols, acc);
      emulate_backward(&dx_gpu, dy, y_cpu, r_cpu, rows, cols, acc);
      EXPECT_LE(rel_error(dx_gpu, dx_cpu), 1e-6) << cols << " accumulate " << acc;
    }
  }
}

TEST(RmsNormMath, ConstantRowsGiveExactlyTheCpuBits) {
  // Rows whose sums are exact in any order: the emulation must then equal the CPU bit for bit.
  const int rows = 5, cols = 96;
  std::vector<float> x((size_t)rows * cols);
  for (int r = 0; r < rows; r++)
    for (int c = 0; c < cols; c++) x[(size_t)r * cols + c] = (float)((r + 1) * ((c % 3) - 1)) * 0.5f;
  std::vector<float> y_cpu(x.size()), r_cpu(rows), y_gpu(x.size()), r_gpu(rows);
  tc::rms_norm_forward(y_cpu.data(), r_cpu.data(), x.data(), rows, cols, 1e-5f);
  emulate_forward(&y_gpu, &r_gpu, x, rows, cols, 1e-5f);
  EXPECT_TRUE(bits_equal(y_gpu, y_cpu));
  EXPECT_TRUE(bits_equal(r_gpu, r_cpu));
}

// ---- embedding ---------------------------------------------------------------------------------------------------

TEST(EncoderMath, BucketPlanIsAStableSortByIdAndRefusesBadIds) {
  std::mt19937 g(7);
  for (int V : {1, 5, 1024})
    for (int N : {0, 1, 13, 1000}) {
      std::vector<int32_t> ids(N);
      for (int32_t& v : ids) v = (int32_t)(g() % (V > 3 ? 3 + g() % (V - 3) : V));  // skewed: small ids repeat
      std::vector<int32_t> order(N), start(std::min(N, V) + 1), scratch(V + 1);
      const int buckets = encoder_buckets_plan(ids.data(), N, V, order.data(), start.data(), scratch.data());
      ASSERT_GE(buckets, 0);
      // Brute force: positions grouped by increasing id, increasing position within an id.
      std::vector<int32_t> want(N);
      for (int n = 0; n < N; n++) want[n] = n;
      std::stable_sort(want.begin(), want.end(), [&](int a, int b) { return ids[a] < ids[b]; });
      EXPECT_EQ(order, want);
      std::vector<int32_t> distinct(ids);
      std::sort(distinct.begin(), distinct.end());
      distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
      ASSERT_EQ(buckets, (int)distinct.size());
      EXPECT_EQ(start[0], 0);
      EXPECT_EQ(start[buckets], N);
      for (int b = 0; b < buckets; b++) {
        ASSERT_LT(start[b], start[b + 1]);
        for (int k = start[b]; k < start[b + 1]; k++) EXPECT_EQ(ids[order[k]], distinct[b]);
      }
    }
  std::vector<int32_t> bad = {0, 3, 5}, order(3), start(4), scratch(6);
  EXPECT_EQ(encoder_buckets_plan(bad.data(), 3, 5, order.data(), start.data(), scratch.data()), -1);
  bad[2] = -1;
  EXPECT_EQ(encoder_buckets_plan(bad.data(), 3, 5, order.data(), start.data(), scratch.data()), -1);
}

TEST(EncoderMath, BucketedBackwardEqualsTheCpuBitForBit) {
  const int V = 50, d = 33, N = 777;
  std::mt19937 g(3);
  std::vector<int32_t> ids(N);
  for (int32_t& v : ids) v = (int32_t)(g() % 4 == 0 ? 7 : g() % V);  // one frequent id
  const std::vector<float> dout = normal((size_t)N * d, 9), init = normal((size_t)V * d, 10);
  std::vector<int32_t> order(N), start(std::min(N, V) + 1), scratch(V + 1);
  const int buckets = encoder_buckets_plan(ids.data(), N, V, order.data(), start.data(), scratch.data());
  ASSERT_GT(buckets, 0);
  std::vector<float> cpu = init, gpu = init;
  tc::encoder_backward(cpu.data(), dout.data(), ids.data(), N, d);
  // The kernel: one thread per (bucket, column), rows of the bucket in order.
  for (int b = 0; b < buckets; b++)
    for (int c = 0; c < d; c++) {
      float* dst = &gpu[(size_t)ids[order[start[b]]] * d + c];
      float acc = *dst;
      for (int k = start[b]; k < start[b + 1]; k++) acc = encoder_grad_add(acc, dout[(size_t)order[k] * d + c]);
      *dst = acc;
    }
  EXPECT_TRUE(bits_equal(gpu, cpu));
}

TEST(EncoderMath, FusedEmbeddingNormMatchesTheCpuComposition) {
  // encoder_rms_norm_forward: one warp per token over the fp32 table row; the CPU gathers, then normalises in place.
  const int V = 37, d = 100, N = 300;
  const float eps = 1e-6f;
  const std::vector<float> table = normal((size_t)V * d, 20, 0.5f);
  std::vector<int32_t> ids(N);
  for (int n = 0; n < N; n++) ids[n] = (n * 7 + n / 3) % V;
  std::vector<float> cpu((size_t)N * d), r_cpu(N), gpu((size_t)N * d), r_gpu(N);
  tc::encoder_forward(cpu.data(), ids.data(), table.data(), N, d);
  tc::rms_norm_forward(cpu.data(), r_cpu.data(), cpu.data(), N, d, eps);
  for (int n = 0; n < N; n++) {
    const float* x = table.data() + (size_t)ids[n] * d;
    const float st = rms_rstd(warp_row_sum<double>(d, [&](int c) { return rms_term(x[c], x[c]); }), d, eps);
    r_gpu[n] = st;
    for (int c = 0; c < d; c++) gpu[(size_t)n * d + c] = mul_rn(x[c], st);
  }
  EXPECT_LE(rel_error(gpu, cpu), 1e-7);
  EXPECT_LE(rel_error(r_gpu, r_cpu), 1e-7);
}

}  // namespace
