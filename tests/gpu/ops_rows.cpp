// ops_rows.cpp: the self-test's part "ops/rows": the row and element kernels of trainer/cuda (RMSNorm, embedding,
// residual mixing, scaled residuals, RoPE, q gain, activations, softcapped cross-entropy, and the fused kernels:
// residual + RMSNorm, QK-norm + RoPE + q gain, the fused classifier) against their CPU twins in trainer/cpu/layers.h
// (the fused ones against the CPU model's composition), through row_op_check.h: fp32 at relative error 1e-5, or
// equal bits where the kernel adds in the CPU's order (embedding backward); bf16 at kBf16Output (2^-8: these
// kernels round once, at the output, so an element is off by at most half a bf16 ulp, 2^-9 relative, on the same
// bf16-rounded inputs the CPU twin is given); fp32 statistics and parameter gradients at 1e-5 in both modes unless
// a case says otherwise; each op twice, equal bits; odd shapes (rows not a multiple of a warp or a chunk, widths
// not a multiple of 32).
#include <cuda_runtime_api.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "cpu/layers.h"          // defines: train_cpu::rms_norm_*, encoder_*, resid_mix_*, rope_*, activation_*
#include "cuda/activation.h"     // defines: activation_forward/backward
#include "cuda/classifier.h"     // defines: softcap_cross_entropy_forward/backward/fused
#include "cuda/encoder.h"        // defines: encoder_forward/backward, EncoderBuckets
#include "cuda/encoder_math.h"   // defines: encoder_buckets_plan
#include "cuda/qk_norm_rope.h"   // defines: qk_norm_rope_forward/backward, qk_norm_rope_scratch_doubles
#include "cuda/residual.h"       // defines: resid_mix_*, scaled_add_*, colsum_mul_add, colsum_scratch_doubles
#include "cuda/residual_norm.h"  // defines: resid_mix_rms_norm_forward, scaled_add_rms_norm_forward
#include "cuda/rms_norm.h"       // defines: rms_norm_forward/backward
#include "cuda/rope.h"           // defines: rope_*, head_gain_*, head_gain_scratch_doubles
#include "row_op_check.h"        // defines: OpTensor, check_op, round_if_bf16
#include "selftest.h"            // defines: SelftestRegistrar, fill_*

namespace golf::gpu_test {

namespace gc = train_cuda;
namespace tc = train_cpu;
using gc::bf16;
using Kind = OpTensor::Kind;

namespace {

constexpr double kBf16Output = 1.0 / 256;

std::vector<double> to_double(const std::vector<float>& x) { return std::vector<double>(x.begin(), x.end()); }

// Tensor builders.
OpTensor input(const std::string& name, Kind kind, std::vector<float> values) {
  OpTensor t;
  t.name = name;
  t.kind = kind;
  t.values = std::move(values);
  return t;
}
OpTensor output(const std::string& name, Kind kind, const std::vector<float>& want, double bf16_tol = kBf16Output) {
  OpTensor t;
  t.name = name;
  t.kind = kind;
  t.output = true;
  t.count = want.size();
  t.want = to_double(want);
  t.bf16_tolerance = bf16_tol;
  return t;
}
OpTensor accumulated(const std::string& name, Kind kind, std::vector<float> start, const std::vector<float>& want,
                     double bf16_tol = kBf16Output) {
  OpTensor t = output(name, kind, want, bf16_tol);
  t.values = std::move(start);
  t.accumulated = true;
  return t;
}
std::vector<float> normal(size_t n, uint64_t seed, float std, bool bf16_mode) {
  std::vector<float> x(n);
  fill_normal(&x, seed, std);
  round_if_bf16(&x, bf16_mode);
  return x;
}
// Device scratch for the fixed-order reductions.
struct DeviceScratch {
  double* p = nullptr;
  ~DeviceScratch() {
    if (p) cudaFree(p);
  }
  Status alloc(size_t doubles) {
    GOLF_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&p), std::max<size_t>(doubles, 1) * sizeof(double)));
    return Status::Ok();
  }
};

template <typename T>
T* dev(const std::vector<void*>& d, size_t i) {
  return static_cast<T*>(d[i]);
}
std::string rc(int rows, int cols) { return "rows=" + std::to_string(rows) + " cols=" + std::to_string(cols); }

// ---- RMSNorm -----------------------------------------------------------------------------------------------------

