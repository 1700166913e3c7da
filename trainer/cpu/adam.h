// adam.h: torch.optim.Adam's update (no weight decay, no amsgrad) for one tensor, in the same operation order as
// PyTorch's single-tensor implementation so that the parity tests stay tight.
#pragma once
#include <cstddef>
#include <cstdint>

namespace golf::train_cpu {

// m = β1·m + (1−β1)·g;  v = β2·v + (1−β2)·g²;  p −= (lr / (1−β1^t)) · m / (√v / √(1−β2^t) + eps)
// p, m, v, g (n); t = the step number, 1 for the first update.
void adam_update(float* p, float* m, float* v, const float* g, size_t n, float lr, float beta1, float beta2, float eps,
                 int64_t t);

}  // namespace golf::train_cpu
