// ops_attention.cpp: the self-test's part "ops/attention": the CUDA attention kernels (trainer/cuda/attention.h)
// against their CPU twins train_cpu::attention_forward/backward.
//  - every shape in fp32 (relative Frobenius error ≤ 1e-5) and bf16 (kAttnBf16Budget of attention_math.h: out 1e-2,
//    lse 1e-5, dq/dk/dv 1e-2; the host emulation of the bf16 rounding points measures 1.7-2.5e-3 in CI). The CPU
//    runs on the same inputs (bf16-rounded in bf16 mode); the backward of both gets the CPU forward's out (rounded
//    to bf16 in bf16 mode) and lse, so each kernel is checked on its own. Outputs are filled with NaN before each
//    run, so an element a kernel leaves unwritten fails the row;
//  - each op runs twice: equal bits;
//  - the refusals: an unsupported head dim, a misaligned pointer;
//  - without --quick / --skip-speed: the bf16 kernels at the baseline shape (B=64, T=1024, H=8, KV=4, hd=64): equal
//    bits across two runs, device time and TFLOP/s, beside the README's estimate.
// dq and dk are measured against max(‖want‖, a tenth of dv's rms): at T = 1 they are zero in exact arithmetic (one
// key, probability 1) and both sides hold only rounding noise.
#include <cuda_runtime_api.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "cpu/attention.h"        // defines: train_cpu::attention_forward/backward, attention_scratch_floats
#include "cuda/attention.h"       // defines: attention_forward, attention_backward, attention_check_shape
#include "cuda/attention_math.h"  // defines: kAttnBf16Budget, bf16_round, float_bits, bits_float
#include "device_buffers.h"       // defines: DeviceBuffer, to_device, to_host
#include "selftest.h"             // defines: CheckResult, SelftestRegistrar, rel_error, bits_equal, fill_*

