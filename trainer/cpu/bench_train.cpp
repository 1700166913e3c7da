// bench_train.cpp: golf-bench-train, the CPU trainer's throughput figures (not a test): training tokens/s for a full
// step (forward + backward + optimizer) with a split into the three phases, medians over timed steps.
// Compare with tests/reference/bench_torch_train.py, which times the PyTorch reference on the same shapes and reads
// the RESULT lines printed here. On a machine shared with other jobs, run with OMP_WAIT_POLICY=passive (and the
// same for the PyTorch side): OpenMP's default spin-waiting at every barrier collapses when cores are oversubscribed.
//   golf-bench-train [--threads N] [--steps S] [--config cpu-small|baseline|all] [--batch B] [--seq T]
//   golf-bench-train --backend cuda [--precision bf16|fp32] [--micro K] [--peak-tflops X] [...]: one GPU through the
//   CUDA backend module (bench_train_cuda.cpp); defaults: baseline, B = 64, T = 1024, 8 micro-batches.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "args.h"         // defines: golf::cli::ArgParser
#include "params/init.h"  // defines: params_init, rng_hash
#include "bench_train_cuda.h"  // defines: bench_train_cuda
#include "matmul.h"     // defines: threads_init, threads_count
#include "model.h"      // defines: Activations, model_forward, model_backward, model_train_flops_per_token
#include "optimizer.h"  // defines: OptimizerState, optimizer_step

using namespace golf;
using namespace golf::train_cpu;

struct BenchConfig {
  std::string name;
  ModelConfig model;
  int B, T;
};

static std::vector<BenchConfig> bench_configs() {
  ModelConfig small;  // a cpu-small-like shape: 4 × 256, 4 heads / 2 KV, MLP 512
  small.vocab_size = 1024;
  small.model_dim = 256;
  small.num_layers = 4;
  small.num_heads = 4;
  small.num_kv_heads = 2;
  small.mlp_hidden = 512;
  small.rope_dims = 64;
  small.num_encoder_layers = 2;
  small.max_seq_len = 256;
  return {{"cpu-small", small, 8, 256}, {"baseline", challenge_baseline_config(), 1, 1024}};
}

static double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

static double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

static int bench_one(const BenchConfig& bc, int steps) {
  const ModelConfig& c = bc.model;
  ParamStore ps;
  Activations a;
  OptimizerState opt;
  Status st = param_store_init(c, &ps);
  if (st.ok()) st = activations_init(c, bc.B, bc.T, &a);
  if (st.ok()) st = optimizer_init(ps.layout, OptimizerConfig(), &opt);
  if (!st.ok()) {
    std::fprintf(stderr, "golf-bench-train: %s\n", st.message().c_str());
    return 1;
  }
  params_init(&ps, 1337);
  const int N = bc.B * bc.T;
  std::vector<int32_t> ids(N + 1);
  for (int i = 0; i <= N; i++) ids[i] = (int32_t)(rng_hash(7, 0, i) % (uint64_t)c.vocab_size);
  std::vector<double> t_fwd, t_bwd, t_opt, t_step, losses;
  for (int s = 0; s < steps + 1; s++) {  // step 0 warms caches and page-faults the arena; not timed
    double t0 = now_s();
    param_store_zero_grads(&ps);
    double loss = 0;
    st = model_forward(ps, &a, ids.data(), ids.data() + 1, bc.B, bc.T, &loss);
    double t1 = now_s();
    if (st.ok()) st = model_backward(&ps, &a, 1.0f);
    double t2 = now_s();
    if (st.ok()) st = optimizer_step(&opt, &ps, 1.0f, s);
    double t3 = now_s();
    if (!st.ok()) {
      std::fprintf(stderr, "golf-bench-train: %s\n", st.message().c_str());
      return 1;
    }
    if (s == 0) continue;
    t_fwd.push_back(t1 - t0);
    t_bwd.push_back(t2 - t1);
    t_opt.push_back(t3 - t2);
    t_step.push_back(t3 - t0);
    losses.push_back(loss);
  }
  double step = median(t_step), tok_s = N / step;
  double gflops = model_train_flops_per_token(c, bc.T) * N / step / 1e9;
  std::printf("%-10s %d x %d, vocab %d, heads %d/%d, mlp %d, B=%d T=%d, %d threads, %d steps: params %.2fM\n",
              bc.name.c_str(), c.num_layers, c.model_dim, c.vocab_size, c.num_heads, c.num_kv_heads, c.mlp_hidden,
              bc.B, bc.T, threads_count(), steps, c.parameter_count() / 1e6);
  std::printf("  memory: activations %.0f MB, params+grads %.0f MB, optimizer state %.0f MB\n", a.mem.size() / 1e6,
              2.0 * ps.layout.total * 4 / 1e6,
              (opt.muon_mem.size() + opt.adam_m_mem.size() + opt.adam_v_mem.size() +
               opt.scratch.size() * opt.scratch[0].mem.size()) / 1e6);
  std::printf("  median step %.1f ms (forward %.1f, backward %.1f, optimizer %.1f; min step %.1f ms)\n", step * 1e3,
              median(t_fwd) * 1e3, median(t_bwd) * 1e3, median(t_opt) * 1e3,
              *std::min_element(t_step.begin(), t_step.end()) * 1e3);
  std::printf("  %.0f training tokens/s, %.1f GFLOP/s (fwd+bwd matmul+attention FLOPs), loss %.4f -> %.4f\n", tok_s,
              gflops, losses.front(), losses.back());
  std::printf("RESULT config=%s B=%d T=%d threads=%d tok_per_s=%.1f step_ms=%.2f fwd_ms=%.2f bwd_ms=%.2f opt_ms=%.2f\n",
              bc.name.c_str(), bc.B, bc.T, threads_count(), tok_s, step * 1e3, median(t_fwd) * 1e3,
              median(t_bwd) * 1e3, median(t_opt) * 1e3);
  std::fflush(stdout);
  return 0;
}

