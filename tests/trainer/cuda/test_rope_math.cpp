// test_rope_math.cpp: the RoPE and q-gain kernels' arithmetic (trainer/cuda/rope_math.h) in an emulation of their
// thread mapping (one thread per pair or pass-through dim, run in place as the model does) and of q_gain's
// two-stage gradient sum, against train_cpu::rope_forward/backward and head_gain_forward/backward: full and partial
// rope_dims, rope_dims 0, positions that wrap at T.
#include <gtest/gtest.h>

#include <vector>

#include "cpu/layers.h"          // defines: train_cpu::rope_*, head_gain_*
#include "cuda/residual_math.h"  // defines: colsum_term, colsum_finish
#include "cuda/rms_norm_math.h"  // defines: rms_term, rms_rstd, rms_mean_dot, rms_backward_value
#include "cuda/rope_math.h"      // defines: rope_pair, rope_element, rope_threads_per_head, head_gain_value
#include "rows_emulation.h"      // defines: normal, rel_error, bits_equal

using namespace golf::train_cuda;
using namespace golf::rows_test;
namespace tc = golf::train_cpu;

namespace {

// The kernel's threads over (row, head, p), in place on x.
void emulate_rope(std::vector<float>* x, const std::vector<float>& cos_t, const std::vector<float>& sin_t, int N, int T,
                  int heads, int hd, int rd, float sign) {
  const int half = rd / 2, per_head = rope_threads_per_head(hd, rd);
  for (int64_t i = 0; i < (int64_t)N * heads * per_head; i++) {
    const int64_t head_row = i / per_head, base = head_row * hd;
    const int p = (int)(i % per_head);
    if (p >= half) continue;  // pass-through dims stay as they are in place
    const int64_t pos = (head_row / heads) % T;
    float y1, y2;
    rope_pair((*x)[base + p], (*x)[base + p + half], cos_t[pos * half + p], sin_t[pos * half + p], sign, &y1, &y2);
    (*x)[base + p] = y1;
    (*x)[base + p + half] = y2;
  }
}

TEST(RopeMath, ForwardAndBackwardEqualTheCpuBitForBit) {
  struct S {
    int N, T, heads, hd, rd;
  };
  for (S s : {S{7, 3, 2, 8, 8}, S{16, 16, 4, 64, 64}, S{40, 16, 3, 64, 16}, S{5, 5, 1, 32, 0}, S{33, 11, 8, 64, 32}}) {
    const int half = s.rd / 2 > 0 ? s.rd / 2 : 1;
    const std::vector<float> x = normal((size_t)s.N * s.heads * s.hd, 1), cos_t = normal((size_t)s.T * half, 2),
                             sin_t = normal((size_t)s.T * half, 3);
    for (float sign : {1.0f, -1.0f}) {
      std::vector<float> cpu(x.size()), gpu = x;
      if (sign > 0)
        tc::rope_forward(cpu.data(), x.data(), cos_t.data(), sin_t.data(), s.N, s.T, s.heads, s.hd, s.rd);
      else
        tc::rope_backward(cpu.data(), x.data(), cos_t.data(), sin_t.data(), s.N, s.T, s.heads, s.hd, s.rd);
      emulate_rope(&gpu, cos_t, sin_t, s.N, s.T, s.heads, s.hd, s.rd, sign);
      EXPECT_TRUE(bits_equal(gpu, cpu)) << "hd " << s.hd << " rd " << s.rd << " sign " << sign;
    }
  }
}

TEST(RopeMath, HeadGainForwardAndBackwardMatchTheCpuTwin) {
  for (int N : {1, 127, 128, 300})
    for (int heads : {1, 4, 8}) {
      const int hd = 32;
      const size_t n = (size_t)N * heads * hd;
      const std::vector<float> x = normal(n, 4), dout = normal(n, 5), gain = normal(heads, 6);
      std::vector<float> cpu(n), gpu(n);
      tc::head_gain_forward(cpu.data(), x.data(), gain.data(), N, heads, hd);
      for (size_t i = 0; i < n; i++) gpu[i] = head_gain_value(x[i], gain[(i / hd) % heads]);
      EXPECT_TRUE(bits_equal(gpu, cpu));

      std::vector<float> din_cpu(n), dg_cpu = normal(heads, 7), din_gpu(n), dg_gpu = dg_cpu;
      tc::head_gain_backward(din_cpu.data(), dg_cpu.data(), dout.data(), x.data(), gain.data(), N, heads, hd);
      // Stage 1: per column and chunk of rows; stage 2: per head, chunks in order, then its hd columns in order.
      const int cols = heads * hd, chunks = colsum_chunks(N);
      std::vector<double> partial((size_t)chunks * cols, 0.0);
      for (int k = 0; k < chunks; k++)
        for (int c = 0; c < cols; c++)
          for (int r = k * kColsumChunkRows; r < N && r < (k + 1) * kColsumChunkRows; r++)
            partial[(size_t)k * cols + c] += colsum_term(dout[(size_t)r * cols + c], x[(size_t)r * cols + c]);
      for (int h = 0; h < heads; h++) {
        double s = 0;
        for (int k = 0; k < chunks; k++)
          for (int i = 0; i < hd; i++) s += partial[(size_t)k * cols + h * hd + i];
        dg_gpu[h] = colsum_finish(dg_gpu[h], s);
      }
      for (size_t i = 0; i < n; i++) din_gpu[i] = head_gain_value(dout[i], gain[(i / hd) % heads]);
      EXPECT_TRUE(bits_equal(din_gpu, din_cpu));
      EXPECT_LE(rel_error(dg_gpu, dg_cpu), 1e-7) << N << " " << heads;
    }
}

// ---- the fused QK-norm + RoPE + gain kernels (qk_norm_rope.cu), one warp per (token, head) row ----------------

TEST(QkNormRopeMath, FusedRowsMatchTheCpuComposition) {
  struct S {
    int N, T, heads, hd, rd;
    bool gain;
  };
  for (S s : {S{40, 16, 8, 64, 64, true}, S{33, 11, 4, 64, 16, false}, S{150, 150, 2, 32, 32, true},
              S{5, 5, 3, 48, 0, true}, S{129, 64, 1, 128, 128, true}}) {
    const int rows = s.N * s.heads, half = s.rd / 2 > 0 ? s.rd / 2 : 1;
    const size_t n = (size_t)rows * s.hd;
    const float eps = 1e-6f;
    const std::vector<float> x = normal(n, 40, 3.0f), dout = normal(n, 41), cos_t = normal((size_t)s.T * half, 42),
                             sin_t = normal((size_t)s.T * half, 43), gain = normal(s.heads, 44);
    const float* g = s.gain ? gain.data() : nullptr;
    // The CPU's composition (model.cpp's q path).
    std::vector<float> qn(n), rq(rows), qr(n), qf(n);
    tc::rms_norm_forward(qn.data(), rq.data(), x.data(), rows, s.hd, eps);
    tc::rope_forward(qr.data(), qn.data(), cos_t.data(), sin_t.data(), s.N, s.T, s.heads, s.hd, s.rd);
    if (g)
      tc::head_gain_forward(qf.data(), qr.data(), g, s.N, s.heads, s.hd);
    else
      qf = qr;
    std::vector<float> d = dout, dgain_cpu = normal(s.heads, 45), dgain_gpu = dgain_cpu;
    if (g) tc::head_gain_backward(d.data(), dgain_cpu.data(), d.data(), qr.data(), g, s.N, s.heads, s.hd);
    tc::rope_backward(d.data(), d.data(), cos_t.data(), sin_t.data(), s.N, s.T, s.heads, s.hd, s.rd);
    tc::rms_norm_backward(d.data(), d.data(), qn.data(), rq.data(), rows, s.hd, false);

    // The kernels, row by row.
    std::vector<float> y(n), rstd(rows), out(n), din(n);
    for (int r = 0; r < rows; r++) {
      const float* xr = x.data() + (size_t)r * s.hd;
      const int h = r % s.heads;
      const float* c = cos_t.data() + (size_t)((r / s.heads) % s.T) * half;
      const float* sn = sin_t.data() + (size_t)((r / s.heads) % s.T) * half;
      const float st = rms_rstd(warp_row_sum<double>(s.hd, [&](int j) { return rms_term(xr[j], xr[j]); }), s.hd, eps);
      rstd[r] = st;
      float* yr = y.data() + (size_t)r * s.hd;
      for (int j = 0; j < s.hd; j++) yr[j] = mul_rn(xr[j], st);
      for (int j = 0; j < s.hd; j++) {
        const float rot = rope_element(yr, j, s.rd / 2, s.rd, c, sn, 1.0f);
        out[(size_t)r * s.hd + j] = g ? head_gain_value(rot, g[h]) : rot;
      }
      const float* dr = dout.data() + (size_t)r * s.hd;
      std::vector<float> gr(s.hd), drot(s.hd);
      for (int j = 0; j < s.hd; j++) gr[j] = g ? head_gain_value(dr[j], g[h]) : dr[j];
      for (int j = 0; j < s.hd; j++) drot[j] = rope_element(gr.data(), j, s.rd / 2, s.rd, c, sn, -1.0f);
      const float m = rms_mean_dot(warp_row_sum<double>(s.hd, [&](int j) { return rms_term(drot[j], yr[j]); }), s.hd);
      for (int j = 0; j < s.hd; j++) din[(size_t)r * s.hd + j] = rms_backward_value(drot[j], yr[j], m, st);
    }
    const std::string what = "hd " + std::to_string(s.hd) + " rd " + std::to_string(s.rd);
    EXPECT_LE(rel_error(y, qn), 1e-7) << what;
    EXPECT_LE(rel_error(rstd, rq), 1e-7) << what;
    EXPECT_LE(rel_error(out, qf), 1e-7) << what;
    EXPECT_LE(rel_error(din, d), 1e-6) << what;
    if (g) {
      // Per-row dots in double, chunks of kColsumChunkRows tokens, chunks in order (qk_norm_rope.cu).
      for (int h = 0; h < s.heads; h++) {
        double total = 0;
        for (int k = 0; k < colsum_chunks(s.N); k++) {
          double chunk = 0;
          for (int t = k * kColsumChunkRows; t < s.N && t < (k + 1) * kColsumChunkRows; t++) {
            const int r = t * s.heads + h;
            const float* dr = dout.data() + (size_t)r * s.hd;
            const float* yr = y.data() + (size_t)r * s.hd;
            const float* c = cos_t.data() + (size_t)(t % s.T) * half;
            const float* sn = sin_t.data() + (size_t)(t % s.T) * half;
            chunk += warp_row_sum<double>(
                s.hd, [&](int j) { return rms_term(dr[j], rope_element(yr, j, s.rd / 2, s.rd, c, sn, 1.0f)); });
          }
          total += chunk;
        }
        dgain_gpu[h] = colsum_finish(dgain_gpu[h], total);
      }
      EXPECT_LE(rel_error(dgain_gpu, dgain_cpu), 1e-7) << what;
    }
  }
}

}  // namespace
