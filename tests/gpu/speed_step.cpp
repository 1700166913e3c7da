// speed_step.cpp: the self-test's part "speed/step", the benchmark of the CUDA trainer: the challenge's baseline
// (9 x 512, V 1024) in bf16 on one GPU with the challenge's batch of 524,288 tokens per step as 8 micro-batches of
// 64 x 1024 (gradient accumulation), timed through CudaBackend::train_step (wall clock, which includes the step's
// one host synchronisation): ms/step, tokens/s and MFU against 989 TFLOP/s (H100/H200 SXM dense bf16), with the
// FLOPs of train_cpu::model_train_flops_per_token. Per phase: one micro-batch's forward and backward timed with
// CUDA events on the device model; the optimizer (Muon + Adam + bf16 copy) and overheads are the step's remainder.
// Rows pass when the figures are finite and positive; they are measurements, not bounds.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cpu/model.h"          // defines: model_train_flops_per_token
#include "cuda/cuda_backend.h"  // defines: make_cuda_backend
#include "cuda/memory_plan.h"   // defines: memory_plan_build
#include "cuda/model.h"         // defines: DeviceModel, model_forward, model_backward
#include "device_buffers.h"     // defines: DeviceBuffer, time_calls
#include "selftest.h"           // defines: CheckResult, SelftestRegistrar

