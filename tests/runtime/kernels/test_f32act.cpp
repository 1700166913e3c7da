// test_f32act.cpp: matmul_quant_f32act (quantized weights × fp32 activations, the head's matmul) on every path
// against fp64: y = Σ x · code · scale, for each dtype and group size, odd N, M on both sides of the switch from
// the fused kernel (few rows) to the decoded-panel GEMM, 1-3 threads; the padding columns of y stay untouched;
// bad arguments fail without writing.
#include <cmath>
#include <string>
#include <vector>

#include "kernel_paths.h"
#include "kernel_test_util.h"
#include "matmul.h"

namespace kernel_test {
namespace {

constexpr double kRelTol = 1e-5;  // of Σ |x · w|: fp32 accumulation over K ≤ 640 terms

void run_f32act_case(Dtype dtype, uint32_t G, int M, int N, int K, int case_index,
                     const std::vector<std::string>& paths, ThreadPool* pools[3]) {
  Rng rng(case_seed(100 + (int)dtype, (int)G, M, N, K));
  TestMatrix w = make_matrix(dtype, N, K, G, rng);
  std::vector<float> x = make_acts(M, K, rng);
  std::vector<double> yref((size_t)M * N), mag((size_t)M * N);
  for (int m = 0; m < M; ++m)
    for (int n = 0; n < N; ++n) {
      double s = 0, a = 0;
      for (int k = 0; k < K; ++k) {
        double p = (double)x[(size_t)m * K + k] * w.codes[(size_t)n * K + k] * w.scale(n, k);
        s += p;
        a += std::fabs(p);
      }
      yref[(size_t)m * N + n] = s;
      mag[(size_t)m * N + n] = a;
    }
  const size_t ldy = (size_t)N + 2;
  const float canary = -777.0f;
  for (size_t p = 0; p < paths.size(); ++p) {
    CHECK(select_kernel_path(paths[p].c_str()));
    const int threads = 1 + (case_index + (int)p) % 3;
    std::vector<float> y((size_t)M * ldy, canary);
    golf::Status st = matmul_quant_f32act(x.data(), M, K, w.view, y.data(), ldy, pools[threads - 1]);
    CHECK_MSG(st.ok(), "f32act %s: %s", paths[p].c_str(), st.message().c_str());
    int bad = 0;
    for (int m = 0; m < M; ++m) {
      for (int n = 0; n < N; ++n) {
        const double v = y[(size_t)m * ldy + n], r = yref[(size_t)m * N + n];
        if (!(std::fabs(v - r) <= kRelTol * mag[(size_t)m * N + n] + 1e-30) && bad++ < 3)
          CHECK_MSG(false, "f32act %s g%u M=%d N=%d K=%d threads=%d: %s y[%d][%d] = %.9g, fp64 %.9g", dtype_str(dtype),
                    G, M, N, K, threads, paths[p].c_str(), m, n, v, r);
      }
      for (size_t c = (size_t)N; c < ldy; ++c)
        CHECK_MSG(y[(size_t)m * ldy + c] == canary, "f32act %s: wrote past column N", paths[p].c_str());
    }
    g_checks += (long)M * N;
  }
}

void test_f32act_argument_checks() {
  Rng rng(7);
  TestMatrix w = make_matrix(Dtype::q8, 4, 64, 0, rng);
  std::vector<float> x(2 * 64, 1.0f), y(2 * 4, -1.0f);
  CHECK(!matmul_quant_f32act(x.data(), 2, 32, w.view, y.data(), 4, nullptr).ok());    // K != w.cols
  CHECK(!matmul_quant_f32act(x.data(), -1, 64, w.view, y.data(), 4, nullptr).ok());   // M < 0
  CHECK(!matmul_quant_f32act(nullptr, 2, 64, w.view, y.data(), 4, nullptr).ok());
  CHECK(!matmul_quant_f32act(x.data(), 2, 64, w.view, nullptr, 4, nullptr).ok());
  CHECK(!matmul_quant_f32act(x.data(), 2, 64, w.view, y.data(), 3, nullptr).ok());    // ldy < N
  QuantMatrix bad = w.view;
  bad.cols = 48;  // not a multiple of 32
  CHECK(!matmul_quant_f32act(x.data(), 2, 48, bad, y.data(), 4, nullptr).ok());
  CHECK(matmul_quant_f32act(x.data(), 0, 64, w.view, nullptr, 4, nullptr).ok());      // M = 0: nothing to do
  for (float v : y) CHECK(v == -1.0f);
  TestMatrix wide = make_matrix(Dtype::q8, 1, 16416, 0, rng);  // K beyond the decode tile: refused, not overrun
  std::vector<float> xw(16416, 1.0f);
  CHECK(!matmul_quant_f32act(xw.data(), 1, 16416, wide.view, y.data(), 4, nullptr).ok());
  CHECK(y[0] == -1.0f);
}

}  // namespace

void test_quant_f32act(const std::vector<std::string>& paths, ThreadPool* pools[3]) {
  struct Variant { Dtype d; uint32_t G; };
  const Variant variants[] = {{Dtype::q8, 0}, {Dtype::q8, 32}, {Dtype::q8, 128}, {Dtype::q6, 0}, {Dtype::q6, 64},
                              {Dtype::q4, 32}, {Dtype::q4, 64}, {Dtype::q2, 0}};
  const int Ks[] = {64, 128, 640};
  const int Ms[] = {1, 2, 3, 4, 9};
  const int Ns[] = {1, 5, 67};
  int case_index = 0;
  const std::string initial = kernel_path_name();
  for (const Variant& v : variants)
    for (int K : Ks)
      for (int M : Ms)
        for (int N : Ns) {
          if (K % (int)std::max(v.G, 32u) != 0) continue;
          run_f32act_case(v.d, v.G, M, N, K, case_index++, paths, pools);
        }
  select_kernel_path(initial.c_str());
  test_f32act_argument_checks();
  std::printf("quantized weights x fp32 activations: %d cases\n", case_index);
}

}  // namespace kernel_test
