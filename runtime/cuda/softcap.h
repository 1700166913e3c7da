// softcap.h: the logit softcap on the GPU, the twin of golf::softcap_row (runtime/model/row_ops.h): z = c·tanh(z/c)
// with the runtime's own tanh_approx (fast_math.h, compiled for the device too, without FMA contraction), so the GPU
// rounds each logit as the CPU does. It also widens the head's output from the activation type to fp32.
#pragma once
#include <cstddef>

#include "cuda/cuda_common.h"  // defines: bf16, Status, cudaStream_t

namespace golf::runtime_cuda {

// out (n) fp32 = c·tanh_approx(in / c) (in unchanged, widened, when c <= 0); T is float or bf16. out may alias in
// when T is float.
template <typename T>
Status softcap_row(float* out, const T* in, size_t n, float c, cudaStream_t stream);

}  // namespace golf::runtime_cuda
