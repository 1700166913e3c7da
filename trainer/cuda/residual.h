// residual.h: the residual-stream kernels on the GPU, twins of trainer/cpu/layers.h: resid_mix (out = mix[0]⊙x +
// mix[1]⊙x0), scaled_add (out = x + scale⊙y: attn_scale, mlp_scale and the U-Net skips), their backward, and
// colsum_mul_add, the per-channel parameter gradient Σ_rows a⊙b as a fixed-order two-stage reduction (no atomics:
// rows_math.h). Same names and argument order as the CPU; the backward launchers take a device scratch of
// colsum_scratch_doubles(N, d) doubles before the stream. Activations are T (float or bf16); parameters and their
// gradients fp32. Pointers are device memory; launchers only enqueue work.
#pragma once
#include <cstddef>

#include "cuda_common.h"  // defines: bf16, Status, cudaStream_t

namespace golf::train_cuda {

// Doubles of scratch colsum_mul_add and the backward launchers here need for (rows, cols): the partial sums of two
// column sums (resid_mix_backward does both of its sums in one pass).
size_t colsum_scratch_doubles(int rows, int cols);

// acc (cols) += Σ_rows a⊙b; a, b (rows, cols).
template <typename T>
Status colsum_mul_add(float* acc, const T* a, const T* b, int rows, int cols, double* scratch, cudaStream_t stream);

// out, x, x0 (N, d); mix (2, d).
template <typename T>
Status resid_mix_forward(T* out, const T* x, const T* x0, const float* mix, int N, int d, cudaStream_t stream);
// dx (N, d) = dout⊙mix[0]; dx0 (N, d) += dout⊙mix[1]; dmix (2, d) += (Σ dout⊙x, Σ dout⊙x0). dx may alias dout.
template <typename T>
Status resid_mix_backward(T* dx, T* dx0, float* dmix, const T* dout, const T* x, const T* x0, const float* mix, int N,
                          int d, double* scratch, cudaStream_t stream);

// out, x, y (N, d); scale (d). out may alias x.
template <typename T>
Status scaled_add_forward(T* out, const T* x, const float* scale, const T* y, int N, int d, cudaStream_t stream);
// dy (N, d) = dout⊙scale (+= with accumulate_dy); dscale (d) += Σ dout⊙y. dy may alias dout when not accumulating.
template <typename T>
Status scaled_add_backward(T* dy, float* dscale, const T* dout, const T* y, const float* scale, int N, int d,
                           bool accumulate_dy, double* scratch, cudaStream_t stream);

}  // namespace golf::train_cuda
