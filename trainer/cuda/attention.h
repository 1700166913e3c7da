// attention.h: causal GQA attention on the GPU, forward and backward, the twins of train_cpu::attention_forward
// and attention_backward (trainer/cpu/attention.h): same names, same argument order, the CPU's AttentionShape, a
// trailing stream. FlashAttention-2 style: tiles of queries and keys in shared memory, an online softmax in fp32,
// tiles above the causal diagonal skipped, no T×T scores anywhere; the forward keeps the row logsumexp and the
// backward recomputes the probabilities from it.
//
// T = bf16: tensor-core kernels (mma.sync m16n8k16, fp32 accumulation). T = float: CUDA-core kernels with the same
// loop structure, for 1e-5 parity with the CPU (--precision fp32). Head dims 32 and 64 (the baseline is 64; the
// cpu-small and tiny presets are 32); attention_check_shape refuses anything else before a launch.
//
// Determinism: the backward owns dK/dV rows per (batch, KV head, key tile) and loops over the query heads of the
// group inside the block; dQ comes from a second kernel that owns query rows. No atomics, fixed summation orders:
// the same inputs give the same bits on the same GPU and build.
//
// Every pointer is device memory, 16-byte aligned (what cudaMalloc and the arena give); a launcher that finds
// otherwise returns invalid_argument. Launchers only enqueue work on `stream` (no host synchronisation).
#pragma once
#include <cstddef>

#include "cpu/attention.h"  // defines: train_cpu::AttentionShape
#include "cuda_common.h"    // defines: bf16, Status, cudaStream_t

namespace golf::train_cuda {

using train_cpu::AttentionShape;

// ok when the kernels cover the shape: B, T ≥ 1; H, KV ≥ 1 with KV dividing H; hd ∈ {32, 64}; scale finite and
// > 0. Otherwise invalid_argument naming the field and what is accepted. The backend calls it at setup; every
// launcher calls it too.
Status attention_check_shape(const AttentionShape& s);

// Floats of device scratch attention_backward needs: the row terms D = Σ dO·O, (B, H, T).
size_t attention_backward_scratch_floats(const AttentionShape& s);

// q (B·T, H·hd), k, v (B·T, KV·hd): rows are tokens, head h at columns [h·hd, (h+1)·hd); query head h reads KV
// head h / (H / KV). out (B·T, H·hd); lse (B, H, T) fp32 = the natural logsumexp of each query's scaled, causally
// masked scores (may be null when only `out` is wanted, as in evaluation).
template <typename T>
Status attention_forward(T* out, float* lse, const T* q, const T* k, const T* v, const AttentionShape& s,
                         cudaStream_t stream);

// dq (B·T, H·hd), dk, dv (B·T, KV·hd) are written, not accumulated; dout (B·T, H·hd); out, lse as the forward
// wrote them; scratch: attention_backward_scratch_floats(s) floats of device memory, overwritten.
template <typename T>
Status attention_backward(T* dq, T* dk, T* dv, const T* dout, const T* out, const T* q, const T* k, const T* v,
                          const float* lse, const AttentionShape& s, float* scratch, cudaStream_t stream);

}  // namespace golf::train_cuda