template <typename T>
Status check_rms_norm(int rows, int cols, uint64_t seed, std::vector<CheckResult>* out) {
  constexpr bool kB = std::is_same_v<T, bf16>;
  const size_t n = (size_t)rows * cols;
  const float eps = 1e-6f;
  const std::vector<float> x = normal(n, seed, 2.0f, kB), dy = normal(n, seed + 1, 1.0f, kB);
  std::vector<float> y(n), rstd(rows);
  tc::rms_norm_forward(y.data(), rstd.data(), x.data(), rows, cols, eps);
  {
    std::vector<OpTensor> t = {input("x", Kind::activation, x), output("out", Kind::activation, y),
                               output("rstd", Kind::fp32, rstd)};
    GOLF_RETURN_IF_ERROR(check_op<T>(
        "rms_norm_forward", rc(rows, cols), t,
        [&](const std::vector<void*>& d) {
          return gc::rms_norm_forward<T>(dev<T>(d, 1), dev<float>(d, 2), dev<T>(d, 0), rows, cols, eps, 0);
        },
        out));
  }
  // Backward from the CPU's y (rounded to bf16 in bf16 mode, as the GPU forward stores it), both modes of din.
  std::vector<float> y_in = y;
  round_if_bf16(&y_in, kB);
  for (bool acc : {false, true}) {
    std::vector<float> start = normal(n, seed + 2, 1.0f, kB), din = start;
    tc::rms_norm_backward(din.data(), dy.data(), y_in.data(), rstd.data(), rows, cols, acc);
    std::vector<OpTensor> t = {
        input("dout", Kind::activation, dy), input("y", Kind::activation, y_in), input("rstd", Kind::fp32, rstd),
        acc ? accumulated("din (accumulate)", Kind::activation, start, din) : output("din", Kind::activation, din)};
    GOLF_RETURN_IF_ERROR(check_op<T>(
        "rms_norm_backward", rc(rows, cols), t,
        [&](const std::vector<void*>& d) {
          return gc::rms_norm_backward<T>(dev<T>(d, 3), dev<T>(d, 0), dev<T>(d, 1), dev<float>(d, 2), rows, cols, acc,
                                          0);
        },
        out));
  }
  return Status::Ok();
}

// ---- embedding ---------------------------------------------------------------------------------------------------

template <typename T>
Status check_encoder(int N, int d, int V, uint64_t seed, std::vector<CheckResult>* out) {
  constexpr bool kB = std::is_same_v<T, bf16>;
  std::vector<int32_t> ids(N);
  fill_tokens(&ids, seed, V);
  for (int n = 0; n < N; n += 3) ids[n] = 1;  // a frequent id: one long bucket
  const std::vector<float> table = normal((size_t)V * d, seed + 1, 1.0f, false);
  const std::vector<float> dout = normal((size_t)N * d, seed + 2, 1.0f, kB);
  std::vector<float> emb((size_t)N * d);
  tc::encoder_forward(emb.data(), ids.data(), table.data(), N, d);
  const std::string shape = "N=" + std::to_string(N) + " d=" + std::to_string(d) + " V=" + std::to_string(V);
  {
    OpTensor id = input("ids", Kind::int32, {});
    id.ints = ids;
    std::vector<OpTensor> t = {id, input("tok_emb", Kind::fp32, table), output("out", Kind::activation, emb)};
    GOLF_RETURN_IF_ERROR(check_op<T>(
        "encoder_forward", shape, t,
        [&](const std::vector<void*>& dv) {
          return gc::encoder_forward<T>(dev<T>(dv, 2), dev<int32_t>(dv, 0), dev<float>(dv, 1), N, d, 0);
        },
        out));
  }
  {
    // The fused embedding + first RMSNorm against the CPU's encoder_forward → rms_norm_forward.
    std::vector<float> xn = emb, rstd(N);
    tc::rms_norm_forward(xn.data(), rstd.data(), xn.data(), N, d, 1e-6f);
    OpTensor id = input("ids", Kind::int32, {});
    id.ints = ids;
    std::vector<OpTensor> t = {id, input("tok_emb", Kind::fp32, table), output("out", Kind::activation, xn),
                               output("rstd", Kind::fp32, rstd)};
    GOLF_RETURN_IF_ERROR(check_op<T>(
        "encoder_rms_norm_forward", shape, t,
        [&](const std::vector<void*>& dv) {
          return gc::encoder_rms_norm_forward<T>(dev<T>(dv, 2), dev<float>(dv, 3), dev<int32_t>(dv, 0),
                                                 dev<float>(dv, 1), N, d, 1e-6f, 0);
        },
        out));
  }
  std::vector<int32_t> order(N), start(std::min(N, V) + 1), scratch(V + 1);
  const int buckets = gc::encoder_buckets_plan(ids.data(), N, V, order.data(), start.data(), scratch.data());
  if (buckets < 0) return Status(StatusCode::invalid_argument, "encoder_buckets_plan refused valid ids");
  start.resize(buckets + 1);
  const std::vector<float> init = normal((size_t)V * d, seed + 3, 1.0f, false);
  std::vector<float> grad = init;
  tc::encoder_backward(grad.data(), dout.data(), ids.data(), N, d);
  OpTensor id = input("ids", Kind::int32, {}), ord = input("order", Kind::int32, {}),
           st = input("start", Kind::int32, {});
  id.ints = ids;
  ord.ints = order;
  st.ints = start;
  // The same additions in the same order as the CPU: fp32 must be exact; bf16 too, on the same rounded dout.
  OpTensor g = accumulated("dtok_emb", Kind::fp32, init, grad);
  g.exact = true;
  std::vector<OpTensor> t = {id, ord, st, input("dout", Kind::activation, dout), g};
  return check_op<T>(
      "encoder_backward", shape, t,
      [&](const std::vector<void*>& dv) {
        gc::EncoderBuckets b;
        b.order = dev<int32_t>(dv, 1);
        b.start = dev<int32_t>(dv, 2);
        b.count = buckets;
        return gc::encoder_backward<T>(dev<float>(dv, 4), dev<T>(dv, 3), dev<int32_t>(dv, 0), N, d, b, 0);
      },
      out);
}

