// backend.h: the seam between golf-train's loop and the math. The loop (train_loop.cpp), validation, checkpoints
// and the export talk only to a TrainBackend; a backend owns the parameters, the optimizer state, the optional EMA
// weights and the activation arenas, wherever they live (host memory for "cpu", device memory for "cuda"), and
// owns the gradient synchronisation across ranks, so a GPU backend can overlap it with its backward.
//
// Contract every backend keeps (the tests hold both to it):
// - The same model and arithmetic as trainer/cpu (the reference, itself checked against PyTorch): parameters are
//   laid out by ParamLayout, initialised by params_init from the seed, updated by the challenge's Muon + Adam.
// - Checkpoint tensors and metadata use the same names for every backend ("param.<name>", "muon.momentum.<name>",
//   "adam.m.<name>", "adam.v.<name>", "ema.<name>"; metadata "golf.adam_step"), so a run checkpointed by one
//   backend resumes on another (equal within that backend's precision, not bit-identical).
// - Same seed, build, backend, device, world size and thread count: the same bits, and --resume continues
//   bit-identically.
// - No call aborts: failures (out of memory, a device error) come back as a Status that says what to do.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "communicator.h"          // defines: Communicator
#include "cpu/optimizer.h"         // defines: OptimizerConfig (the reference's hyperparameters)
#include "model_config.h"          // defines: ModelConfig
#include "params/init.h"           // defines: InitOptions
#include "params/param_io.h"       // defines: TensorRef, TensorFile
#include "params/param_layout.h"   // defines: ParamLayout
#include "status.h"                // defines: Status

namespace golf::train {

// What a backend is built for; every field is decided by the options before the backend exists.
struct BackendSetup {
  std::string backend = "cpu";     // "cpu" | "cuda"
  std::string device;              // cuda: "" (the rank's local device) or "cuda:N"; cpu: ignored
  std::string precision = "bf16";  // cuda: "bf16" (default, the challenge's) or "fp32" (tight parity); cpu: fp32
  ModelConfig model;
  train_cpu::OptimizerConfig optimizer;
  train_cpu::InitOptions init;
  uint64_t seed = 1337;
  int seq_len = 1024;
  int train_rows = 1;        // sequences per micro-batch on this rank
  int eval_rows = 1;         // sequences per validation forward
  float grad_clip_norm = 0;  // 0: off (torch clip_grad_norm_ semantics otherwise)
  float ema_decay = 0;       // 0: no EMA; else ema = d·ema + (1 − d)·param after every step from ema_start_step
  int64_t ema_start_step = 0;
  int threads = 0;           // cpu: OpenMP threads (the caller has called threads_init)
  bool force_memory = false; // start even when the memory plan exceeds what the machine (or device) has
  Communicator* comm = nullptr;  // host control plane: ranks, MPI/NCCL bootstrap, scalar all-reduces
};

// One line per memory region the backend plans, printed before the first step.
struct MemoryItem {
  std::string name;  // "weights", "grads", "optimizer", "ema", "activations", "eval activations", "workspace"
  size_t bytes = 0;
};
struct MemoryReport {
  std::string where;             // "host" or "cuda:0 (NVIDIA H100 80GB HBM3)"
  std::vector<MemoryItem> items;
  size_t available = 0;          // bytes free where the plan lives when it was made (0: unknown)
  size_t total() const {
    size_t t = 0;
    for (const MemoryItem& i : items) t += i.bytes;
    return t;
  }
};

// One optimizer step's input, on the host: `micro` micro-batches of (rows, T) token ids and their targets.
struct StepBatch {
  const int32_t* x = nullptr;  // (micro, rows, T)
  const int32_t* y = nullptr;  // (micro, rows, T)
  int micro = 1, rows = 1, T = 1;
};

// The last step's phases on the device, in ms, from events on its streams (the CPU backend does not measure them).
// -1: not in this step (one rank has no all-reduce; unsharded Muon has no phase of its own).
struct StepPhases {
  double forward_backward = -1;   // step start -> the last micro-batch's backward done
  double allreduce_window = -1;   // the first gradient bucket ready -> every bucket averaged (joined)
  double allreduce_exposed = -1;  // backward done -> joined: the part of the all-reduce the backward did not hide
  double newton_schulz = -1;      // sharded Muon: joined -> this rank's matrices orthogonalized (slab ready)
  double optimizer = -1;          // joined -> parameters updated (Newton–Schulz, all-gather, Adam)
  double ema = -1;                // parameters updated -> EMA updated (0 without EMA)
  double step = -1;               // step start -> end, on the device
};

class TrainBackend {
 public:
  virtual ~TrainBackend() = default;
  // "cpu" or "cuda" (recorded in checkpoints as golf.backend).
  virtual std::string name() const = 0;
  // For run.log: "cpu, 2 threads" / "cuda:0 NVIDIA H200, bf16, cuBLASLt 13.0".
  virtual std::string describe() const = 0;
  virtual const train_cpu::ParamLayout& layout() const = 0;
  virtual MemoryReport memory() const = 0;
  // Where this rank's runtime scores the exported file after training: "cpu", or the GPU it trains on ("cuda:N").
  virtual std::string score_device() const { return "cpu"; }
  // The last train_step's phases, where the backend measures them (false: it does not).
  virtual bool step_phases(StepPhases* out) const {
    (void)out;
    return false;
  }

