// cpu_backend.h: the "cpu" TrainBackend: today's trainer/cpu core behind the backend interface (backend.h):
// parameters and gradients in a ParamStore, Muon + Adam state, one training and one forward-only activation arena,
// the gradient average over ranks through the Communicator, and the optional fp32 EMA of the parameters.
#pragma once
#include <memory>

#include "backend.h"  // defines: TrainBackend, BackendSetup, MemoryReport

namespace golf::train {

// The CPU backend's memory plan for `setup` (call threads_init first: the arenas depend on the thread count).
MemoryReport cpu_backend_memory_plan(const BackendSetup& setup);

// Allocates the CPU backend for `setup` (no memory check here: make_train_backend does it). Parameters are zero
// until init_params or checkpoint_load.
Status make_cpu_backend(const BackendSetup& setup, std::unique_ptr<TrainBackend>* out);

// The EMA update of n floats: ema = decay·ema + (1 − decay)·param, element by element in fp32 (the same bits for
// every thread count).
void ema_update(float* ema, const float* param, size_t n, float decay);

}  // namespace golf::train
