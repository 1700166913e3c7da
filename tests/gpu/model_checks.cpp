// model_checks.cpp: the self-test's part "model": the whole CUDA model and backend against the CPU trainer.
// - model forward/backward: a small config (3 layers with a U-Net skip, hd 32, T = 100: partial attention tiles)
//   through train_cuda::model_forward/backward against train_cpu::model_forward/backward: loss, per-target NLL and
//   every gradient (flat relative Frobenius error; the worst tensor in the note); fp32 at 1e-5, bf16 at the
//   tolerances below; run twice, equal bits.
// - train 30 steps cpu-small: CudaBackend against CpuBackend from the same seed and batches, the largest relative
//   difference of the loss curves (fp32 and bf16 tolerances below).
// - checkpoints across backends: the state after those 30 steps saved by each backend and resumed on the other
//   gives the saver's step-30 loss within the forward's tolerance;
// - resume: 10 CUDA steps in one go against 5 steps, a checkpoint through a file, a new backend, 5 more steps:
//   equal losses and parameters, bit for bit; and the whole run twice, equal bits.
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cpu/matmul.h"       // defines: threads_init
#include "cpu/model.h"        // defines: model_forward, model_backward, activations_init
#include "cpu/params.h"       // defines: ParamStore, param_store_init, params_init
#include "cuda/cuda_backend.h"  // defines: make_cuda_backend
#include "cuda/memory_plan.h"   // defines: memory_plan_build
#include "cuda/model.h"         // defines: DeviceModel, device_model_init, device_model_gemm_shapes
#include "cuda/weights.h"       // defines: weights_to_bf16
#include "device_buffers.h"     // defines: DeviceBuffer
#include "params/param_io.h"    // defines: tensor_file_write, tensor_file_read
#include "selftest.h"           // defines: CheckResult, SelftestRegistrar, rel_error, bits_equal
#include "train/cpu_backend.h"  // defines: make_cpu_backend
#include "train/options.h"      // defines: apply_preset, model_config_from_options, optimizer_config_from_options

