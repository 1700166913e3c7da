// gpu_memory_plan_main.cpp: golf-gpu-memory-plan, the CUDA trainer's device memory plan per GPU (trainer/cuda/
// memory_plan.h, the arena the backend allocates) for the baseline model and a micro-batch shape, printed without
// touching a GPU, so scripts/run_8xh100.sh --dry-run shows what each rank will need on any machine.
#include <algorithm>
#include <cstdio>
#include <string>

#include "args.h"              // defines: cli::ArgParser
#include "cuda/memory_plan.h"  // defines: MemoryPlanInput, memory_plan_build, memory_plan_text

using namespace golf;

int main(int argc, char** argv) {
  train_cuda::MemoryPlanInput in;  // the baseline model (ModelConfig's defaults), bf16 activations
  in.rows = 64;
  in.T = 1024;
  std::string precision = "bf16";
  cli::ArgParser args("golf-gpu-memory-plan", "[--rows N] [--seq-len T] [--world N] [--precision bf16|fp32] [--ema]",
                      "Prints the CUDA trainer's device memory plan of one rank for the baseline model. No GPU is "
                      "needed.");
  args.integer("--rows", &in.rows, 1, 1 << 20, "sequences per micro-batch (default 64)")
      .integer("--seq-len", &in.T, 1, 1 << 20, "tokens per sequence (default 1024)", "T")
      .integer("--world", &in.world, 1, 1 << 16, "data-parallel ranks: sharded Muon's update slabs (default 1)")
      .choice("--precision", &precision, {"bf16", "fp32"}, "activation precision (default bf16)")
      .flag("--ema", &in.ema, "an EMA copy of the weights is kept");
  if (int rc = args.parse(argc, argv); rc >= 0) return rc;
  in.act_bytes = precision == "bf16" ? 2 : 4;
  in.model.max_seq_len = std::max(in.model.max_seq_len, in.T);
  train_cuda::MemoryPlan plan;
  Status st = train_cuda::memory_plan_build(in, &plan);
  if (!st.ok()) return args.usage_error(st.message());
  std::printf("%s\n", train_cuda::memory_plan_text(plan).c_str());
  std::printf("total_bytes %zu\n", plan.total);
  return 0;
}
