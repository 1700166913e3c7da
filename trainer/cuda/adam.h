// adam.h: Adam on the GPU: adam_update, the twin of train_cpu::adam_update (trainer/cpu/adam.h) for one tensor,
// and adam_update_multi, one launch for many tensors (the embedding, the control tensors, the skip weights), each
// with its own learning rate, as the CPU optimizer loops over them. Bias corrections are computed on the host in
// double; the per-element update is adam_math.h's, in the CPU's operation order, so fp32 gives the CPU's bits.
// All state is fp32. Pointers are device memory; launchers only enqueue work.
#pragma once
#include <cstddef>
#include <cstdint>

#include "cuda_common.h"  // defines: Status, cudaStream_t

namespace golf::train_cuda {

// p, m, v, g (n); t = the step number, 1 for the first update.
Status adam_update(float* p, float* m, float* v, const float* g, size_t n, float lr, float beta1, float beta2,
                   float eps, int64_t t, cudaStream_t stream);

// One tensor of a multi-tensor update (device pointers; the table itself is host memory, passed by value to the
// kernel in batches of kAdamMaxTensors, so nothing is copied and the host never waits).
struct AdamTensor {
  float* p = nullptr;
  float* m = nullptr;
  float* v = nullptr;
  const float* g = nullptr;
  size_t n = 0;
  float lr = 0;
};
constexpr int kAdamMaxTensors = 40;
// The same as adam_update on each tensor in turn (tensors must not overlap).
Status adam_update_multi(const AdamTensor* tensors, int count, float beta1, float beta2, float eps, int64_t t,
                         cudaStream_t stream);

}  // namespace golf::train_cuda
