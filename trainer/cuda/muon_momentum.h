// muon_momentum.h: the element steps of Muon around Newton–Schulz on the GPU. train_cpu::muon_update (muon.h) is
// their composition: muon_nesterov → muon_normalize → NS5 (the GEMM side's cuBLASLt kernels) → muon_apply, and the
// self-test checks the steps against the CPU's loops. The sum of squares for the Frobenius norm is a fixed-order
// reduction in double (muon_momentum_math.h), never atomics, and it stays on the device: the normalisation reads it
// there, so the host never waits. Momentum and master weights are fp32. Pointers are device memory.
#pragma once
#include <cstddef>

#include "cuda_common.h"  // defines: bf16, Status, cudaStream_t

namespace golf::train_cuda {

// Doubles of scratch muon_nesterov writes and muon_normalize reads for a matrix of n elements.
size_t muon_scratch_doubles(size_t n);

// buf (n) = μ·buf + grad;  u (n) = grad + μ·buf (Nesterov);  scratch = the partial sums of u².
Status muon_nesterov(float* u, float* buf, const float* grad, size_t n, float momentum, double* scratch,
                     cudaStream_t stream);
// x (n) of T = u / (‖u‖_F + 1e-7), ‖u‖ from the scratch muon_nesterov wrote for the same u (x may alias u when T is
// float). T = bf16 gives the NS iteration its bf16 input.
template <typename T>
Status muon_normalize(T* x, const float* u, size_t n, const double* scratch, cudaStream_t stream);
// param (rows, cols) −= lr·√max(1, rows/cols)·X, X the orthogonalised update (rows, cols) of T.
template <typename T>
Status muon_apply(float* param, const T* X, int rows, int cols, float lr, cudaStream_t stream);

}  // namespace golf::train_cuda