namespace golf::gpu_test {

namespace gc = train_cuda;

namespace {

constexpr int kRows = 64, kT = 1024, kMicro = 8;
constexpr double kPeakFlops = 989e12;  // H100 / H200 SXM, dense bf16

CheckResult speed_row(const std::string& name, double ms, bool pass, const std::string& note) {
  CheckResult r;
  r.part = "speed";
  r.name = name;
  r.shape = "baseline 9x512, 64x1024 x 8 micro";
  r.precision = "bf16";
  r.ms = ms;
  r.pass = pass;
  r.note = note;
  return r;
}

void make_tokens(size_t n, int V, int salt, std::vector<int32_t>* x, std::vector<int32_t>* y) {
  x->resize(n);
  y->resize(n);
  for (size_t i = 0; i < n; i++) {
    (*x)[i] = (int32_t)((i * 7919 + (size_t)salt * 104729) % V);
    (*y)[i] = (int32_t)(((i + 1) * 7919 + (size_t)salt * 104729) % V);
  }
}

// One micro-batch's forward and backward on the device model, timed apart.
Status time_phases(const ModelConfig& c, double* fwd_ms, double* bwd_ms) {
  gc::MemoryPlanInput in;
  in.model = c;
  in.rows = kRows;
  in.T = kT;
  in.act_bytes = 2;
  gc::MemoryPlan plan;
  GOLF_RETURN_IF_ERROR(gc::memory_plan_build(in, &plan));
  DeviceBuffer arena;
  GOLF_RETURN_IF_ERROR(arena.alloc(plan.total));
  GOLF_CUDA_CHECK(cudaMemset(arena.p, 0, plan.total));  // zero weights: timing does not depend on the values
  gc::GemmContext ctx;
  GOLF_RETURN_IF_ERROR(ctx.init(gc::Precision::bf16, gc::device_model_gemm_shapes(c, kRows * kT, 0)));
  gc::DeviceModel<gc::bf16> m;
  GOLF_RETURN_IF_ERROR(gc::device_model_init(plan, arena.p, &ctx, &m));
  std::vector<int32_t> x, y;
  make_tokens((size_t)kRows * kT, c.vocab_size, 0, &x, &y);
  GOLF_RETURN_IF_ERROR(time_calls(3, fwd_ms, [&]() {
    return gc::model_forward(&m, x.data(), y.data(), kRows, kT, m.losses, nullptr, 1.0f, nullptr);
  }));
  GOLF_RETURN_IF_ERROR(time_calls(3, bwd_ms, [&]() -> Status {
    // The backward consumes its forward: each timed call is forward + backward; the forward's time is removed.
    GOLF_RETURN_IF_ERROR(gc::model_forward(&m, x.data(), y.data(), kRows, kT, m.losses, nullptr, 1.0f, nullptr));
    return gc::model_backward(&m, nullptr);
  }));
  *bwd_ms -= *fwd_ms;
  return Status::Ok();
}

Status run_speed(const SelftestOptions& opt, std::vector<CheckResult>* out) {
  if (opt.quick || opt.skip_speed) return Status::Ok();
  const ModelConfig c = challenge_baseline_config();
  train::BackendSetup s;
  s.backend = "cuda";
  s.model = c;
  s.seed = opt.seed;
  s.seq_len = kT;
  s.train_rows = kRows;
  s.eval_rows = kRows;
  s.precision = "bf16";
  double fwd = 0, bwd = 0;
  GOLF_RETURN_IF_ERROR(time_phases(c, &fwd, &bwd));
  std::unique_ptr<train::TrainBackend> b;
  GOLF_RETURN_IF_ERROR(gc::make_cuda_backend(s, &b));
  GOLF_RETURN_IF_ERROR(b->init_params(s.seed, s.init));
  std::vector<int32_t> x, y;
  make_tokens((size_t)kMicro * kRows * kT, c.vocab_size, 1, &x, &y);
  const train::StepBatch batch{x.data(), y.data(), kMicro, kRows, kT};
  double loss = 0;
  for (int k = 0; k < 2; k++) GOLF_RETURN_IF_ERROR(b->train_step(batch, 1.0, k, &loss));  // warm-up
  const int steps = 5;
  const auto t0 = std::chrono::steady_clock::now();
  for (int k = 2; k < 2 + steps; k++) GOLF_RETURN_IF_ERROR(b->train_step(batch, 1.0, k, &loss));
  const double step_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() /
                         steps;
  const double tokens = (double)kMicro * kRows * kT;
  const double tok_s = tokens / (step_ms / 1e3);
  const double mfu = train_cpu::model_train_flops_per_token(c, kT) * tok_s / kPeakFlops;
  char note[200];
  std::snprintf(note, sizeof note, "%.0f tokens/s, MFU %.1f%% of 989 TFLOP/s, loss %.4f", tok_s, 100 * mfu, loss);
  const bool finite = std::isfinite(loss) && step_ms > 0;
  out->push_back(speed_row("train_step (524,288 tokens)", step_ms, finite, note));
  std::snprintf(note, sizeof note, "x %d micro-batches = %.1f ms", kMicro, kMicro * fwd);
  out->push_back(speed_row("phase: forward per micro-batch", fwd, fwd > 0, note));
  std::snprintf(note, sizeof note, "x %d micro-batches = %.1f ms", kMicro, kMicro * bwd);
  out->push_back(speed_row("phase: backward per micro-batch", bwd, bwd > 0, note));
  const double rest = step_ms - kMicro * (fwd + bwd);
  out->push_back(speed_row("phase: optimizer + host (remainder)", rest, true,
                           "Muon NS5 + Adam + bf16 copy + loss read-back"));
  // The backend's own per-phase events (golf-train's "phases" line) for the last step: consistent with each other.
  train::StepPhases ph;
  const bool measured = b->step_phases(&ph);
  const bool consistent = measured && ph.forward_backward > 0 && ph.optimizer > 0 && ph.ema >= 0 &&
                          ph.forward_backward + ph.optimizer + ph.ema <= ph.step * 1.001 + 0.01 &&
                          ph.allreduce_window < 0;  // one GPU: no all-reduce
  std::snprintf(note, sizeof note, "forward+backward %.2f, optimizer %.2f, ema %.2f ms (one rank: no all-reduce)",
                ph.forward_backward, ph.optimizer, ph.ema);
  out->push_back(speed_row("phases (backend events), last step", ph.step, consistent, note));
  std::printf("golf-gpu-selftest: baseline step %.1f ms, %.0f tokens/s, MFU %.1f%%\n", step_ms, tok_s, 100 * mfu);
  return Status::Ok();
}

const SelftestRegistrar kRegisterStepSpeed("speed/step", 32, run_speed);

}  // namespace

}  // namespace golf::gpu_test
