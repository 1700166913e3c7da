// rms_norm.h: weightless RMSNorm on the GPU, the twins of train_cpu::rms_norm_forward/backward (trainer/cpu/layers.h):
// same names and argument order, a trailing stream. One warp per row; the statistics (sum of squares, Σ dy·y) are
// summed in double in a fixed order and rstd is stored in fp32 in both precisions. Used for the block norms (rows
// N, cols d) and QK-norm (rows N·heads, cols hd). Pointers are device memory; launchers only enqueue work.
#pragma once
#include "cuda_common.h"  // defines: bf16, Status, cudaStream_t

namespace golf::train_cuda {

// out, in (rows, cols) of T; rstd (rows) fp32. out may alias in.
template <typename T>
Status rms_norm_forward(T* out, float* rstd, const T* in, int rows, int cols, float eps, cudaStream_t stream);

// din (rows, cols) = rstd·(dout − y·mean(dout·y)) (+= with accumulate), y = the forward's output. din may alias dout.
template <typename T>
Status rms_norm_backward(T* din, const T* dout, const T* y, const float* rstd, int rows, int cols, bool accumulate,
                         cudaStream_t stream);

}  // namespace golf::train_cuda
