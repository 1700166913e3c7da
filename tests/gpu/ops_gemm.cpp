// ops_gemm.cpp: the self-test's part "ops/gemm": the cuBLASLt GEMMs of the CUDA trainer (trainer/cuda/gemm.h,
// muon.h) against their CPU twins.
// - Every distinct shape of the GEMM plans (gemm_plan.h) of three configs: the baseline's dims at a small row count
//   (999 tokens: K = 999 in the dW products), cpu-small, and an odd one (d = 36, kv = 18: row strides that are
//   not a multiple of 8 bf16 elements, unfused QKV), each forward, dX, dW and Newton–Schulz shape, run through
//   GemmContext::run with C ≠ D (D poisoned first) against train_cpu::gemm with the same cblas arguments.
// - linear_forward / linear_backward against train_cpu::linear_forward / linear_backward (accumulating din and
//   dweight onto random contents).
// - newton_schulz5 against train_cpu::newton_schulz5 on wide, tall, square and odd matrices.
// Each in fp32 (relative Frobenius error ≤ 1e-5) and bf16, each run twice with equal bits. bf16 tolerances: an
// output rounded to bf16 once (half an ulp is 2⁻⁸ relative at worst, ~2⁻⁹·0.6 in RMS) gets 8e-3; an fp32 gradient
// from bf16 inputs (the CPU twin is given the same rounded inputs) differs only by summation order: 1e-4; the bf16
// NS5 gets muon_math.h's kNsBf16Tolerance (5e-2; a host emulation of the bf16 GEMMs measures 1.0-2.0e-2).
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <type_traits>
#include <vector>

#include "cpu/matmul.h"        // defines: train_cpu::gemm, linear_forward, linear_backward
#include "cpu/muon.h"          // defines: train_cpu::newton_schulz5, MuonScratch
#include "cuda/gemm.h"         // defines: GemmContext, linear_forward, linear_backward
#include "cuda/gemm_plan.h"    // defines: gemm_plan_build, GemmShape, ns_gemm_shape
#include "cuda/muon.h"         // defines: newton_schulz5, MuonNsScratch
#include "cuda/muon_math.h"    // defines: kNsBf16Tolerance, muon_inv_norm
#include "device_buffers.h"    // defines: DeviceBuffer, to_device, to_host
#include "selftest.h"          // defines: CheckResult, SelftestRegistrar, rel_error, bits_equal, fill_normal

