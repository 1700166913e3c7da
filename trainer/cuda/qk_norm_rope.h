// qk_norm_rope.h: QK-norm, RoPE and the q gain fused into one kernel per direction, one warp per (token, head)
// row of hd: the training step's path for q (with gain) and k (gain null). Their twin is the composition the CPU
// model runs (trainer/cpu/model.cpp): rms_norm_forward (rows N·heads, cols hd) → rope_forward →
// head_gain_forward, and backward head_gain_backward → rope_backward → rms_norm_backward; the per-op twins are
// rms_norm.h and rope.h. The forward keeps the normalised rows y (T) and rstd (fp32) for the backward, which
// recomputes the rotation from y. q_gain's gradient is a fixed-order reduction (per-row dots in double, then chunks
// of rows, then chunks in order): no atomics. hd ≤ kQkMaxHeadDim. Pointers are device memory; launchers only enqueue.
#pragma once
#include <cstddef>

#include "cuda_common.h"  // defines: bf16, Status, cudaStream_t

namespace golf::train_cuda {

constexpr int kQkMaxHeadDim = 128;

// in (N, heads, hd): the projection's output. out (N, heads, hd) = gain[h]·rope(rms_norm(in)) (no gain when gain
// is null); y (N·heads, hd) = rms_norm(in); rstd (N·heads). cos_t, sin_t (T_, rd/2) as rope.h. out may alias in.
template <typename T>
Status qk_norm_rope_forward(T* out, T* y, float* rstd, const T* in, const float* gain, const float* cos_t,
                            const float* sin_t, int N, int T_, int heads, int hd, int rd, float eps,
                            cudaStream_t stream);

// Doubles of scratch the backward needs (used only with a gain).
size_t qk_norm_rope_scratch_doubles(int N, int heads);

// din (N, heads, hd) = the gradient of the input from dout (N, heads, hd), y and rstd as the forward wrote them;
// dgain (heads) += Σ dout·rope(y) when gain is not null (then dgain and scratch are required). din may alias dout.
template <typename T>
Status qk_norm_rope_backward(T* din, float* dgain, const T* dout, const T* y, const float* rstd, const float* gain,
                             const float* cos_t, const float* sin_t, int N, int T_, int heads, int hd, int rd,
                             double* scratch, cudaStream_t stream);

}  // namespace golf::train_cuda
