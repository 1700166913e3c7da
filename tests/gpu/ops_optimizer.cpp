// ops_optimizer.cpp: the self-test's part "ops/optimizer": the optimizer element kernels of trainer/cuda against
// the CPU, through row_op_check.h: adam_update and adam_update_multi against train_cpu::adam_update (the same
// operation order: fp32 must give the CPU's bits, tolerance 0); Muon's element steps (muon_nesterov →
// muon_normalize → muon_apply) against train_cpu::muon_update with zero Newton–Schulz steps, which is that
// composition (fp32 1e-5; with a bf16 normalised update, from zero weights so the error is the update's: 2^-8);
// ema_update against the CPU backend's formula (bits); weights_to_bf16 against round-to-nearest-even (bits).
// Each op twice: equal bits.
#include <cuda_runtime_api.h>

#include <algorithm>
#include <string>
#include <vector>

#include "cpu/adam.h"            // defines: train_cpu::adam_update
#include "cpu/muon.h"            // defines: train_cpu::muon_update, MuonScratch
#include "cuda/adam.h"           // defines: adam_update, adam_update_multi, AdamTensor
#include "cuda/device_math.h"    // defines: bf16_round
#include "cuda/muon_momentum.h"  // defines: muon_nesterov, muon_normalize, muon_apply, muon_scratch_doubles
#include "cuda/weights.h"        // defines: ema_update, weights_to_bf16
#include "row_op_check.h"        // defines: OpTensor, check_op
#include "selftest.h"            // defines: SelftestRegistrar, fill_normal

namespace golf::gpu_test {

namespace gc = train_cuda;
namespace tc = train_cpu;
using gc::bf16;
using Kind = OpTensor::Kind;

namespace {

constexpr double kExact = -1;  // inout(): the CPU's bits expected (OpTensor::exact)

std::vector<float> normal(size_t n, uint64_t seed, float std = 1.0f) {
  std::vector<float> x(n);
  fill_normal(&x, seed, std);
  return x;
}
OpTensor in(const std::string& name, std::vector<float> v) {
  OpTensor t;
  t.name = name;
  t.values = std::move(v);
  return t;
}
OpTensor inout(const std::string& name, Kind kind, std::vector<float> start, const std::vector<float>& want,
               double tol) {
  OpTensor t;
  t.name = name;
  t.kind = kind;
  t.values = std::move(start);
  t.output = t.accumulated = true;
  t.count = want.size();
  t.want.assign(want.begin(), want.end());
  t.exact = tol == kExact;
  t.fp32_tolerance = t.exact ? 0 : tol;
  t.bf16_tolerance = t.exact ? 0 : tol;
  return t;
}
template <typename T>
T* dev(const std::vector<void*>& d, size_t i) {
  return static_cast<T*>(d[i]);
}

Status check_adam(size_t n, uint64_t seed, std::vector<CheckResult>* out) {
  const std::vector<float> p = normal(n, seed), m = normal(n, seed + 1, 0.1f), g = normal(n, seed + 2);
  std::vector<float> v = normal(n, seed + 3, 0.1f);
  for (float& e : v) e = e * e;
  const int64_t t = 7;
  std::vector<float> pw = p, mw = m, vw = v;
  tc::adam_update(pw.data(), mw.data(), vw.data(), g.data(), n, 0.03f, 0.9f, 0.95f, 1e-8f, t);
  std::vector<OpTensor> ts = {in("g", g), inout("p", Kind::fp32, p, pw, kExact), inout("m", Kind::fp32, m, mw, kExact),
                              inout("v", Kind::fp32, v, vw, kExact)};
  const std::string shape = "n=" + std::to_string(n);
  GOLF_RETURN_IF_ERROR(check_op<float>(
      "adam_update", shape, ts,
      [&](const std::vector<void*>& d) {
        return gc::adam_update(dev<float>(d, 1), dev<float>(d, 2), dev<float>(d, 3), dev<float>(d, 0), n, 0.03f, 0.9f,
                               0.95f, 1e-8f, t, 0);
      },
      out));
  // Multi-tensor: the same buffers cut into 45 tensors of different sizes and learning rates (two launches).
  std::vector<gc::AdamTensor> table;
  std::vector<float> pm = p, mm = m, vm = v;
  size_t off = 0;
  for (int k = 0; off < n; k++) {
    const size_t len = std::min(n - off, (size_t)(1 + (k * 37) % (n / 40 + 1)) + (k == 44 ? n : 0));
    const float lr = 0.01f * (1 + k % 3);
    tc::adam_update(pm.data() + off, mm.data() + off, vm.data() + off, g.data() + off, len, lr, 0.9f, 0.95f, 1e-8f, t);
    gc::AdamTensor a;
    a.n = len;
    a.lr = lr;
    a.p = reinterpret_cast<float*>(off);  // offsets now, device pointers at launch
    table.push_back(a);
    off += len;
  }
  std::vector<OpTensor> tm = {in("g", g), inout("p", Kind::fp32, p, pm, kExact), inout("m", Kind::fp32, m, mm, kExact),
                              inout("v", Kind::fp32, v, vm, kExact)};
  return check_op<float>(
      "adam_update_multi", shape + " tensors=" + std::to_string(table.size()), tm,
      [&](const std::vector<void*>& d) {
        std::vector<gc::AdamTensor> dt = table;
        for (gc::AdamTensor& a : dt) {
          const size_t o = reinterpret_cast<size_t>(a.p);
          a.p = dev<float>(d, 1) + o;
          a.m = dev<float>(d, 2) + o;
          a.v = dev<float>(d, 3) + o;
          a.g = dev<float>(d, 0) + o;
        }
        return gc::adam_update_multi(dt.data(), (int)dt.size(), 0.9f, 0.95f, 1e-8f, t, 0);
      },
      out);
}

template <typename T>
Status check_muon(int rows, int cols, uint64_t seed, std::vector<CheckResult>* out) {
  constexpr bool kB = std::is_same_v<T, bf16>;
  const size_t n = (size_t)rows * cols;
  const std::vector<float> grad = normal(n, seed), buf0 = normal(n, seed + 1), zero(n, 0.0f);
  const float lr = 0.02f, mu = 0.95f;
  std::vector<float> p = zero, b = buf0;
  tc::MuonScratch s;
  GOLF_RETURN_IF_ERROR(tc::muon_scratch_init(&s, n, std::min(rows, cols)));
  tc::muon_update(p.data(), b.data(), grad.data(), rows, cols, lr, mu, 0, &s);
  double* scratch = nullptr;
  GOLF_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&scratch), gc::muon_scratch_doubles(n) * sizeof(double)));
  T* x = nullptr;
  float* u = nullptr;
  Status st = [&]() -> Status {
    GOLF_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&x), n * sizeof(T)));
    GOLF_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&u), n * sizeof(float)));
    std::vector<OpTensor> t = {in("grad", grad), inout("buf", Kind::fp32, buf0, b, kExact),
                               inout("param", Kind::fp32, zero, p, kB ? 1.0 / 256 : kFp32Tolerance)};
    return check_op<T>(
        "muon_nesterov+normalize+apply", std::to_string(rows) + "x" + std::to_string(cols), t,
        [&](const std::vector<void*>& d) {
          GOLF_RETURN_IF_ERROR(gc::muon_nesterov(u, dev<float>(d, 1), dev<float>(d, 0), n, mu, scratch, 0));
          GOLF_RETURN_IF_ERROR(gc::muon_normalize<T>(x, u, n, scratch, 0));
          return gc::muon_apply<T>(dev<float>(d, 2), x, rows, cols, lr, 0);
        },
        out);
  }();
  cudaFree(scratch);
  if (x) cudaFree(x);
  if (u) cudaFree(u);
  return st;
}