// ---- residual stream -------------------------------------------------------------------------------------------

template <typename T>
Status check_residual(int N, int d, uint64_t seed, std::vector<CheckResult>* out) {
  constexpr bool kB = std::is_same_v<T, bf16>;
  const size_t n = (size_t)N * d;
  const std::string shape = rc(N, d);
  const std::vector<float> x = normal(n, seed, 1.0f, kB), x0 = normal(n, seed + 1, 1.0f, kB),
                           dout = normal(n, seed + 2, 1.0f, kB), start = normal(n, seed + 3, 1.0f, kB);
  const std::vector<float> mix = normal(2 * (size_t)d, seed + 4, 1.0f, false),
                           dmix0 = normal(2 * (size_t)d, seed + 5, 1.0f, false);
  const std::vector<float> scale = normal(d, seed + 6, 0.5f, false), dscale0 = normal(d, seed + 7, 1.0f, false);
  DeviceScratch scratch;
  GOLF_RETURN_IF_ERROR(scratch.alloc(gc::colsum_scratch_doubles(N, d)));
  {
    std::vector<float> want(n);
    tc::resid_mix_forward(want.data(), x.data(), x0.data(), mix.data(), N, d);
    std::vector<OpTensor> t = {input("x", Kind::activation, x), input("x0", Kind::activation, x0),
                               input("mix", Kind::fp32, mix), output("out", Kind::activation, want)};
    GOLF_RETURN_IF_ERROR(check_op<T>(
        "resid_mix_forward", shape, t,
        [&](const std::vector<void*>& v) {
          return gc::resid_mix_forward<T>(dev<T>(v, 3), dev<T>(v, 0), dev<T>(v, 1), dev<float>(v, 2), N, d, 0);
        },
        out));
  }
  {
    std::vector<float> dx(n), dx0 = start, dmix = dmix0;
    tc::resid_mix_backward(dx.data(), dx0.data(), dmix.data(), dout.data(), x.data(), x0.data(), mix.data(), N, d);
    std::vector<OpTensor> t = {
        input("dout", Kind::activation, dout),       input("x", Kind::activation, x),
        input("x0", Kind::activation, x0),           input("mix", Kind::fp32, mix),
        output("dx", Kind::activation, dx),          accumulated("dx0", Kind::activation, start, dx0),
        accumulated("dmix", Kind::fp32, dmix0, dmix)};
    GOLF_RETURN_IF_ERROR(check_op<T>(
        "resid_mix_backward", shape, t,
        [&](const std::vector<void*>& v) {
          return gc::resid_mix_backward<T>(dev<T>(v, 4), dev<T>(v, 5), dev<float>(v, 6), dev<T>(v, 0), dev<T>(v, 1),
                                           dev<T>(v, 2), dev<float>(v, 3), N, d, scratch.p, 0);
        },
        out));
  }
  {
    std::vector<float> want(n);
    tc::scaled_add_forward(want.data(), x.data(), scale.data(), x0.data(), N, d);
    std::vector<OpTensor> t = {input("x", Kind::activation, x), input("scale", Kind::fp32, scale),
                               input("y", Kind::activation, x0), output("out", Kind::activation, want)};
    GOLF_RETURN_IF_ERROR(check_op<T>(
        "scaled_add_forward", shape, t,
        [&](const std::vector<void*>& v) {
          return gc::scaled_add_forward<T>(dev<T>(v, 3), dev<T>(v, 0), dev<float>(v, 1), dev<T>(v, 2), N, d, 0);
        },
        out));
  }
  for (bool acc : {false, true}) {
    std::vector<float> dy = acc ? start : std::vector<float>(n), ds = dscale0;
    tc::scaled_add_backward(dy.data(), ds.data(), dout.data(), x0.data(), scale.data(), N, d, acc);
    std::vector<OpTensor> t = {
        input("dout", Kind::activation, dout), input("y", Kind::activation, x0), input("scale", Kind::fp32, scale),
        acc ? accumulated("dy (accumulate)", Kind::activation, start, dy) : output("dy", Kind::activation, dy),
        accumulated("dscale", Kind::fp32, dscale0, ds)};
    GOLF_RETURN_IF_ERROR(check_op<T>(
        "scaled_add_backward", shape, t,
        [&](const std::vector<void*>& v) {
          return gc::scaled_add_backward<T>(dev<T>(v, 3), dev<float>(v, 4), dev<T>(v, 0), dev<T>(v, 1),
                                            dev<float>(v, 2), N, d, acc, scratch.p, 0);
        },
        out));
  }
  return Status::Ok();
}