namespace golf::gpu_test {

namespace gc = train_cuda;
namespace tc = train_cpu;
using gc::bf16;
using gc::GemmShape;

namespace {

constexpr double kBf16OutTolerance = 8e-3;
constexpr double kBf16GradTolerance = 1e-4;

CheckResult make_row(const std::string& name, const std::string& shape, const char* precision, double error,
                     double tolerance, bool deterministic, const std::string& note = "") {
  return compared_row("ops", name, shape, precision, error, tolerance, deterministic, 0, note);
}

ModelConfig config_of(int d, int layers, int heads, int kv_heads, int hidden, int vocab) {
  ModelConfig c;
  c.model_dim = d;
  c.num_layers = layers;
  c.num_heads = heads;
  c.num_kv_heads = kv_heads;
  c.mlp_hidden = hidden;
  c.vocab_size = vocab;
  c.num_encoder_layers = layers / 2;
  c.rope_dims = c.head_dim() - c.head_dim() % 2;
  return c;
}

// Random floats, rounded to bf16 when the device holds them in bf16, so the CPU twin sees the same inputs.
std::vector<float> inputs(size_t n, uint64_t seed, bool round) {
  std::vector<float> x(n);
  fill_normal(&x, seed, 1.0f);
  if (round)
    for (float& e : x) e = gc::bf16_round(e);
  return x;
}

// The M × N elements of a row-major matrix with row stride ld (the padding is neither written nor compared).
std::vector<float> valid(const std::vector<float>& x, int M, int N, int ld) {
  std::vector<float> out((size_t)M * N);
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) out[(size_t)i * N + j] = x[(size_t)i * ld + j];
  return out;
}

// One GEMM shape on the device (C ≠ D) against train_cpu::gemm.
template <typename T>
Status check_gemm(const GemmShape& s, const std::string& label, const gc::GemmContext& ctx, uint64_t seed,
                  std::vector<CheckResult>* rows) {
  constexpr bool kBf16 = std::is_same_v<T, bf16>;
  const bool grad = s.out == gc::GemmOut::grad;
  const size_t a_n = (size_t)(s.trans_a ? s.K : s.M) * s.lda, b_n = (size_t)(s.trans_b ? s.N : s.K) * s.ldb,
               c_n = (size_t)s.M * s.ldc;
  const std::vector<float> A = inputs(a_n, seed * 3 + 1, kBf16), B = inputs(b_n, seed * 3 + 2, kBf16),
                           C = inputs(c_n, seed * 3 + 3, kBf16 && !grad);
  std::vector<float> want = C;
  tc::gemm(s.trans_a, s.trans_b, s.M, s.N, s.K, s.alpha, A.data(), s.lda, B.data(), s.ldb, s.beta, want.data(), s.ldc);
  DeviceBuffer dA, dB, dC, dD;
  GOLF_RETURN_IF_ERROR(to_device<T>(&dA, A));
  GOLF_RETURN_IF_ERROR(to_device<T>(&dB, B));
  std::vector<float> got[2];
  std::vector<unsigned char> bits[2];
  for (int run = 0; run < 2; run++) {
    if (grad) {
      GOLF_RETURN_IF_ERROR(to_device<float>(&dC, C));
      GOLF_RETURN_IF_ERROR(dD.alloc(c_n * sizeof(float)));
    } else {
      GOLF_RETURN_IF_ERROR(to_device<T>(&dC, C));
      GOLF_RETURN_IF_ERROR(dD.alloc(c_n * sizeof(T)));
    }
    GOLF_RETURN_IF_ERROR(dD.poison());
    GOLF_RETURN_IF_ERROR(ctx.run(s, dA.p, dB.p, dC.p, dD.p, 0));
    std::vector<unsigned char> raw;
    if (grad || !kBf16)
      GOLF_RETURN_IF_ERROR(to_host<float>(dD, &got[run], &raw));
    else
      GOLF_RETURN_IF_ERROR(to_host<bf16>(dD, &got[run], &raw));
    got[run] = valid(got[run], s.M, s.N, s.ldc);
    bits[run].assign(raw.begin(), raw.end());
  }
  // The padding of D stays poisoned in both runs, so comparing every byte is fair.
  const std::vector<float> ref = valid(want, s.M, s.N, s.ldc);
  const double err = rel_error(got[0].data(), ref.data(), ref.size());
  const double tol = !kBf16 ? kFp32Tolerance : grad ? kBf16GradTolerance : kBf16OutTolerance;
  rows->push_back(make_row("gemm " + label, s.text(), kBf16 ? "bf16" : "fp32", err, tol, bits[0] == bits[1]));
  return Status::Ok();
}

// linear_forward + linear_backward against the CPU's, with din and dweight accumulating onto random contents.
template <typename T>
Status check_linear(int N, int in_dim, int out_dim, bool acc, gc::GemmContext* ctx, uint64_t seed,
                    std::vector<CheckResult>* rows) {
  constexpr bool kBf16 = std::is_same_v<T, bf16>;
  const char* prec = kBf16 ? "bf16" : "fp32";
  GOLF_RETURN_IF_ERROR(ctx->add(gc::linear_forward_shape(N, in_dim, out_dim)));
  GOLF_RETURN_IF_ERROR(ctx->add(gc::linear_backward_dx_shape(N, in_dim, out_dim, acc)));
  GOLF_RETURN_IF_ERROR(ctx->add(gc::linear_backward_dw_shape(N, in_dim, out_dim)));
  const std::vector<float> in = inputs((size_t)N * in_dim, seed + 1, kBf16),
                           w = inputs((size_t)out_dim * in_dim, seed + 2, kBf16),
                           dout = inputs((size_t)N * out_dim, seed + 3, kBf16),
                           din0 = inputs((size_t)N * in_dim, seed + 4, kBf16),
                           dw0 = inputs((size_t)out_dim * in_dim, seed + 5, false);
  std::vector<float> out((size_t)N * out_dim), din = din0, dw = dw0;
  tc::linear_forward(out.data(), in.data(), w.data(), N, in_dim, out_dim);
  tc::linear_backward(din.data(), dw.data(), dout.data(), in.data(), w.data(), N, in_dim, out_dim, acc);
  DeviceBuffer d_in, d_w, d_dout, d_out, d_din, d_dw;
  GOLF_RETURN_IF_ERROR(to_device<T>(&d_in, in));
  GOLF_RETURN_IF_ERROR(to_device<T>(&d_w, w));
  GOLF_RETURN_IF_ERROR(to_device<T>(&d_dout, dout));
  GOLF_RETURN_IF_ERROR(d_out.alloc(out.size() * sizeof(T)));
  std::vector<float> got[2][3];
  std::vector<unsigned char> bits[2][3];
  for (int run = 0; run < 2; run++) {
    GOLF_RETURN_IF_ERROR(d_out.poison());
    GOLF_RETURN_IF_ERROR(to_device<T>(&d_din, din0));
    GOLF_RETURN_IF_ERROR(to_device<float>(&d_dw, dw0));
    GOLF_RETURN_IF_ERROR(gc::linear_forward<T>(d_out.as<T>(), d_in.as<T>(), d_w.as<T>(), N, in_dim, out_dim, *ctx, 0));
    GOLF_RETURN_IF_ERROR(gc::linear_backward<T>(d_din.as<T>(), d_dw.as<float>(), d_dout.as<T>(), d_in.as<T>(),
                                                d_w.as<T>(), N, in_dim, out_dim, acc, *ctx, 0));
    GOLF_RETURN_IF_ERROR(to_host<T>(d_out, &got[run][0], &bits[run][0]));
    GOLF_RETURN_IF_ERROR(to_host<T>(d_din, &got[run][1], &bits[run][1]));
    GOLF_RETURN_IF_ERROR(to_host<float>(d_dw, &got[run][2], &bits[run][2]));
  }
  char shape[96];
  std::snprintf(shape, sizeof shape, "N=%d in=%d out=%d%s", N, in_dim, out_dim, acc ? " acc" : "");
  const double tol_out = kBf16 ? kBf16OutTolerance : kFp32Tolerance, tol_dw = kBf16 ? kBf16GradTolerance : kFp32Tolerance;
  rows->push_back(make_row("linear_forward", shape, prec, rel_error(got[0][0].data(), out.data(), out.size()), tol_out,
                           bits[0][0] == bits[1][0]));
  rows->push_back(make_row("linear_backward din", shape, prec, rel_error(got[0][1].data(), din.data(), din.size()),
                           tol_out, bits[0][1] == bits[1][1]));
  rows->push_back(make_row("linear_backward dweight", shape, prec, rel_error(got[0][2].data(), dw.data(), dw.size()),
                           tol_dw, bits[0][2] == bits[1][2]));
  return Status::Ok();
}

// newton_schulz5 on a normalised random matrix against train_cpu::newton_schulz5 (fp32 on the CPU in both cases).
template <typename T>
Status check_newton_schulz(int R, int Cc, gc::GemmContext* ctx, uint64_t seed, std::vector<CheckResult>* rows) {
  constexpr bool kBf16 = std::is_same_v<T, bf16>;
  for (int w = 0; w < 3; w++) GOLF_RETURN_IF_ERROR(ctx->add(gc::ns_gemm_shape(R, Cc, w)));
  const size_t n = (size_t)R * Cc, side = std::min(R, Cc);
  std::vector<float> x(n);
  fill_normal(&x, seed, 1.0f);
  double ss = 0;
  for (float e : x) ss += (double)e * e;
  const float inv = gc::muon_inv_norm(ss);
  for (float& e : x) e *= inv;
  if (kBf16)
    for (float& e : x) e = gc::bf16_round(e);
  tc::MuonScratch cpu;
  GOLF_RETURN_IF_ERROR(tc::muon_scratch_init(&cpu, n, side));
  std::copy(x.begin(), x.end(), cpu.x);
  const float* want = tc::newton_schulz5(R, Cc, 5, &cpu);
  const gc::Precision p = kBf16 ? gc::Precision::bf16 : gc::Precision::fp32;
  DeviceBuffer arena;
  GOLF_RETURN_IF_ERROR(arena.alloc(gc::muon_ns_scratch_bytes(p, n, side)));
  gc::MuonNsScratch s;
  gc::muon_ns_scratch_point(arena.p, p, n, side, &s);
  std::vector<float> got[2];
  std::vector<unsigned char> bits[2];
  for (int run = 0; run < 2; run++) {
    GOLF_RETURN_IF_ERROR(arena.poison());
    DeviceBuffer staged;
    GOLF_RETURN_IF_ERROR(to_device<T>(&staged, x));
    GOLF_CUDA_CHECK(cudaMemcpy(s.x, staged.p, staged.bytes, cudaMemcpyDeviceToDevice));
    T* result = nullptr;
    GOLF_RETURN_IF_ERROR(gc::newton_schulz5<T>(R, Cc, 5, &s, &result, *ctx, 0));
    GOLF_RETURN_IF_ERROR(to_host<T>(result, n, &got[run], &bits[run]));
  }
  char shape[64];
  std::snprintf(shape, sizeof shape, "%d x %d, 5 steps", R, Cc);
  rows->push_back(make_row("newton_schulz5", shape, kBf16 ? "bf16" : "fp32", rel_error(got[0].data(), want, n),
                           kBf16 ? gc::kNsBf16Tolerance : kFp32Tolerance, bits[0] == bits[1]));
  return Status::Ok();
}

template <typename T>
Status run_precision(const SelftestOptions& opt, std::vector<CheckResult>* rows) {
  const gc::Precision p = std::is_same_v<T, bf16> ? gc::Precision::bf16 : gc::Precision::fp32;
  struct Case {
    const char* name;
    ModelConfig cfg;
    int tokens;
  };
  std::vector<Case> cases = {{"odd", config_of(36, 2, 2, 1, 60, 70), 77},
                             {"cpu-small", config_of(128, 2, 4, 2, 512, 1024), opt.quick ? 64 : 300}};
  if (!opt.quick) cases.push_back({"baseline dims", ModelConfig{}, 999});
  std::vector<gc::GemmPlan> plans(cases.size());
  std::vector<GemmShape> shapes;
  for (size_t i = 0; i < cases.size(); i++) {
    GOLF_RETURN_IF_ERROR(gc::gemm_plan_build(cases[i].cfg, cases[i].tokens, 5, &plans[i]));
    for (const GemmShape& s : plans[i].distinct_shapes()) shapes.push_back(s);
  }
  gc::GemmContext ctx;
  GOLF_RETURN_IF_ERROR(ctx.init(p, shapes));  // repeats across plans are planned once
  uint64_t seed = opt.seed * 7919 + (p == gc::Precision::bf16);
  for (size_t i = 0; i < cases.size(); i++) {
    for (const GemmShape& s : plans[i].distinct_shapes()) {
      const std::string label = std::string(cases[i].name) + " " + plans[i].first_use(s);
      GOLF_RETURN_IF_ERROR(check_gemm<T>(s, label, ctx, ++seed, rows).prefix(label + ": "));
    }
  }
  {
    // Planning again (as a resumed run does at setup) picks the same algorithm for every shape.
    gc::GemmContext again;
    GOLF_RETURN_IF_ERROR(again.init(p, shapes));
    const bool same = ctx.same_algorithms(again);
    rows->push_back(make_row("gemm algorithms chosen again", std::to_string(shapes.size()) + " plan shapes",
                             std::is_same_v<T, bf16> ? "bf16" : "fp32", same ? 0 : 1, 0, true,
                             same ? "" : "the heuristic chose differently on a second setup"));
  }
  GOLF_RETURN_IF_ERROR(check_linear<T>(150, 64, 192, true, &ctx, ++seed, rows));
  GOLF_RETURN_IF_ERROR(check_linear<T>(77, 36, 18, false, &ctx, ++seed, rows));
  GOLF_RETURN_IF_ERROR(check_linear<T>(1, 40, 24, true, &ctx, ++seed, rows));
  std::vector<std::pair<int, int>> ns = {{16, 40}, {40, 16}, {33, 70}, {1, 9}, {128, 128}};
  if (!opt.quick) ns.insert(ns.end(), {{256, 512}, {512, 512}, {1024, 512}, {512, 1024}});
  for (const auto& [r, c] : ns) GOLF_RETURN_IF_ERROR(check_newton_schulz<T>(r, c, &ctx, ++seed, rows));
  return Status::Ok();
}

// What GemmContext must refuse before anything reaches cuBLASLt: a shape not planned at setup, a misaligned
// pointer, tensors of the other precision. Each is a row that passes when the call fails with invalid_argument and
// its message names the shape.
Status check_refusals(std::vector<CheckResult>* rows) {
  gc::GemmContext ctx;
  const GemmShape planned = gc::linear_forward_shape(32, 64, 48);
  GOLF_RETURN_IF_ERROR(ctx.init(gc::Precision::bf16, {planned}));
  DeviceBuffer a, b, d;
  GOLF_RETURN_IF_ERROR(a.alloc(32 * 64 * 2 + 64));
  GOLF_RETURN_IF_ERROR(b.alloc(48 * 64 * 2 + 64));
  GOLF_RETURN_IF_ERROR(d.alloc(32 * 48 * 4 + 64));
  auto row = [&](const char* what, const Status& st, const std::string& must_name) {
    const bool ok = st.code() == StatusCode::invalid_argument && st.message().find(must_name) != std::string::npos;
    rows->push_back(make_row(std::string("gemm refuses ") + what, must_name, "bf16", ok ? 0 : 1, 0, true,
                             ok ? "" : "got: " + st.message()));
  };
  row("an unplanned shape", ctx.run(gc::linear_forward_shape(32, 64, 40), a.p, b.p, nullptr, d.p, 0),
      gc::linear_forward_shape(32, 64, 40).text());
  row("a misaligned pointer", ctx.run(planned, a.as<char>() + 2, b.p, nullptr, d.p, 0), planned.text());
  row("fp32 tensors in a bf16 context",
      gc::linear_forward<float>(d.as<float>(), a.as<float>(), b.as<float>(), 32, 64, 48, ctx, 0), "fp32");
  return Status::Ok();
}

Status run_gemm(const SelftestOptions& opt, std::vector<CheckResult>* rows) {
  GOLF_RETURN_IF_ERROR(run_precision<float>(opt, rows).prefix("fp32: "));
  GOLF_RETURN_IF_ERROR(run_precision<bf16>(opt, rows).prefix("bf16: "));
  GOLF_RETURN_IF_ERROR(check_refusals(rows).prefix("refusals: "));
  return Status::Ok();
}

const SelftestRegistrar kRegisterGemm("ops/gemm", 12, run_gemm);

}  // namespace

}  // namespace golf::gpu_test
