// attention_past.h: attention of a few new tokens over a sequence's KV cache on the GPU, for decoding (the trainer's
// FlashAttention-style kernels take whole sequences and have no cache). Its arithmetic is attention_past_math.h,
// which CI runs in the kernel's lane order against a double-precision attention (tests/runtime/model
// test_forward_graph.cpp); the GPU self-test's greedy check compares generation on the GPU with the CPU's.
#pragma once
#include "cuda/cuda_common.h"  // defines: Status, bf16, cudaStream_t

namespace golf::runtime_cuda {

// q (M, H·hd): query row i is at position past + i. k, v (past + M, KV·hd): the cache, rows by position. out
// (M, H·hd) = softmax(scale · q·kᵀ over keys 0 .. past + i) · v, query head h reading KV head h / (H / KV).
// hd is 32 or 64 (as the trainer's attention); invalid_argument otherwise. Device pointers.
template <typename T>
Status attention_past(T* out, const T* q, const T* k, const T* v, int past, int M, int H, int KV, int hd, float scale,
                      cudaStream_t stream);

}  // namespace golf::runtime_cuda