// ---- residual + RMSNorm fused -------------------------------------------------------------------------------------
// Twin: the CPU's resid_mix_forward (or scaled_add_forward) → rms_norm_forward on the same inputs.

template <typename T>
Status check_residual_norm(int N, int d, bool is_mix, uint64_t seed, std::vector<CheckResult>* out) {
  constexpr bool kB = std::is_same_v<T, bf16>;
  const size_t n = (size_t)N * d;
  const float eps = 1e-6f;
  const std::vector<float> x = normal(n, seed, 1.0f, kB), x0 = normal(n, seed + 1, 1.0f, kB);
  const std::vector<float> mix = normal(2 * (size_t)d, seed + 2, 1.0f, false), scale = normal(d, seed + 3, 1.0f, false);
  std::vector<float> res(n), xn(n), rstd(N);
  if (is_mix)
    tc::resid_mix_forward(res.data(), x.data(), x0.data(), mix.data(), N, d);
  else
    tc::scaled_add_forward(res.data(), x.data(), scale.data(), x0.data(), N, d);
  tc::rms_norm_forward(xn.data(), rstd.data(), res.data(), N, d, eps);
  std::vector<OpTensor> t = {input("x", Kind::activation, x),
                             input("x0 / y", Kind::activation, x0),
                             input(is_mix ? "mix" : "scale", Kind::fp32, is_mix ? mix : scale),
                             output(is_mix ? "xm" : "out", Kind::activation, res),
                             output("xn", Kind::activation, xn),
                             output("rstd", Kind::fp32, rstd)};
  return check_op<T>(
      is_mix ? "resid_mix_rms_norm_forward" : "scaled_add_rms_norm_forward", rc(N, d), t,
      [&](const std::vector<void*>& v) {
        return is_mix ? gc::resid_mix_rms_norm_forward<T>(dev<T>(v, 3), dev<T>(v, 4), dev<float>(v, 5), dev<T>(v, 0),
                                                          dev<T>(v, 1), dev<float>(v, 2), N, d, eps, 0)
                      : gc::scaled_add_rms_norm_forward<T>(dev<T>(v, 3), dev<T>(v, 4), dev<float>(v, 5), dev<T>(v, 0),
                                                           dev<float>(v, 2), dev<T>(v, 1), N, d, eps, 0);
      },
      out);
}

// ---- RoPE and q gain ---------------------------------------------------------------------------------------------

