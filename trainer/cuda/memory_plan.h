// memory_plan.h: the CUDA trainer's one device arena, planned before the first step as a pure function of the model
// config, the micro-batch (rows, T), the activation precision and the options that add state (EMA): every buffer
// a step touches (fp32 master weights, bf16 weight copies, fp32 gradients, Muon momentum, Adam m/v, EMA, the
// activations each block saves for its backward, fp32 statistics, the classifier's buffers, the backward's work
// buffers, GEMM workspace, reduction and attention scratch) gets a named region at a 256-byte aligned offset. The
// backend allocates the total once and carves its pointers from the regions by name, so nothing is allocated
// inside a step. Host code only (no CUDA header): CI tests it on the CPU (tests/trainer/cuda/test_memory_plan.cpp).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "model_config.h"  // defines: ModelConfig
#include "status.h"        // defines: Status

namespace golf::train_cuda {

// What fixes the plan. Every field is known from the options before the device is touched.
struct MemoryPlanInput {
  ModelConfig model;
  int rows = 1;         // sequences per micro-batch (training; evaluation runs in chunks of at most `rows`)
  int T = 1024;         // tokens per sequence (the longest the run trains or evaluates on)
  int act_bytes = 2;    // bytes of an activation element: 2 (bf16, the default) or 4 (fp32, --precision fp32)
  bool ema = false;     // an EMA copy of the weights (BackendSetup::ema_decay > 0)
  int max_micro = 64;   // micro-batches whose losses one step keeps on the device before a single read-back
  int world = 1;        // data-parallel ranks: above 1, the all-gathered slabs of sharded Muon (muon_shard_plan.h)
};

// One buffer of the arena. `group` is the line it is counted in when printed: "weights", "weight copies",
// "grads", "optimizer", "ema", "activations" (saved for the backward), "statistics" (fp32 rstd, lse),
// "backward" (work buffers reused by every block), "classifier", "inputs", "workspace".
struct MemoryRegion {
  std::string name;   // "weights.master", "act.3.xm", "stat.3.r1", "cls.logits", "gemm.workspace", ...
  std::string group;
  size_t offset = 0;  // bytes from the arena's base, a multiple of kArenaAlign
  size_t bytes = 0;   // requested size (the next region starts at the aligned end)
};

constexpr size_t kArenaAlign = 256;  // = kDeviceAlign (cuda_common.h): cuBLASLt wants 16, 256 keeps lines apart
// The GEMM workspace cuBLASLt gets on Hopper (= kGemmWorkspaceBytes, gemm.h).
constexpr size_t kArenaGemmWorkspace = size_t(32) << 20;

struct MemoryPlan {
  MemoryPlanInput input;
  std::vector<MemoryRegion> regions;  // in offset order, no overlaps
  size_t total = 0;                   // bytes of the arena (aligned end of the last region)
  // Muon's state layout: the same offsets as train_cpu::optimizer_init (each tensor padded to 16 floats), so the
  // host mirror of a checkpoint uses train_cpu's own refs.
  size_t muon_floats = 0, adam_floats = 0;
  size_t muon_max_numel = 1, muon_max_side = 1;  // Newton–Schulz scratch bounds (train_cpu::optimizer_init's)
  size_t muon_slab_elems = 0;  // world > 1: one rank's slab of Muon updates (MuonShardPlan::slab_floats), elements

  const MemoryRegion* find(const std::string& name) const;  // nullptr when absent
  size_t group_bytes(const std::string& group) const;
  std::vector<std::string> groups() const;                  // first-appearance order
};

// invalid_argument when the config does not validate or rows, T, act_bytes, max_micro are out of range.
Status memory_plan_build(const MemoryPlanInput& in, MemoryPlan* out);

// Bytes of the Newton–Schulz scratch (= muon_ns_scratch_bytes in muon.h, which needs CUDA headers; the backend
// checks the two agree at setup).
size_t memory_plan_ns_scratch_bytes(int act_bytes, size_t max_numel, size_t max_side);

// The plan as printed before the first step: one line per group with MiB and share, then the total, the shape it
// was planned for, and, when free_bytes > 0, how much of the device it takes.
std::string memory_plan_text(const MemoryPlan& plan, size_t free_bytes = 0);

// The refusal when the plan does not fit: how much was asked, how much is free, the largest groups, and the flags
// that lower it (--grad-accum for the micro-batch's activations, --train-batch-tokens, --seq-len, --precision bf16).
std::string memory_plan_oom_message(const MemoryPlan& plan, size_t free_bytes, size_t device_total);
// ok when the plan fits in free_bytes (or force); otherwise out_of_memory with memory_plan_oom_message.
Status memory_plan_check(const MemoryPlan& plan, size_t free_bytes, size_t device_total, bool force);

}  // namespace golf::train_cuda