  // Parameters from the seed (params_init; every rank the same), optimizer state and EMA reset.
  virtual Status init_params(uint64_t seed, const train_cpu::InitOptions& init) = 0;

  // One optimizer step: zero the gradients; for each micro-batch a forward and a backward with the loss scaled by
  // 1/micro; the gradient average over ranks; clipping; Muon + Adam with LR = base · lr_mul and Muon momentum of
  // `step`; then the EMA update. *loss = mean training loss over the micro-batches and ranks. `should_stop` (may
  // be null) is polled between micro-batches: when it returns true the step is abandoned before the update (the
  // parameters are those of the step's start) and the result is StatusCode::cancelled.
  virtual Status train_step(const StepBatch& batch, double lr_mul, int64_t step, double* loss,
                            bool (*should_stop)() = nullptr) = 0;

  // Per-target NLL in nats (host, B·T floats) of a forward over ids (B, T) with targets (B ≤ eval_rows), using the
  // EMA weights when `use_ema` (and EMA is on), else the parameters.
  virtual Status eval_nll(const int32_t* ids, const int32_t* targets, int B, int T, float* nll, bool use_ema) = 0;

  // The parameters (or the EMA weights) copied to host memory laid out as layout() (layout().total floats).
  virtual Status params_to_host(float* dst, bool ema = false) = 0;

  // Checkpoints: every state tensor under its checkpoint name (see the contract above), as host TensorRefs valid
  // until the next call on this backend, plus backend metadata (golf.adam_step, golf.backend, golf.precision, ...).
  virtual Status checkpoint_refs(std::vector<train_cpu::TensorRef>* refs,
                                 std::map<std::string, std::string>* metadata) = 0;
  // Collective: every rank calls it just before rank 0 calls checkpoint_refs, so state kept sharded across ranks
  // (sharded Muon's momentum, on its owners) reaches rank 0 and the checkpoint holds all of it, in the same
  // single-file format at every world size.
  virtual Status checkpoint_gather() { return Status::Ok(); }
  // Restores parameters, optimizer state and EMA from a checkpoint written by any backend (layouts must match).
  virtual Status checkpoint_load(const train_cpu::TensorFile& file) = 0;
};

// Builds the backend setup.backend names, after planning its memory (refused, with the flags that lower it, when
// the plan exceeds what is available, unless setup.force_memory). "cuda" in a build without the CUDA trainer, or
// on a machine without a usable GPU, is refused with a message that says why and what to do.
Status make_train_backend(const BackendSetup& setup, std::unique_ptr<TrainBackend>* out);

// Whether this build can make a "cuda" backend (the CUDA trainer module was built).
bool cuda_backend_built();

// The memory check of make_train_backend, for tests and the log: MemAvailable of /proc/meminfo in bytes (0 when
// unknown); the plan as one line; refused (invalid_argument naming the flags that lower it) when `copies` plans
// (ranks on this machine) exceed plan.available, unless `force` or the available memory is unknown.
size_t host_memory_available();
std::string memory_report_text(const MemoryReport& r, int copies = 1);
Status check_memory_plan(const MemoryReport& plan, int copies, bool force);
// Ranks of this job on this machine (mpirun's local size; 1 outside MPI).
int ranks_on_this_machine();

}  // namespace golf::train
