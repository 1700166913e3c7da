// gpu_memory_plan_main.cpp: golf-gpu-memory-plan, the CUDA trainer's device memory plan per GPU (trainer/cuda/
// memory_plan.h, the arena the backend allocates) for the baseline model and a micro-batch shape, printed without
// touching a GPU, so scripts/run_8xh100.sh --dry-run shows what each rank will need on any machine.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "cuda/memory_plan.h"  // defines: MemoryPlanInput, memory_plan_build, memory_plan_text

using namespace golf;

namespace {

int usage_error(const std::string& message) {
  std::fprintf(stderr, "golf-gpu-memory-plan: %s (see --help)\n", message.c_str());
  return 2;
}

bool parse_int(const char* text, int lo, int hi, int* out) {
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  if (*text == '\0' || *end != '\0' || v < lo || v > hi) return false;
  *out = (int)v;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  train_cuda::MemoryPlanInput in;  // the baseline model (ModelConfig's defaults), bf16 activations
  in.rows = 64;
  in.T = 1024;
  for (int i = 1; i < argc; i++) {
    const std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::printf(
          "usage: golf-gpu-memory-plan [--rows N] [--seq-len T] [--precision bf16|fp32] [--ema]\n"
          "Prints the CUDA trainer's device memory plan of one rank for the baseline model: sequences per\n"
          "micro-batch (default 64), tokens per sequence (default 1024), activation precision (default bf16),\n"
          "and whether an EMA copy of the weights is kept. No GPU is needed.\n");
      return 0;
    }
    if (a == "--ema") {
      in.ema = true;
      continue;
    }
    if (i + 1 >= argc) return usage_error(a + " needs a value");
    const char* v = argv[++i];
    if (a == "--rows") {
      if (!parse_int(v, 1, 1 << 20, &in.rows)) return usage_error("--rows " + std::string(v) + ": expected 1..");
    } else if (a == "--seq-len") {
      if (!parse_int(v, 1, 1 << 20, &in.T)) return usage_error("--seq-len " + std::string(v) + ": expected 1..");
    } else if (a == "--precision") {
      if (std::strcmp(v, "bf16") != 0 && std::strcmp(v, "fp32") != 0)
        return usage_error("--precision " + std::string(v) + ": expected bf16 or fp32");
      in.act_bytes = std::strcmp(v, "bf16") == 0 ? 2 : 4;
    } else {
      return usage_error("unknown flag '" + a + "'");
    }
  }
  in.model.max_seq_len = std::max(in.model.max_seq_len, in.T);
  train_cuda::MemoryPlan plan;
  Status st = train_cuda::memory_plan_build(in, &plan);
  if (!st.ok()) return usage_error(st.message());
  std::printf("%s\n", train_cuda::memory_plan_text(plan).c_str());
  std::printf("total_bytes %zu\n", plan.total);
  return 0;
}