template <typename T>
Status check_rope(int N, int T_, int heads, int hd, int rd, uint64_t seed, std::vector<CheckResult>* out) {
  constexpr bool kB = std::is_same_v<T, bf16>;
  const size_t n = (size_t)N * heads * hd, half = rd / 2 > 0 ? rd / 2 : 1;
  const std::string shape = "N=" + std::to_string(N) + " T=" + std::to_string(T_) + " heads=" + std::to_string(heads) +
                            " hd=" + std::to_string(hd) + " rd=" + std::to_string(rd);
  const std::vector<float> x = normal(n, seed, 1.0f, kB), cos_t = normal((size_t)T_ * half, seed + 1, 1.0f, false),
                           sin_t = normal((size_t)T_ * half, seed + 2, 1.0f, false);
  for (bool backward : {false, true}) {
    std::vector<float> want(n);
    if (backward)
      tc::rope_backward(want.data(), x.data(), cos_t.data(), sin_t.data(), N, T_, heads, hd, rd);
    else
      tc::rope_forward(want.data(), x.data(), cos_t.data(), sin_t.data(), N, T_, heads, hd, rd);
    std::vector<OpTensor> t = {input("in", Kind::activation, x), input("cos", Kind::fp32, cos_t),
                               input("sin", Kind::fp32, sin_t), output("out", Kind::activation, want)};
    GOLF_RETURN_IF_ERROR(check_op<T>(
        backward ? "rope_backward" : "rope_forward", shape, t,
        [&](const std::vector<void*>& v) {
          return backward ? gc::rope_backward<T>(dev<T>(v, 3), dev<T>(v, 0), dev<float>(v, 1), dev<float>(v, 2), N, T_,
                                                 heads, hd, rd, 0)
                          : gc::rope_forward<T>(dev<T>(v, 3), dev<T>(v, 0), dev<float>(v, 1), dev<float>(v, 2), N, T_,
                                                heads, hd, rd, 0);
        },
        out));
  }
  const std::vector<float> gain = normal(heads, seed + 3, 1.0f, false), dgain0 = normal(heads, seed + 4, 1.0f, false);
  const std::vector<float> dout = normal(n, seed + 5, 1.0f, kB);
  {
    std::vector<float> want(n);
    tc::head_gain_forward(want.data(), x.data(), gain.data(), N, heads, hd);
    std::vector<OpTensor> t = {input("in", Kind::activation, x), input("gain", Kind::fp32, gain),
                               output("out", Kind::activation, want)};
    GOLF_RETURN_IF_ERROR(check_op<T>(
        "head_gain_forward", shape, t,
        [&](const std::vector<void*>& v) {
          return gc::head_gain_forward<T>(dev<T>(v, 2), dev<T>(v, 0), dev<float>(v, 1), N, heads, hd, 0);
        },
        out));
  }
  std::vector<float> din(n), dgain = dgain0;
  tc::head_gain_backward(din.data(), dgain.data(), dout.data(), x.data(), gain.data(), N, heads, hd);
  DeviceScratch scratch;
  GOLF_RETURN_IF_ERROR(scratch.alloc(gc::head_gain_scratch_doubles(N, heads, hd)));
  std::vector<OpTensor> t = {input("dout", Kind::activation, dout), input("in", Kind::activation, x),
                             input("gain", Kind::fp32, gain), output("din", Kind::activation, din),
                             accumulated("dgain", Kind::fp32, dgain0, dgain)};
  return check_op<T>(
      "head_gain_backward", shape, t,
      [&](const std::vector<void*>& v) {
        return gc::head_gain_backward<T>(dev<T>(v, 3), dev<float>(v, 4), dev<T>(v, 0), dev<T>(v, 1), dev<float>(v, 2),
                                         N, heads, hd, scratch.p, 0);
      },
      out);
}

// ---- fused QK-norm + RoPE + q gain --------------------------------------------------------------------------------
// Twin: the CPU model's composition rms_norm → rope → head_gain, and head_gain_backward → rope_backward →
// rms_norm_backward. In bf16 mode the CPU backward starts from the y the GPU forward stores (rounded to bf16).

