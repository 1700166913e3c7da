// cuda_backend.h: the "cuda" TrainBackend (trainer/train/backend.h) on one GPU: parameters initialised on the host
// by params_init (same seed, same parameters as the CPU backend), then everything on the device in one arena
// (memory_plan.h): the model's forward/backward (model.h) per micro-batch with gradient accumulation, Muon
// (momentum, Nesterov and normalisation kernels, Newton–Schulz on cuBLASLt, the update) and Adam, the optional EMA,
// the bf16 weight copy. One host synchronisation per step (the losses). Checkpoints use the CPU backend's tensor
// names and optimizer layout, so a run saved by one backend resumes on the other. Multi-GPU is the next issue:
// a world size above 1 is refused.
#pragma once
#include <memory>

#include "train/backend.h"  // defines: TrainBackend, BackendSetup

namespace golf::train_cuda {

// Plans the arena, checks it against the device's free memory (unless setup.force_memory), allocates it, plans the
// GEMMs. Errors say what to do (out of memory: the flags that lower the plan; no device: which one was asked).
Status make_cuda_backend(const train::BackendSetup& setup, std::unique_ptr<train::TrainBackend>* out);

}  // namespace golf::train_cuda