namespace golf::gpu_test {

namespace gc = train_cuda;
using gc::bf16;

namespace {

// bf16 tolerances (relative Frobenius errors against the fp32 CPU): activations are rounded to 8 bits of mantissa
// at every op, so the loss moves by about 2^-8 relative and gradients, products of many rounded factors, by more.
constexpr double kBf16LossTol = 1e-2, kBf16GradTol = 1e-1;
// 30 training steps: fp32 runs the same arithmetic in another summation order (GEMMs, reductions), which the
// optimizer amplifies a little each step; bf16 drifts by its rounding.
constexpr double kFp32CurveTol = 1e-3, kBf16CurveTol = 5e-2;

ModelConfig small_config() {
  ModelConfig c;
  c.model_dim = 64;
  c.num_layers = 3;
  c.num_heads = 2;
  c.num_kv_heads = 1;
  c.mlp_hidden = 128;
  c.vocab_size = 256;
  c.num_encoder_layers = 1;
  c.rope_dims = 32;
  c.max_seq_len = 128;
  return c;
}

CheckResult row(const std::string& name, const std::string& shape, const std::string& precision, double error,
                double tol, bool deterministic, const std::string& note) {
  return compared_row("model", name, shape, precision, error, tol, deterministic, 0, note);
}

// One forward/backward of the device model from the host parameters; loss, nll and grads back on the host.
template <typename T>
Status device_pass(const ModelConfig& c, const std::vector<float>& params, const std::vector<int32_t>& ids,
                   const std::vector<int32_t>& tg, int rows, int T_, double* loss, std::vector<float>* nll,
                   std::vector<float>* grads, std::vector<unsigned char>* grad_bits) {
  gc::MemoryPlanInput in;
  in.model = c;
  in.rows = rows;
  in.T = T_;
  in.act_bytes = sizeof(T);
  gc::MemoryPlan plan;
  GOLF_RETURN_IF_ERROR(gc::memory_plan_build(in, &plan));
  DeviceBuffer arena;
  GOLF_RETURN_IF_ERROR(arena.alloc(plan.total));
  GOLF_CUDA_CHECK(cudaMemset(arena.p, 0, plan.total));
  gc::GemmContext ctx;
  const gc::Precision p = sizeof(T) == 4 ? gc::Precision::fp32 : gc::Precision::bf16;
  GOLF_RETURN_IF_ERROR(ctx.init(p, gc::device_model_gemm_shapes(c, rows * T_, 0)));
  gc::DeviceModel<T> m;
  GOLF_RETURN_IF_ERROR(gc::device_model_init(plan, arena.p, &ctx, &m));
  const size_t total = m.layout.total;
  GOLF_CUDA_CHECK(cudaMemcpy(m.params, params.data(), total * sizeof(float), cudaMemcpyHostToDevice));
  if constexpr (sizeof(T) == 2)
    GOLF_RETURN_IF_ERROR(gc::weights_to_bf16(const_cast<bf16*>(m.weights), m.params, total, nullptr));
  GOLF_RETURN_IF_ERROR(gc::model_forward(&m, ids.data(), tg.data(), rows, T_, m.losses, m.nll, 1.0f, nullptr));
  GOLF_RETURN_IF_ERROR(gc::model_backward(&m, nullptr));
  GOLF_CUDA_CHECK(cudaDeviceSynchronize());
  GOLF_CUDA_CHECK(cudaMemcpy(loss, m.losses, sizeof(double), cudaMemcpyDeviceToHost));
  nll->resize((size_t)rows * T_);
  GOLF_CUDA_CHECK(cudaMemcpy(nll->data(), m.nll, nll->size() * sizeof(float), cudaMemcpyDeviceToHost));
  std::vector<unsigned char> raw;
  GOLF_RETURN_IF_ERROR(to_host<float>(m.grads, total, grads, &raw));
  *grad_bits = raw;
  return Status::Ok();
}

template <typename T>
Status check_forward_backward(const SelftestOptions& opt, std::vector<CheckResult>* out) {
  const ModelConfig c = small_config();
  const int rows = 2, T_ = 100, N = rows * T_;
  const std::string prec = sizeof(T) == 4 ? "fp32" : "bf16";
  train_cpu::ParamStore ps;
  GOLF_RETURN_IF_ERROR(train_cpu::param_store_init(c, &ps));
  train_cpu::params_init(&ps, opt.seed);
  std::vector<int32_t> ids, tg;
  ids.resize(N);
  fill_tokens(&ids, opt.seed + 1, c.vocab_size);
  tg.resize(N);
  fill_tokens(&tg, opt.seed + 2, c.vocab_size);
  // CPU reference.
  train_cpu::Activations a;
  GOLF_RETURN_IF_ERROR(train_cpu::activations_init(c, rows, T_, &a, true));
  double cpu_loss = 0;
  std::vector<float> cpu_nll(N);
  GOLF_RETURN_IF_ERROR(train_cpu::model_forward(ps, &a, ids.data(), tg.data(), rows, T_, &cpu_loss, cpu_nll.data()));
  GOLF_RETURN_IF_ERROR(train_cpu::model_backward(&ps, &a, 1.0f));
  std::vector<float> params(ps.params, ps.params + ps.layout.total), cpu_grads(ps.grads, ps.grads + ps.layout.total);
  // GPU, twice.
  double loss1 = 0, loss2 = 0;
  std::vector<float> nll1, nll2, g1, g2;
  std::vector<unsigned char> b1, b2;
  GOLF_RETURN_IF_ERROR(device_pass<T>(c, params, ids, tg, rows, T_, &loss1, &nll1, &g1, &b1));
  GOLF_RETURN_IF_ERROR(device_pass<T>(c, params, ids, tg, rows, T_, &loss2, &nll2, &g2, &b2));
  const bool same = loss1 == loss2 && bits_equal(nll1.data(), nll2.data(), nll1.size() * 4) && b1 == b2;
  const std::string shape = "3x64 hd32 V256 B=2 T=100";
  const double loss_err = std::fabs(loss1 - cpu_loss) / std::fabs(cpu_loss);
  const double loss_tol = sizeof(T) == 4 ? kFp32Tolerance : kBf16LossTol;
  const double grad_tol = sizeof(T) == 4 ? kFp32Tolerance : kBf16GradTol;
  char note[160];
  std::snprintf(note, sizeof note, "loss cpu %.6f gpu %.6f", cpu_loss, loss1);
  out->push_back(row("model_forward loss", shape, prec, loss_err, loss_tol, same, note));
  out->push_back(row("model_forward nll", shape, prec, rel_error(nll1.data(), cpu_nll.data(), N), loss_tol, same, ""));
  // Gradients: the flat vector, and the worst tensor named.
  double worst = 0;
  std::string worst_name;
  for (const train_cpu::ParamInfo& t : ps.layout.tensors) {
    const double e = rel_error(g1.data() + t.offset, cpu_grads.data() + t.offset, t.numel);
    if (!(e <= worst)) worst = e, worst_name = t.name;
  }
  std::snprintf(note, sizeof note, "worst tensor %s %.2e", worst_name.c_str(), worst);
  out->push_back(row("model_backward grads", shape, prec, rel_error(g1.data(), cpu_grads.data(), g1.size()),
                     grad_tol, same, note));
  return Status::Ok();
}

// Step k's batch: structured tokens (a fixed-stride walk), so the loss falls over the steps.
void make_batch(int k, int micro, int rows, int T_, int V, std::vector<int32_t>* x, std::vector<int32_t>* y) {
  const size_t n = (size_t)micro * rows * T_;
  x->resize(n);
  y->resize(n);
  for (size_t i = 0; i < n; i++) {
    (*x)[i] = (int32_t)((i * 7919 + (size_t)k * 104729) % V);
    (*y)[i] = (int32_t)(((i + 1) * 7919 + (size_t)k * 104729) % V);
  }
}

train::BackendSetup cpu_small_setup(const std::string& precision, uint64_t seed) {
  train::TrainOptions o;
  // "cpu-small" is a built-in preset: it cannot be refused.
  (void)train::apply_preset("cpu-small", &o);
  train::BackendSetup s;
  s.model = train::model_config_from_options(o, 1);
  s.optimizer = train::optimizer_config_from_options(o);
  s.init = train::init_options_from_options(o);
  s.seed = seed;
  s.seq_len = o.seq_len;
  s.train_rows = (int)(o.train_batch_tokens / o.seq_len);
  s.eval_rows = s.train_rows;
  s.precision = precision;
  return s;
}

Status run_steps(train::TrainBackend* b, const train::BackendSetup& s, int from, int to, std::vector<double>* losses) {
  std::vector<int32_t> x, y;
  for (int k = from; k < to; k++) {
    make_batch(k, 1, s.train_rows, s.seq_len, s.model.vocab_size, &x, &y);
    double loss = 0;
    const train::StepBatch batch{x.data(), y.data(), 1, s.train_rows, s.seq_len};
    GOLF_RETURN_IF_ERROR(b->train_step(batch, 1.0, k, &loss));
    losses->push_back(loss);
  }
  return Status::Ok();
}

Status check_training(const std::string& precision, const SelftestOptions& opt, std::vector<CheckResult>* out) {
  const train::BackendSetup s = cpu_small_setup(precision, opt.seed);
  std::unique_ptr<train::TrainBackend> cpu, gpu;
  train::BackendSetup cs = s;
  cs.backend = "cpu";
  GOLF_RETURN_IF_ERROR(train::make_cpu_backend(cs, &cpu));
  GOLF_RETURN_IF_ERROR(gc::make_cuda_backend(s, &gpu));
  GOLF_RETURN_IF_ERROR(cpu->init_params(s.seed, s.init));
  GOLF_RETURN_IF_ERROR(gpu->init_params(s.seed, s.init));
  std::vector<double> lc, lg;
  GOLF_RETURN_IF_ERROR(run_steps(cpu.get(), s, 0, 30, &lc));
  GOLF_RETURN_IF_ERROR(run_steps(gpu.get(), s, 0, 30, &lg));
  double worst = 0;
  for (size_t k = 0; k < lc.size(); k++) worst = std::max(worst, std::fabs(lg[k] - lc[k]) / std::fabs(lc[k]));
  char note[160];
  std::snprintf(note, sizeof note, "loss step 0: cpu %.4f gpu %.4f; step 29: cpu %.4f gpu %.4f", lc[0], lg[0],
                lc.back(), lg.back());
  out->push_back(row("train 30 steps cpu-small vs CpuBackend", "2x128 T=256 rows=32", precision, worst,
                     precision == "fp32" ? kFp32CurveTol : kBf16CurveTol, true, note));
  // Checkpoints across backends: each backend's state after 30 steps resumed on the other. Step 30's loss is the
  // forward of the loaded parameters, so the resumed backend must give the saver's loss within the forward's
  // tolerance (1e-5 in fp32, the bf16 loss tolerance otherwise).
  std::unique_ptr<train::TrainBackend> cpu2, gpu2;
  GOLF_RETURN_IF_ERROR(train::make_cpu_backend(cs, &cpu2));
  GOLF_RETURN_IF_ERROR(gc::make_cuda_backend(s, &gpu2));
  GOLF_RETURN_IF_ERROR(cpu2->init_params(s.seed + 99, s.init));
  GOLF_RETURN_IF_ERROR(gpu2->init_params(s.seed + 99, s.init));
  auto transfer = [&](train::TrainBackend* from, train::TrainBackend* to, const std::string& tag) -> Status {
    std::vector<train_cpu::TensorRef> refs;
    std::map<std::string, std::string> md;
    GOLF_RETURN_IF_ERROR(from->checkpoint_refs(&refs, &md));
    const std::string path = "/tmp/golf_gpu_selftest_" + tag + "_" + precision + ".safetensors";
    GOLF_RETURN_IF_ERROR(train_cpu::tensor_file_write(path, refs, md));
    train_cpu::TensorFile file;
    Status st = train_cpu::tensor_file_read(path, &file);
    std::remove(path.c_str());
    GOLF_RETURN_IF_ERROR(st);
    return to->checkpoint_load(file);
  };
  GOLF_RETURN_IF_ERROR(transfer(gpu.get(), cpu2.get(), "g2c"));
  GOLF_RETURN_IF_ERROR(transfer(cpu.get(), gpu2.get(), "c2g"));
  std::vector<double> l_cpu, l_gpu, l_cpu2, l_gpu2;
  GOLF_RETURN_IF_ERROR(run_steps(cpu.get(), s, 30, 31, &l_cpu));
  GOLF_RETURN_IF_ERROR(run_steps(gpu.get(), s, 30, 31, &l_gpu));
  GOLF_RETURN_IF_ERROR(run_steps(cpu2.get(), s, 30, 31, &l_cpu2));
  GOLF_RETURN_IF_ERROR(run_steps(gpu2.get(), s, 30, 31, &l_gpu2));
  const double tol = precision == "fp32" ? kFp32Tolerance : kBf16LossTol;
  std::snprintf(note, sizeof note, "step 30 loss: saved on GPU %.6f, resumed on CPU %.6f", l_gpu[0], l_cpu2[0]);
  out->push_back(row("GPU checkpoint resumed on CpuBackend", "cpu-small, step 30", precision,
                     std::fabs(l_cpu2[0] - l_gpu[0]) / std::fabs(l_gpu[0]), tol, true, note));
  std::snprintf(note, sizeof note, "step 30 loss: saved on CPU %.6f, resumed on GPU %.6f", l_cpu[0], l_gpu2[0]);
  out->push_back(row("CPU checkpoint resumed on CudaBackend", "cpu-small, step 30", precision,
                     std::fabs(l_gpu2[0] - l_cpu[0]) / std::fabs(l_cpu[0]), tol, true, note));
  return Status::Ok();
}

Status check_resume(const std::string& precision, const SelftestOptions& opt, std::vector<CheckResult>* out) {
  const train::BackendSetup s = cpu_small_setup(precision, opt.seed);
  const size_t total = [&] {
    train_cpu::ParamLayout L;
    // The cpu-small config is valid (the backends built from it check it again and report a failure).
    (void)train_cpu::param_layout_build(s.model, &L);
    return L.total;
  }();
  // A: 10 steps straight, with a checkpoint after 5.
  std::unique_ptr<train::TrainBackend> a, b, c;
  GOLF_RETURN_IF_ERROR(gc::make_cuda_backend(s, &a));
  GOLF_RETURN_IF_ERROR(a->init_params(s.seed, s.init));
  std::vector<double> la, lb, lc;
  GOLF_RETURN_IF_ERROR(run_steps(a.get(), s, 0, 5, &la));
  std::vector<train_cpu::TensorRef> refs;
  std::map<std::string, std::string> md;
  GOLF_RETURN_IF_ERROR(a->checkpoint_refs(&refs, &md));
  const std::string path = "/tmp/golf_gpu_selftest_resume_" + precision + ".safetensors";
  GOLF_RETURN_IF_ERROR(train_cpu::tensor_file_write(path, refs, md));
  GOLF_RETURN_IF_ERROR(run_steps(a.get(), s, 5, 10, &la));
  // B: a new backend resumed from the file.
  train_cpu::TensorFile file;
  GOLF_RETURN_IF_ERROR(train_cpu::tensor_file_read(path, &file));
  std::remove(path.c_str());
  GOLF_RETURN_IF_ERROR(gc::make_cuda_backend(s, &b));
  GOLF_RETURN_IF_ERROR(b->init_params(s.seed + 99, s.init));  // different, so the load must overwrite everything
  GOLF_RETURN_IF_ERROR(b->checkpoint_load(file));
  GOLF_RETURN_IF_ERROR(run_steps(b.get(), s, 5, 10, &lb));
  std::vector<float> pa(total), pb(total), pc(total);
  GOLF_RETURN_IF_ERROR(a->params_to_host(pa.data()));
  GOLF_RETURN_IF_ERROR(b->params_to_host(pb.data()));
  bool resume_same = bits_equal(pa.data(), pb.data(), total * 4);
  for (int k = 0; k < 5; k++) resume_same = resume_same && la[5 + k] == lb[k];
  out->push_back(row("save -> resume -> equal bits", "cpu-small, 5 + 5 steps", precision,
                     resume_same ? 0.0 : 1.0, 0.0, resume_same, resume_same ? "" : "losses or parameters differ"));
  // C: the same 10 steps again from the seed.
  GOLF_RETURN_IF_ERROR(gc::make_cuda_backend(s, &c));
  GOLF_RETURN_IF_ERROR(c->init_params(s.seed, s.init));
  GOLF_RETURN_IF_ERROR(run_steps(c.get(), s, 0, 10, &lc));
  GOLF_RETURN_IF_ERROR(c->params_to_host(pc.data()));
  const bool twice_same = la == lc && bits_equal(pa.data(), pc.data(), total * 4);
  out->push_back(row("10 steps twice -> equal bits", "cpu-small", precision, twice_same ? 0.0 : 1.0, 0.0, twice_same,
                     ""));
  return Status::Ok();
}

Status run_model(const SelftestOptions& opt, std::vector<CheckResult>* out) {
  train_cpu::threads_init(0);  // the CPU twins as golf-train runs them: OpenMP threads, single-threaded OpenBLAS
  GOLF_RETURN_IF_ERROR(check_forward_backward<float>(opt, out));
  GOLF_RETURN_IF_ERROR(check_forward_backward<bf16>(opt, out));
  for (const char* p : {"fp32", "bf16"}) {
    GOLF_RETURN_IF_ERROR(check_training(p, opt, out));
    if (!opt.quick) GOLF_RETURN_IF_ERROR(check_resume(p, opt, out));
  }
  return Status::Ok();
}

const SelftestRegistrar kRegisterModel("model", 20, run_model);

}  // namespace

}  // namespace golf::gpu_test
