// activation.h: the MLP activation on the GPU, relu(x)² (slope 0) or leaky_relu(x, slope)², twins of
// train_cpu::activation_forward/backward (layers.h): same names and argument order, a trailing stream. cuBLASLt's
// epilogues have no relu², so this is its own element kernel (hp in, ha out). Pointers are device memory.
#pragma once
#include <cstddef>

#include "cuda_common.h"  // defines: bf16, Status, cudaStream_t

namespace golf::train_cuda {

// out, in (n). out may alias in.
template <typename T>
Status activation_forward(T* out, const T* in, size_t n, float slope, cudaStream_t stream);
// din (n) = dout · 2·a(x)·a'(x), x = in (the pre-activation). din may alias dout.
template <typename T>
Status activation_backward(T* din, const T* dout, const T* in, size_t n, float slope, cudaStream_t stream);

}  // namespace golf::train_cuda
