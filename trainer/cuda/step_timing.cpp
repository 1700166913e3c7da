// step_timing.cpp: StepTiming (step_timing.h).
#include "step_timing.h"

#include "cuda_common.h"  // defines: GOLF_CUDA_CHECK

namespace golf::train_cuda {

StepTiming::~StepTiming() {
  for (cudaEvent_t e : events_)
    if (e) cudaEventDestroy(e);
}

Status StepTiming::init() {
  for (cudaEvent_t& e : events_)
    if (!e) GOLF_CUDA_CHECK(cudaEventCreate(&e));  // timing enabled: these are read with cudaEventElapsedTime
  return Status::Ok();
}

Status StepTiming::begin(cudaStream_t stream) {
  for (bool& r : recorded_) r = false;
  return mark(start, stream);
}

Status StepTiming::mark(Mark m, cudaStream_t stream) {
  if (recorded_[m]) return Status::Ok();
  GOLF_CUDA_CHECK(cudaEventRecord(events_[m], stream));
  recorded_[m] = true;
  return Status::Ok();
}

Status StepTiming::read(train::StepPhases* out) const {
  *out = train::StepPhases();
  auto between = [&](Mark a, Mark b, double* ms) -> Status {
    if (!recorded_[a] || !recorded_[b]) return Status::Ok();
    float f = 0;
    GOLF_CUDA_CHECK(cudaEventElapsedTime(&f, events_[a], events_[b]));
    *ms = f;
    return Status::Ok();
  };
  GOLF_RETURN_IF_ERROR(between(start, backward_done, &out->forward_backward));
  GOLF_RETURN_IF_ERROR(between(first_bucket, joined, &out->allreduce_window));
  if (recorded_[first_bucket]) GOLF_RETURN_IF_ERROR(between(backward_done, joined, &out->allreduce_exposed));
  GOLF_RETURN_IF_ERROR(between(joined, muon_ready, &out->newton_schulz));
  GOLF_RETURN_IF_ERROR(between(joined, optimized, &out->optimizer));
  GOLF_RETURN_IF_ERROR(between(optimized, end, &out->ema));
  GOLF_RETURN_IF_ERROR(between(start, end, &out->step));
  return Status::Ok();
}

}  // namespace golf::train_cuda
