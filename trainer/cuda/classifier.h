// classifier.h: the softcapped cross-entropy on the GPU, twins of train_cpu::softcap_cross_entropy_forward and
// softcap_cross_entropy_backward (layers.h), and the fused classifier the training step uses: one block per row
// reads the raw logits of the tied head's GEMM once, computes z = cap·tanh(raw/cap), lse and nll in fp32, and
// overwrites the logits with d(raw) in T, so fp32 logits are never stored (llm.c's fused classifier). The loss is
// the mean nll, summed in a fixed order in double. Pointers are device memory (loss: one device double);
// launchers only enqueue work. V ≤ kClsMaxVocab (classifier_math.h); every target must lie in [0, V) (the backend
// checks the batch on the host, as for the embedding).
#pragma once
#include <cstdint>

#include "cuda_common.h"  // defines: bf16, Status, cudaStream_t

namespace golf::train_cuda {

// logits (N, V) of T: raw in, z out. lse (N) fp32. With targets (N): nll (N) = lse − z[target] and, if loss is
// not null, *loss = mean nll (the CUDA twin needs nll whenever loss is asked for: the sum reads it).
template <typename T>
Status softcap_cross_entropy_forward(T* logits, float* lse, float* nll, double* loss, const int32_t* targets, int N,
                                     int V, float cap, cudaStream_t stream);
// logits (N, V): z in, d raw out = (softmax(z) − onehot)·dloss·(1 − (z/cap)²).
template <typename T>
Status softcap_cross_entropy_backward(T* logits, const float* lse, const int32_t* targets, int N, int V, float cap,
                                      float dloss, cudaStream_t stream);
// The composition forward → backward in one pass: logits raw in, d raw out; lse, nll (N) and *loss as the forward.
// z stays in fp32 (shared memory) between the two halves, so in bf16 mode it is more exact than the twins run
// one after the other (which store z in bf16).
template <typename T>
Status softcap_cross_entropy_fused(T* logits, float* lse, float* nll, double* loss, const int32_t* targets, int N,
                                   int V, float cap, float dloss, cudaStream_t stream);

}  // namespace golf::train_cuda