template <typename T>
Status check_qk_norm_rope(int N, int T_, int heads, int hd, int rd, bool with_gain, uint64_t seed,
                          std::vector<CheckResult>* out) {
  constexpr bool kB = std::is_same_v<T, bf16>;
  const int rows = N * heads, half = rd / 2 > 0 ? rd / 2 : 1;
  const size_t n = (size_t)rows * hd;
  const float eps = 1e-6f;
  const std::string shape = "N=" + std::to_string(N) + " T=" + std::to_string(T_) + " heads=" + std::to_string(heads) +
                            " hd=" + std::to_string(hd) + " rd=" + std::to_string(rd) + (with_gain ? " gain" : "");
  const std::vector<float> x = normal(n, seed, 3.0f, kB), dout = normal(n, seed + 1, 1.0f, kB),
                           cos_t = normal((size_t)T_ * half, seed + 2, 1.0f, false),
                           sin_t = normal((size_t)T_ * half, seed + 3, 1.0f, false),
                           gain = normal(heads, seed + 4, 1.0f, false), dgain0 = normal(heads, seed + 5, 1.0f, false);
  std::vector<float> y(n), rstd(rows), qr(n), qf(n);
  tc::rms_norm_forward(y.data(), rstd.data(), x.data(), rows, hd, eps);
  tc::rope_forward(qr.data(), y.data(), cos_t.data(), sin_t.data(), N, T_, heads, hd, rd);
  if (with_gain)
    tc::head_gain_forward(qf.data(), qr.data(), gain.data(), N, heads, hd);
  else
    qf = qr;
  {
    std::vector<OpTensor> t = {input("in", Kind::activation, x),    input("gain", Kind::fp32, gain),
                               input("cos", Kind::fp32, cos_t),     input("sin", Kind::fp32, sin_t),
                               output("out", Kind::activation, qf), output("y", Kind::activation, y),
                               output("rstd", Kind::fp32, rstd)};
    GOLF_RETURN_IF_ERROR(check_op<T>(
        "qk_norm_rope_forward", shape, t,
        [&](const std::vector<void*>& v) {
          return gc::qk_norm_rope_forward<T>(dev<T>(v, 4), dev<T>(v, 5), dev<float>(v, 6), dev<T>(v, 0),
                                             with_gain ? dev<float>(v, 1) : nullptr, dev<float>(v, 2), dev<float>(v, 3),
                                             N, T_, heads, hd, rd, eps, 0);
        },
        out));
  }
  std::vector<float> y_in = y;
  round_if_bf16(&y_in, kB);
  std::vector<float> qr_in(n), d = dout, dgain = dgain0;
  tc::rope_forward(qr_in.data(), y_in.data(), cos_t.data(), sin_t.data(), N, T_, heads, hd, rd);
  if (with_gain) tc::head_gain_backward(d.data(), dgain.data(), d.data(), qr_in.data(), gain.data(), N, heads, hd);
  tc::rope_backward(d.data(), d.data(), cos_t.data(), sin_t.data(), N, T_, heads, hd, rd);
  tc::rms_norm_backward(d.data(), d.data(), y_in.data(), rstd.data(), rows, hd, false);
  DeviceScratch scratch;
  GOLF_RETURN_IF_ERROR(scratch.alloc(gc::qk_norm_rope_scratch_doubles(N, heads)));
  std::vector<OpTensor> t = {
      input("dout", Kind::activation, dout), input("y", Kind::activation, y_in),
      input("rstd", Kind::fp32, rstd),       input("gain", Kind::fp32, gain),
      input("cos", Kind::fp32, cos_t),       input("sin", Kind::fp32, sin_t),
      output("din", Kind::activation, d),    accumulated("dgain", Kind::fp32, dgain0, with_gain ? dgain : dgain0)};
  return check_op<T>(
      "qk_norm_rope_backward", shape, t,
      [&](const std::vector<void*>& v) {
        return gc::qk_norm_rope_backward<T>(dev<T>(v, 6), dev<float>(v, 7), dev<T>(v, 0), dev<T>(v, 1),
                                            dev<float>(v, 2), with_gain ? dev<float>(v, 3) : nullptr, dev<float>(v, 4),
                                            dev<float>(v, 5), N, T_, heads, hd, rd, scratch.p, 0);
      },
      out);
}

// ---- MLP activation ----------------------------------------------------------------------------------------------