Status check_weights(size_t n, uint64_t seed, std::vector<CheckResult>* out) {
  const std::vector<float> param = normal(n, seed), ema0 = normal(n, seed + 1);
  const float decay = 0.997f, keep = decay, take = 1.0f - decay;
  std::vector<float> ema = ema0;
  for (size_t i = 0; i < n; i++) ema[i] = keep * ema[i] + take * param[i];  // the CPU backend's ema_update
  const std::string shape = "n=" + std::to_string(n);
  std::vector<OpTensor> t = {in("param", param), inout("ema", Kind::fp32, ema0, ema, kExact)};
  GOLF_RETURN_IF_ERROR(check_op<float>(
      "ema_update", shape, t,
      [&](const std::vector<void*>& d) { return gc::ema_update(dev<float>(d, 1), dev<float>(d, 0), n, decay, 0); },
      out));
  std::vector<float> rounded = param;
  for (float& e : rounded) e = gc::bf16_round(e);
  OpTensor o;
  o.name = "out";
  o.kind = Kind::activation;  // bf16 in the bf16 instantiation of the harness
  o.output = true;
  o.count = n;
  o.want.assign(rounded.begin(), rounded.end());
  o.exact = true;
  std::vector<OpTensor> c = {in("in", param), o};
  return check_op<bf16>(
      "weights_to_bf16", shape, c,
      [&](const std::vector<void*>& d) { return gc::weights_to_bf16(dev<bf16>(d, 1), dev<float>(d, 0), n, 0); }, out);
}

Status run_optimizer(const SelftestOptions& opt, std::vector<CheckResult>* out) {
  uint64_t seed = opt.seed + 9000;
  for (size_t n : {(size_t)1, (size_t)4097, (size_t)1000003}) GOLF_RETURN_IF_ERROR(check_adam(n, seed += 10, out));
  // Square, wide, tall (the baseline's 512×512, 1024×512 fc, 512×1024 proj), odd.
  for (auto s : std::vector<std::pair<int, int>>{{1, 1}, {512, 512}, {1024, 512}, {512, 1024}, {300, 301}}) {
    GOLF_RETURN_IF_ERROR(check_muon<float>(s.first, s.second, seed += 10, out).prefix("fp32: "));
    GOLF_RETURN_IF_ERROR(check_muon<bf16>(s.first, s.second, seed += 10, out).prefix("bf16: "));
  }
  for (size_t n : {(size_t)1, (size_t)1000003}) GOLF_RETURN_IF_ERROR(check_weights(n, seed += 10, out));
  return Status::Ok();
}

const SelftestRegistrar kRegisterOptimizer("ops/optimizer", 13, run_optimizer);

}  // namespace

}  // namespace golf::gpu_test
