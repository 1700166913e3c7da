// weights.h: element kernels over the fp32 master weights: the EMA update (the twin of the CPU backend's
// ema_update, trainer/train/cpu_backend.h: same name and argument order, a trailing stream) and the bf16 working
// copy the GEMMs read after each optimizer step. Pointers are device memory; launchers only enqueue work.
#pragma once
#include <cstddef>

#include "cuda_common.h"  // defines: bf16, Status, cudaStream_t

namespace golf::train_cuda {

// ema (n) = decay·ema + (1 − decay)·param (n), fp32.
Status ema_update(float* ema, const float* param, size_t n, float decay, cudaStream_t stream);

// out (n) = in (n) rounded to bf16 (nearest even).
Status weights_to_bf16(bf16* out, const float* in, size_t n, cudaStream_t stream);

}  // namespace golf::train_cuda