template <typename T>
Status check_activation(size_t n, float slope, uint64_t seed, std::vector<CheckResult>* out) {
  constexpr bool kB = std::is_same_v<T, bf16>;
  const std::string shape = "n=" + std::to_string(n) + " slope=" + std::to_string(slope);
  const std::vector<float> x = normal(n, seed, 2.0f, kB), dout = normal(n, seed + 1, 1.0f, kB);
  std::vector<float> y(n), dx(n);
  tc::activation_forward(y.data(), x.data(), n, slope);
  tc::activation_backward(dx.data(), dout.data(), x.data(), n, slope);
  {
    std::vector<OpTensor> t = {input("in", Kind::activation, x), output("out", Kind::activation, y)};
    GOLF_RETURN_IF_ERROR(check_op<T>(
        "activation_forward", shape, t,
        [&](const std::vector<void*>& v) { return gc::activation_forward<T>(dev<T>(v, 1), dev<T>(v, 0), n, slope, 0); },
        out));
  }
  std::vector<OpTensor> t = {input("dout", Kind::activation, dout), input("in", Kind::activation, x),
                             output("din", Kind::activation, dx)};
  return check_op<T>(
      "activation_backward", shape, t,
      [&](const std::vector<void*>& v) {
        return gc::activation_backward<T>(dev<T>(v, 2), dev<T>(v, 0), dev<T>(v, 1), n, slope, 0);
      },
      out);
}

// ---- softcapped cross-entropy ------------------------------------------------------------------------------------

template <typename T>
Status check_classifier(int N, int V, float cap, uint64_t seed, std::vector<CheckResult>* out) {
  constexpr bool kB = std::is_same_v<T, bf16>;
  const std::string shape = "N=" + std::to_string(N) + " V=" + std::to_string(V) + " cap=" + std::to_string((int)cap);
  const std::vector<float> raw = normal((size_t)N * V, seed, 8.0f, kB);  // spread so that the cap bends
  std::vector<int32_t> targets(N);
  fill_tokens(&targets, seed + 1, V);
  const float dloss = 1.0f / N;
  // The CPU: forward (z, lse, nll, loss), then backward from that z.
  std::vector<float> z = raw, lse(N), nll(N);
  double loss = 0;
  tc::softcap_cross_entropy_forward(z.data(), lse.data(), nll.data(), &loss, targets.data(), N, V, cap);
  std::vector<float> draw = z;
  tc::softcap_cross_entropy_backward(draw.data(), lse.data(), targets.data(), N, V, cap, dloss);
  OpTensor tg = input("targets", Kind::int32, {});
  tg.ints = targets;
  {
    std::vector<OpTensor> t = {tg, accumulated("z", Kind::activation, raw, z), output("lse", Kind::fp32, lse),
                               output("nll", Kind::fp32, nll), output("loss", Kind::fp64, {(float)loss})};
    t.back().want = {loss};
    GOLF_RETURN_IF_ERROR(check_op<T>(
        "softcap_cross_entropy_forward", shape, t,
        [&](const std::vector<void*>& v) {
          return gc::softcap_cross_entropy_forward<T>(dev<T>(v, 1), dev<float>(v, 2), dev<float>(v, 3),
                                                      dev<double>(v, 4), dev<int32_t>(v, 0), N, V, cap, 0);
        },
        out));
  }
  {
    // From z as the GPU forward stores it (bf16 in bf16 mode): the CPU backward on the same rounded z.
    std::vector<float> z_in = z;
    round_if_bf16(&z_in, kB);
    std::vector<float> want = z_in;
    tc::softcap_cross_entropy_backward(want.data(), lse.data(), targets.data(), N, V, cap, dloss);
    std::vector<OpTensor> t = {tg, input("lse", Kind::fp32, lse), accumulated("d raw", Kind::activation, z_in, want)};
    GOLF_RETURN_IF_ERROR(check_op<T>(
        "softcap_cross_entropy_backward", shape, t,
        [&](const std::vector<void*>& v) {
          return gc::softcap_cross_entropy_backward<T>(dev<T>(v, 2), dev<float>(v, 1), dev<int32_t>(v, 0), N, V, cap,
                                                       dloss, 0);
        },
        out));
  }
  std::vector<OpTensor> t = {tg, accumulated("d raw", Kind::activation, raw, draw), output("lse", Kind::fp32, lse),
                             output("nll", Kind::fp32, nll), output("loss", Kind::fp64, {(float)loss})};
  t.back().want = {loss};
  return check_op<T>(
      "softcap_cross_entropy_fused", shape, t,
      [&](const std::vector<void*>& v) {
        return gc::softcap_cross_entropy_fused<T>(dev<T>(v, 1), dev<float>(v, 2), dev<float>(v, 3), dev<double>(v, 4),
                                                  dev<int32_t>(v, 0), N, V, cap, dloss, 0);
      },
      out);
}

