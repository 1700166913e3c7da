// bench_train_cuda.cpp: golf-bench-train --backend cuda: the challenge's step on one GPU (by default the baseline,
// 8 micro-batches of 64 x 1024 = 524,288 tokens, bf16) through CudaBackend::train_step, wall clock per step (each
// step ends with the backend's one host synchronisation), with tokens/s and MFU from model_train_flops_per_token.
// The backend comes from libgolf-train-cuda.so (train/backend_module.h), so this binary links no CUDA library.
#include "bench_train_cuda.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <vector>

#include "model.h"                 // defines: model_train_flops_per_token
#include "params/init.h"           // defines: rng_hash
#include "train/backend_module.h"  // defines: backend_module_create, cuda_module_candidates, BackendSetup

namespace golf::train_cpu {

int bench_train_cuda(const std::string& name, const ModelConfig& c, int B, int T, int micro, int steps,
                     const std::string& precision, double peak_tflops) {
  train::BackendSetup s;
  s.backend = "cuda";
  s.precision = precision;
  s.model = c;
  s.seq_len = T;
  s.train_rows = B;
  s.eval_rows = B;
  std::unique_ptr<train::TrainBackend> b;
  Status st;
  for (const std::string& path : train::cuda_module_candidates()) {
    st = train::backend_module_create(path, s, &b);
    if (st.ok() || st.message().find("cannot load") == std::string::npos) break;
  }
  if (st.ok()) st = b->init_params(1337, s.init);
  if (!st.ok()) {
    std::fprintf(stderr, "golf-bench-train: %s\n", st.message().c_str());
    return 1;
  }
  const size_t n = (size_t)micro * B * T;
  std::vector<int32_t> ids(n + 1);
  for (size_t i = 0; i <= n; i++) ids[i] = (int32_t)(rng_hash(7, 0, i) % (uint64_t)c.vocab_size);
  const train::StepBatch batch{ids.data(), ids.data() + 1, micro, B, T};
  std::vector<double> t_step, losses;
  for (int k = 0; k < steps + 2; k++) {  // two untimed steps: cuBLASLt and the caches warm up
    const auto t0 = std::chrono::steady_clock::now();
    double loss = 0;
    st = b->train_step(batch, 1.0, k, &loss);
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!st.ok()) {
      std::fprintf(stderr, "golf-bench-train: %s\n", st.message().c_str());
      return 1;
    }
    if (k < 2) continue;
    t_step.push_back(dt);
    losses.push_back(loss);
  }
  std::sort(t_step.begin(), t_step.end());
  const double step = t_step[t_step.size() / 2], tok_s = n / step;
  const double mfu = model_train_flops_per_token(c, T) * tok_s / (peak_tflops * 1e12);
  std::printf("%-10s %d x %d on %s: %d micro-batches of %d x %d (%zu tokens per step), %d steps\n", name.c_str(),
              c.num_layers, c.model_dim, b->describe().c_str(), micro, B, T, n, steps);
  std::printf("  median step %.1f ms, %.0f training tokens/s, MFU %.1f%% of %.0f TFLOP/s, loss %.4f -> %.4f\n",
              step * 1e3, tok_s, 100 * mfu, peak_tflops, losses.front(), losses.back());
  std::printf("RESULT config=%s backend=cuda precision=%s B=%d T=%d micro=%d tok_per_s=%.1f step_ms=%.2f mfu=%.4f\n",
              name.c_str(), precision.c_str(), B, T, micro, tok_s, step * 1e3, mfu);
  std::fflush(stdout);
  return 0;
}

}  // namespace golf::train_cpu
