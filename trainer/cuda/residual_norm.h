// residual_norm.h: a residual-stream update fused with the RMSNorm that follows it, one warp per row: the block's
// entry (resid_mix, then the attention norm) and its middle (the attention branch's scaled add, then the MLP norm).
// Their twins are the CPU model's compositions (trainer/cpu/model.cpp): resid_mix_forward → rms_norm_forward and
// scaled_add_forward → rms_norm_forward; the norm statistics come from the fp32 sum before it is stored as T, and
// the per-op twins are residual.h and rms_norm.h. The backward stays in those (the norm's backward accumulates into
// the residual gradient). Pointers are device memory; launchers only enqueue work.
#pragma once
#include "cuda_common.h"  // defines: bf16, Status, cudaStream_t

namespace golf::train_cuda {

// xm (N, d) = mix[0]⊙x + mix[1]⊙x0; xn (N, d) = rms_norm(xm); rstd (N).
template <typename T>
Status resid_mix_rms_norm_forward(T* xm, T* xn, float* rstd, const T* x, const T* x0, const float* mix, int N, int d,
                                  float eps, cudaStream_t stream);

// out (N, d) = x + scale⊙y; xn (N, d) = rms_norm(out); rstd (N). out may alias x.
template <typename T>
Status scaled_add_rms_norm_forward(T* out, T* xn, float* rstd, const T* x, const float* scale, const T* y, int N, int d,
                                   float eps, cudaStream_t stream);

}  // namespace golf::train_cuda