template <typename T>
Status run_rows_precision(const SelftestOptions& opt, std::vector<CheckResult>* out) {
  uint64_t seed = opt.seed + (std::is_same_v<T, bf16> ? 500 : 0);
  // (rows, cols): QK-norm widths 32 and 64, the model's 512, widths off the warp grid, a single row.
  for (auto rcs : std::vector<std::pair<int, int>>{{1, 512}, {37, 64}, {150, 32}, {259, 512}, {33, 100}, {5, 7}})
    GOLF_RETURN_IF_ERROR(check_rms_norm<T>(rcs.first, rcs.second, seed += 10, out));
  for (auto s : std::vector<std::array<int, 3>>{{1, 512, 1024}, {150, 64, 50}, {1000, 33, 7}})
    GOLF_RETURN_IF_ERROR(check_encoder<T>(s[0], s[1], s[2], seed += 10, out));
  // Rows off the 128-row chunk grid (1, 129, 1000), exactly one chunk (128), widths off the 128-column blocks.
  for (auto rcs : std::vector<std::pair<int, int>>{{1, 512}, {128, 64}, {129, 33}, {1000, 512}})
    GOLF_RETURN_IF_ERROR(check_residual<T>(rcs.first, rcs.second, seed += 10, out));
  for (auto rcs : std::vector<std::pair<int, int>>{{1, 512}, {259, 512}, {33, 100}})
    for (bool is_mix : {true, false})
      GOLF_RETURN_IF_ERROR(check_residual_norm<T>(rcs.first, rcs.second, is_mix, seed += 10, out));
  // (N, T, heads, hd, rd): the baseline's heads (8 × 64, full rope), partial rope_dims, rope off, cpu-small's hd 32.
  for (auto s : std::vector<std::array<int, 5>>{
           {2048, 1024, 8, 64, 64}, {150, 150, 4, 64, 16}, {33, 11, 2, 32, 0}, {300, 256, 4, 32, 32}})
    GOLF_RETURN_IF_ERROR(check_rope<T>(s[0], s[1], s[2], s[3], s[4], seed += 10, out));
  // (N, T, heads, hd, rd, gain): q and k of the baseline, partial rope, rope off, cpu-small's hd 32, hd 128.
  GOLF_RETURN_IF_ERROR(check_qk_norm_rope<T>(2048, 1024, 8, 64, 64, true, seed += 10, out));
  GOLF_RETURN_IF_ERROR(check_qk_norm_rope<T>(2048, 1024, 4, 64, 64, false, seed += 10, out));
  GOLF_RETURN_IF_ERROR(check_qk_norm_rope<T>(150, 150, 4, 64, 16, true, seed += 10, out));
  GOLF_RETURN_IF_ERROR(check_qk_norm_rope<T>(33, 11, 2, 32, 0, true, seed += 10, out));
  GOLF_RETURN_IF_ERROR(check_qk_norm_rope<T>(129, 64, 1, 128, 128, true, seed += 10, out));
  for (size_t n : {(size_t)1, (size_t)1000003})
    for (float slope : {0.0f, 0.5f}) GOLF_RETURN_IF_ERROR(check_activation<T>(n, slope, seed += 10, out));
  // (N, V): the baseline's V = 1024 with and without the softcap, V off the block width, a tiny vocabulary.
  for (auto s : std::vector<std::pair<int, int>>{{1, 1024}, {150, 1024}, {33, 1000}, {5, 7}})
    for (float cap : {30.0f, 0.0f}) GOLF_RETURN_IF_ERROR(check_classifier<T>(s.first, s.second, cap, seed += 10, out));
  return Status::Ok();
}

Status run_rows(const SelftestOptions& opt, std::vector<CheckResult>* out) {
  GOLF_RETURN_IF_ERROR(run_rows_precision<float>(opt, out).prefix("fp32: "));
  GOLF_RETURN_IF_ERROR(run_rows_precision<bf16>(opt, out).prefix("bf16: "));
  return Status::Ok();
}

const SelftestRegistrar kRegisterRows("ops/rows", 12, run_rows);

}  // namespace

}  // namespace golf::gpu_test
