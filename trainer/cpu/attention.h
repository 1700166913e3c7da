// attention.h: causal softmax attention with grouped KV heads (GQA), forward and backward, fp32.
// Scores are computed in row blocks of kAttnBlock queries against keys [0, block end) with sgemm, so the causal
// upper triangle is mostly skipped and only a block × T score tile exists at a time (flash-attention style): the
// forward keeps only the output and the row logsumexp, and the backward recomputes the probabilities from them.
// Query head h reads KV head h / (H / KV), as repeat_interleave does in the challenge's SDPA call (enable_gqa).
#pragma once
#include <cstddef>

namespace golf::train_cpu {

struct AttentionShape {
  int B = 0, T = 0;     // batch, sequence
  int H = 0, KV = 0;    // query heads, key/value heads (KV divides H)
  int hd = 0;           // head dim
  float scale = 0.0f;   // score scale, 1/sqrt(hd) in the challenge
};

constexpr int kAttnBlock = 64;

// Floats of scratch attention_forward/backward need for sequences up to T_max with `threads` OpenMP threads.
size_t attention_scratch_floats(int T_max, int threads);

// q (B·T, H·hd), k, v (B·T, KV·hd): rows are tokens, head h at columns [h·hd, (h+1)·hd).
// out (B·T, H·hd); lse (B, H, T) = logsumexp of each query's scaled, masked scores.
void attention_forward(float* out, float* lse, const float* q, const float* k, const float* v, const AttentionShape& s,
                       float* scratch);
// dq (B·T, H·hd), dk, dv (B·T, KV·hd) are written (not accumulated); dout, out as the forward's output.
void attention_backward(float* dq, float* dk, float* dv, const float* dout, const float* out, const float* q,
                        const float* k, const float* v, const float* lse, const AttentionShape& s, float* scratch);

}  // namespace golf::train_cpu
