// step_timing.h: where a CUDA training step spends its time, for the per-phase log line (train::StepPhases): timing
// events recorded on the compute stream at the phase boundaries, read after the step's one host synchronisation.
// The all-reduce's overlap needs no event on the communicator's stream: its window opens when the first bucket's
// gradients are ready and closes when the compute stream has joined it; what lies after the backward is exposed.
#pragma once
#include <cuda_runtime_api.h>

#include "train/backend.h"  // defines: train::StepPhases
#include "status.h"   // defines: Status

namespace golf::train_cuda {

class StepTiming {
 public:
  enum Mark { start, first_bucket, backward_done, joined, muon_ready, optimized, end, kMarks };
  StepTiming() = default;
  StepTiming(const StepTiming&) = delete;
  StepTiming& operator=(const StepTiming&) = delete;
  ~StepTiming();
  Status init();
  // At the start of a step: forgets the last step's marks and records `start` on `stream`.
  Status begin(cudaStream_t stream);
  // Records `m` on `stream` (once per step: a later call for the same mark is ignored).
  Status mark(Mark m, cudaStream_t stream);
  // After the step's synchronisation: the phases between the marks recorded this step.
  Status read(train::StepPhases* out) const;

 private:
  cudaEvent_t events_[kMarks] = {};
  bool recorded_[kMarks] = {};
};

}  // namespace golf::train_cuda