namespace golf::gpu_test {

namespace gc = train_cuda;
namespace tc = train_cpu;
using gc::AttentionShape;
using gc::bf16;

namespace {

// ---- timing (device memory and transfers: device_buffers.h) ---------------------------------------------------

struct Events {
  cudaEvent_t start = nullptr, stop = nullptr;
  ~Events() {
    if (start) cudaEventDestroy(start);
    if (stop) cudaEventDestroy(stop);
  }
};

// Device time in ms of `reps` calls of `fn` (which enqueues work on the default stream), per call.
template <typename Fn>
Status timed(int reps, double* ms, Fn fn) {
  Events e;
  GOLF_CUDA_CHECK(cudaEventCreate(&e.start));
  GOLF_CUDA_CHECK(cudaEventCreate(&e.stop));
  GOLF_CUDA_CHECK(cudaEventRecord(e.start, 0));
  for (int i = 0; i < reps; i++) GOLF_RETURN_IF_ERROR(fn());
  GOLF_CUDA_CHECK(cudaEventRecord(e.stop, 0));
  GOLF_CUDA_CHECK(cudaEventSynchronize(e.stop));
  float elapsed = 0;
  GOLF_CUDA_CHECK(cudaEventElapsedTime(&elapsed, e.start, e.stop));
  *ms = elapsed / reps;
  return Status::Ok();
}

// ---- comparison rows -----------------------------------------------------------------------------------------------

std::string shape_text(const AttentionShape& s) {
  return "B" + std::to_string(s.B) + " T" + std::to_string(s.T) + " H" + std::to_string(s.H) + " KV" +
         std::to_string(s.KV) + " hd" + std::to_string(s.hd);
}

CheckResult make_row(const std::string& name, const AttentionShape& s, const char* precision, double error,
                     double tolerance, bool deterministic, double ms, const std::string& note = "") {
  return compared_row("ops", name, shape_text(s), precision, error, tolerance, deterministic, ms, note);
}

double rms(const std::vector<float>& x) {
  double a = 0;
  for (float e : x) a += (double)e * e;
  return x.empty() ? 0 : std::sqrt(a / x.size());
}

// ‖got − want‖ / max(‖want‖, floor_rms·√n) (see the file comment for the floor of dq and dk).
double error_with_floor(const std::vector<float>& got, const std::vector<float>& want, double floor_rms) {
  const double rel = rel_error(got.data(), want.data(), want.size());
  const double norm = rms(want) * std::sqrt((double)want.size());
  const double floor_norm = floor_rms * std::sqrt((double)want.size());
  return norm >= floor_norm ? rel : rel * std::max(norm, 1e-30) / floor_norm;
}

// ---- one shape, one precision --------------------------------------------------------------------------------------

struct HostProblem {
  AttentionShape s;
  std::vector<float> q, k, v, dout;                 // inputs, bf16-rounded in bf16 mode
  std::vector<float> out, lse, out_in, dq, dk, dv;  // the CPU's results; out_in: the backward's `out`
};

HostProblem make_problem(AttentionShape s, bool bf16_mode, uint64_t seed) {
  HostProblem P;
  s.scale = 1.0f / std::sqrt((float)s.hd);
  P.s = s;
  const size_t nq = (size_t)s.B * s.T * s.H * s.hd, nk = (size_t)s.B * s.T * s.KV * s.hd;
  auto input = [&](std::vector<float>* x, size_t n, uint64_t stream, float std) {
    x->resize(n);
    fill_normal(x, seed * 1000003 + stream, std);
    if (bf16_mode)
      for (float& e : *x) e = gc::bf16_round(e);
  };
  input(&P.q, nq, 1, 1.5f);  // scores spread like a trained model's (q_gain > 1)
  input(&P.k, nk, 2, 1.0f);
  input(&P.v, nk, 3, 1.0f);
  input(&P.dout, nq, 4, 1.0f);
  std::vector<float> scratch(tc::attention_scratch_floats(s.T, omp_get_max_threads()));
  P.out.resize(nq);
  P.lse.resize((size_t)s.B * s.H * s.T);
  tc::attention_forward(P.out.data(), P.lse.data(), P.q.data(), P.k.data(), P.v.data(), s, scratch.data());
  P.out_in = P.out;
  if (bf16_mode)
    for (float& e : P.out_in) e = gc::bf16_round(e);
  P.dq.resize(nq);
  P.dk.resize(nk);
  P.dv.resize(nk);
  tc::attention_backward(P.dq.data(), P.dk.data(), P.dv.data(), P.dout.data(), P.out_in.data(), P.q.data(), P.k.data(),
                         P.v.data(), P.lse.data(), s, scratch.data());
  return P;
}

template <typename T>
Status check_shape(const AttentionShape& shape, uint64_t seed, std::vector<CheckResult>* rows) {
  constexpr bool kBf16 = std::is_same_v<T, bf16>;
  const char* prec = kBf16 ? "bf16" : "fp32";
  const HostProblem P = make_problem(shape, kBf16, seed);
  const AttentionShape& s = P.s;
  const double tol_out = kBf16 ? gc::kAttnBf16Budget.out : kFp32Tolerance;
  const double tol_lse = kBf16 ? gc::kAttnBf16Budget.lse : kFp32Tolerance;
  const double tol_grad = kBf16 ? gc::kAttnBf16Budget.grad : kFp32Tolerance;

  DeviceBuffer q, k, v, dout, out_in, out, lse, dq, dk, dv, scratch;
  GOLF_RETURN_IF_ERROR(to_device<T>(&q, P.q));
  GOLF_RETURN_IF_ERROR(to_device<T>(&k, P.k));
  GOLF_RETURN_IF_ERROR(to_device<T>(&v, P.v));
  GOLF_RETURN_IF_ERROR(to_device<T>(&dout, P.dout));
  GOLF_RETURN_IF_ERROR(to_device<T>(&out_in, P.out_in));
  GOLF_RETURN_IF_ERROR(out.alloc(P.q.size() * sizeof(T)));
  GOLF_RETURN_IF_ERROR(lse.alloc(P.lse.size() * sizeof(float)));
  GOLF_RETURN_IF_ERROR(dq.alloc(P.q.size() * sizeof(T)));
  GOLF_RETURN_IF_ERROR(dk.alloc(P.k.size() * sizeof(T)));
  GOLF_RETURN_IF_ERROR(dv.alloc(P.k.size() * sizeof(T)));
  GOLF_RETURN_IF_ERROR(scratch.alloc(gc::attention_backward_scratch_floats(s) * sizeof(float)));

  // Forward, twice.
  std::vector<unsigned char> raw_out[2], raw_lse[2];
  std::vector<float> got_out, got_lse;
  double ms_fwd = 0;
  for (int run = 0; run < 2; run++) {
    GOLF_RETURN_IF_ERROR(out.poison());
    GOLF_RETURN_IF_ERROR(lse.poison());
    double ms = 0;
    GOLF_RETURN_IF_ERROR(timed(1, &ms, [&] {
      return gc::attention_forward<T>(out.as<T>(), lse.as<float>(), q.as<T>(), k.as<T>(), v.as<T>(), s, 0);
    }));
    if (run == 0) ms_fwd = ms;
    GOLF_RETURN_IF_ERROR(to_host<T>(out, &got_out, &raw_out[run]));
    GOLF_RETURN_IF_ERROR(to_host<float>(lse, &got_lse, &raw_lse[run]));
  }
  const bool det_fwd = raw_out[0] == raw_out[1] && raw_lse[0] == raw_lse[1];
  rows->push_back(make_row("attention_forward out", s, prec, rel_error(got_out.data(), P.out.data(), P.out.size()),
                           tol_out, det_fwd, ms_fwd));
  rows->push_back(make_row("attention_forward lse", s, prec, rel_error(got_lse.data(), P.lse.data(), P.lse.size()),
                           tol_lse, det_fwd, ms_fwd));

  // Backward, twice, from the CPU's out and lse.
  DeviceBuffer lse_in;
  GOLF_RETURN_IF_ERROR(to_device<float>(&lse_in, P.lse));
  std::vector<unsigned char> raw[3][2];
  std::vector<float> got[3];
  DeviceBuffer* grads[3] = {&dq, &dk, &dv};
  double ms_bwd = 0;
  for (int run = 0; run < 2; run++) {
    for (DeviceBuffer* g : grads) GOLF_RETURN_IF_ERROR(g->poison());
    GOLF_RETURN_IF_ERROR(scratch.poison());
    double ms = 0;
    GOLF_RETURN_IF_ERROR(timed(1, &ms, [&] {
      return gc::attention_backward<T>(dq.as<T>(), dk.as<T>(), dv.as<T>(), dout.as<T>(), out_in.as<T>(), q.as<T>(),
                                       k.as<T>(), v.as<T>(), lse_in.as<float>(), s, scratch.as<float>(), 0);
    }));
    if (run == 0) ms_bwd = ms;
    for (int i = 0; i < 3; i++) GOLF_RETURN_IF_ERROR(to_host<T>(*grads[i], &got[i], &raw[i][run]));
  }
  const bool det_bwd = raw[0][0] == raw[0][1] && raw[1][0] == raw[1][1] && raw[2][0] == raw[2][1];
  const double floor_rms = 0.1 * rms(P.dv);
  rows->push_back(
      make_row("attention_backward dq", s, prec, error_with_floor(got[0], P.dq, floor_rms), tol_grad, det_bwd, ms_bwd));
  rows->push_back(
      make_row("attention_backward dk", s, prec, error_with_floor(got[1], P.dk, floor_rms), tol_grad, det_bwd, ms_bwd));
  rows->push_back(make_row("attention_backward dv", s, prec, rel_error(got[2].data(), P.dv.data(), P.dv.size()),
                           tol_grad, det_bwd, ms_bwd));
  return Status::Ok();
}

// ---- refusals ------------------------------------------------------------------------------------------------------

void check_refusals(std::vector<CheckResult>* rows) {
  const AttentionShape hd128{1, 16, 2, 1, 128, 0.08838835f};
  const Status st = gc::attention_check_shape(hd128);
  CheckResult r = make_row("attention refuses head dim 128", hd128, "", st.ok() ? 1 : 0, 0, true, 0, st.message());
  r.pass = st.code() == StatusCode::invalid_argument;
  rows->push_back(r);

  // A pointer off the 16-byte grid is refused before anything is launched.
  const AttentionShape s{1, 16, 2, 1, 64, 0.125f};
  DeviceBuffer buf;
  Status mis = buf.alloc(4096);
  if (mis.ok())
    mis =
        gc::attention_forward<bf16>(buf.as<bf16>(), nullptr, buf.as<bf16>() + 1, buf.as<bf16>(), buf.as<bf16>(), s, 0);
  r = make_row("attention refuses a misaligned q", s, "bf16", mis.ok() ? 1 : 0, 0, true, 0, mis.message());
  r.pass = mis.code() == StatusCode::invalid_argument;
  rows->push_back(r);
}

// ---- speed at the baseline shape -----------------------------------------------------------------------------------

// FLOPs of the causal attention products: 2·hd per (query, visible key) pair and product; the forward has 2
// products (Q·Kᵀ, P·V), the backward 5 by FlashAttention's count (Q·Kᵀ again, dO·Vᵀ, Pᵀ·dO, dSᵀ·Q, dS·K). Our
// backward runs Q·Kᵀ and dO·Vᵀ in both of its kernels (7 products), so its hardware rate is 7/5 of the one shown.
double causal_flops(const AttentionShape& s, int products) {
  const double pairs = (double)s.T * (s.T + 1) / 2;
  return 2.0 * s.hd * pairs * s.B * s.H * products;
}

Status check_speed(uint64_t seed, std::vector<CheckResult>* rows) {
  const AttentionShape s{64, 1024, 8, 4, 64, 0.125f};
  const size_t nq = (size_t)s.B * s.T * s.H * s.hd, nk = (size_t)s.B * s.T * s.KV * s.hd;
  std::vector<float> host(nq);
  DeviceBuffer q, k, v, dout, out, lse, dq, dk, dv, scratch;
  fill_uniform(&host, seed + 1, -2.0f, 2.0f);
  GOLF_RETURN_IF_ERROR(to_device<bf16>(&q, host));
  fill_uniform(&host, seed + 2, -1.0f, 1.0f);
  GOLF_RETURN_IF_ERROR(to_device<bf16>(&dout, host));
  host.resize(nk);
  fill_uniform(&host, seed + 3, -2.0f, 2.0f);
  GOLF_RETURN_IF_ERROR(to_device<bf16>(&k, host));
  fill_uniform(&host, seed + 4, -2.0f, 2.0f);
  GOLF_RETURN_IF_ERROR(to_device<bf16>(&v, host));
  GOLF_RETURN_IF_ERROR(out.alloc(nq * 2));
  GOLF_RETURN_IF_ERROR(lse.alloc((size_t)s.B * s.H * s.T * 4));
  GOLF_RETURN_IF_ERROR(dq.alloc(nq * 2));
  GOLF_RETURN_IF_ERROR(dk.alloc(nk * 2));
  GOLF_RETURN_IF_ERROR(dv.alloc(nk * 2));
  GOLF_RETURN_IF_ERROR(scratch.alloc(gc::attention_backward_scratch_floats(s) * 4));
  auto forward = [&] {
    return gc::attention_forward<bf16>(out.as<bf16>(), lse.as<float>(), q.as<bf16>(), k.as<bf16>(), v.as<bf16>(), s, 0);
  };
  auto backward = [&] {
    return gc::attention_backward<bf16>(dq.as<bf16>(), dk.as<bf16>(), dv.as<bf16>(), dout.as<bf16>(), out.as<bf16>(),
                                        q.as<bf16>(), k.as<bf16>(), v.as<bf16>(), lse.as<float>(), s,
                                        scratch.as<float>(), 0);
  };
  // Two runs of each with equal bits (and a warm-up for the timing).
  std::vector<unsigned char> first[5], second[5];
  std::vector<float> unused;
  DeviceBuffer* outputs[5] = {&out, &lse, &dq, &dk, &dv};
  for (std::vector<unsigned char>* dst : {first, second}) {
    GOLF_RETURN_IF_ERROR(forward());
    GOLF_RETURN_IF_ERROR(backward());
    GOLF_RETURN_IF_ERROR(to_host<float>(lse, &unused, &dst[1]));
    for (int i : {0, 2, 3, 4}) GOLF_RETURN_IF_ERROR(to_host<bf16>(*outputs[i], &unused, &dst[i]));
  }
  bool det_fwd = first[0] == second[0] && first[1] == second[1];
  bool det_bwd = first[2] == second[2] && first[3] == second[3] && first[4] == second[4];
  double ms_fwd = 0, ms_bwd = 0;
  GOLF_RETURN_IF_ERROR(timed(20, &ms_fwd, forward));
  GOLF_RETURN_IF_ERROR(timed(10, &ms_bwd, backward));
  char note[200];
  std::snprintf(note, sizeof note, "%.0f TFLOP/s (2 products; README expects 120-250 on H100)",
                causal_flops(s, 2) / (ms_fwd * 1e-3) / 1e12);
  CheckResult r = make_row("attention_forward speed", s, "bf16", 0, 0, det_fwd, ms_fwd, note);
  rows->push_back(r);
  std::snprintf(note, sizeof note, "%.0f TFLOP/s (5 products as FA counts, 7 run; README expects 90-180)",
                causal_flops(s, 5) / (ms_bwd * 1e-3) / 1e12);
  rows->push_back(make_row("attention_backward speed", s, "bf16", 0, 0, det_bwd, ms_bwd, note));
  return Status::Ok();
}

Status run_attention(const SelftestOptions& opt, std::vector<CheckResult>* rows) {
  // B, T, H, KV, hd: a single token; partial and exact tiles (63, 64, 150); the baseline's T; GQA ratios 2, 1, 4;
  // head dim 32 as cpu-small (4 × 32, KV 2, T 256) and tiny (2 × 32, KV 1) train with.
  std::vector<AttentionShape> shapes = {
      {1, 1, 8, 4, 64, 0}, {2, 63, 8, 4, 64, 0}, {4, 150, 4, 1, 64, 0}, {1, 150, 4, 2, 32, 0}};
  if (!opt.quick) {
    shapes.insert(shapes.end(),
                  {{3, 64, 8, 8, 64, 0}, {2, 1024, 8, 4, 64, 0}, {2, 256, 4, 2, 32, 0}, {1, 200, 2, 1, 32, 0}});
  }
  uint64_t seed = opt.seed;
  for (const AttentionShape& s : shapes) {
    GOLF_RETURN_IF_ERROR(check_shape<float>(s, ++seed, rows).prefix("fp32 " + shape_text(s) + ": "));
    GOLF_RETURN_IF_ERROR(check_shape<bf16>(s, ++seed, rows).prefix("bf16 " + shape_text(s) + ": "));
  }
  check_refusals(rows);
  if (!opt.quick && !opt.skip_speed) GOLF_RETURN_IF_ERROR(check_speed(opt.seed, rows).prefix("speed: "));
  return Status::Ok();
}

const SelftestRegistrar kRegisterAttention("ops/attention", 11, run_attention);

}  // namespace

}  // namespace golf::gpu_test