int main(int argc, char** argv) {
  int threads = 2, steps = 5, batch = 0, seq = 0, micro = 8;
  double peak_tflops = 989;  // H100/H200 SXM dense bf16
  std::string which = "all", backend = "cpu", precision = "bf16";
  golf::cli::ArgParser args("golf-bench-train", "[--threads N] [--steps S] [--config cpu-small|baseline|all] "
                            "[--batch B] [--seq T] [--backend cpu|cuda] [--precision bf16|fp32] [--micro K]",
                            "Training tokens/s of the CPU trainer (forward + backward + optimizer), medians over "
                            "timed steps; with --backend cuda, the CUDA backend's step on one GPU (default: the "
                            "baseline, 8 micro-batches of 64 x 1024) with tokens/s and MFU.");
  args.threads(&threads, "OpenMP threads (default 2; 0: all cores)")
      .integer("--steps", &steps, 1, 1 << 20, "timed steps (default 5)", "S")
      .choice("--config", &which, {"cpu-small", "baseline", "all"}, "the model shape (default all)")
      .integer("--batch", &batch, 0, 1 << 20, "sequences per step (default 0: the config's)", "B")
      .integer("--seq", &seq, 0, 1 << 20, "sequence length (default 0: the config's)", "T")
      .choice("--backend", &backend, {"cpu", "cuda"}, "where the math runs (default cpu)")
      .choice("--precision", &precision, {"bf16", "fp32"}, "cuda: activation precision (default bf16)")
      .integer("--micro", &micro, 1, 1 << 16, "cuda: micro-batches per step (default 8)", "K")
      .real("--peak-tflops", &peak_tflops, 1, 1e6, "cuda: the GPU's dense bf16 peak for MFU (default 989)", "X");
  if (int rc = args.parse(argc, argv); rc >= 0) return rc;
  if (backend == "cuda") {
    // The challenge's step on one GPU: the baseline, 64 x 1024 per micro-batch, 8 micro-batches.
    const std::string name = which == "all" ? "baseline" : which;
    for (const BenchConfig& bc : bench_configs()) {
      if (bc.name != name) continue;
      return bench_train_cuda(bc.name, bc.model, batch > 0 ? batch : 64, seq > 0 ? seq : 1024, micro, steps,
                              precision, peak_tflops);
    }
  }
  threads_init(threads);
  int rc = 0;
  for (BenchConfig bc : bench_configs()) {
    if (which != "all" && which != bc.name) continue;
    if (batch > 0) bc.B = batch;
    if (seq > 0) bc.T = seq;
    rc |= bench_one(bc, std::max(1, steps));
  }
  return rc;
}
