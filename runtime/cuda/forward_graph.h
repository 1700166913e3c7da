// forward_graph.h: the golf-gpt forward pass (challenge.md §1.2) of the CUDA session, written once over an Ops
// backend: CudaSession runs it with the CUDA trainer's kernels (cuda_ops.h), and CI runs the very same graph with
// their trainer/cpu twins against the CPU runtime's Session (tests/runtime/model/test_forward_graph.cpp), which
// checks the order and wiring of the pass without a GPU (the kernels themselves are checked against those twins by
// the GPU self-test's ops parts). The order is Session::forward_batch's (runtime/model/session_forward.cpp):
// embedding and RMSNorm (x0); per block the previous MLP residual, the U-Net skips (the last S encoder outputs
// pushed, decoder blocks popping them LIFO with skip_weights), resid_mix, RMSNorm, q/k/v, QK-norm + RoPE + q gain,
// causal attention scaled by 1/√hd, the projection and its residual, RMSNorm, fc, relu², mlp.proj; then the last
// residual, RMSNorm, the head and the softcap. Header-only and free of CUDA headers.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "model_config.h"
#include "status.h"

namespace golf::runtime_cuda {

// The attention problem: B sequences of T tokens, H query and KV key/value heads of hd, scores scaled by `scale`.
struct GraphAttention {
  int B = 0, T = 0, H = 0, KV = 0, hd = 0;
  float scale = 0;
};

template <typename T>
struct GraphBlock {
  const T *c_q = nullptr, *c_k = nullptr, *c_v = nullptr, *attn_proj = nullptr, *fc = nullptr, *mlp_proj = nullptr;
  const float* q_gain = nullptr;      // (H)
  const float* attn_scale = nullptr;  // (d)
  const float* mlp_scale = nullptr;   // (d)
  const float* resid_mix = nullptr;   // (2, d)
};

template <typename T>
struct GraphWeights {
  const float* tok_emb = nullptr;       // (V, d) fp32
  const T* head = nullptr;              // (V, d)
  const float* skip_weights = nullptr;  // (S, d)
  std::vector<GraphBlock<T>> blocks;
};

// Activations for up to N tokens, in T; logits and statistics fp32.
template <typename T>
struct GraphBuffers {
  T *x = nullptr, *x0 = nullptr, *xn = nullptr;       // (N, d)
  T *q = nullptr, *k = nullptr, *v = nullptr;         // (N, d), (N, kv), (N, kv)
  T* y = nullptr;                                      // (N, d) QK-norm rows the fused kernel keeps
  T *attn = nullptr, *hidden = nullptr, *sub = nullptr;  // (N, d), (N, hidden), (N, d)
  T* skips = nullptr;                                  // (S, N, d)
  T* head_out = nullptr;                               // (N, V)
  float* logits = nullptr;                             // (N, V) after the softcap
  float* rstd = nullptr;                               // (N · H)
  const int32_t* ids = nullptr;                        // (N)
  const float *cos_t = nullptr, *sin_t = nullptr;      // (≥ T, rope_dims / 2)
};

// The KV cache of one sequence for decoding: per layer n_ctx rows of k and of v (kv wide), in T.
template <typename T>
struct GraphCache {
  T* k = nullptr;  // (layers, n_ctx, kv)
  T* v = nullptr;  // (layers, n_ctx, kv)
  int n_ctx = 0;
  int past = 0;    // positions already in the cache: the new tokens go to past .. past + T_ − 1
};

// logits of B sequences of T_ tokens (ids in buf.ids), each at positions 0 .. T_−1. With a cache (B = 1): the T_
// tokens are at positions cache->past .., their k and v are written to the cache, and they attend to every cached
// position before them (Ops::attention_past).
template <typename T, class Ops>
Status forward_graph(Ops& ops, const ModelConfig& c, const GraphWeights<T>& w, const GraphBuffers<T>& buf, int B,
                     int T_, const GraphCache<T>* cache = nullptr) {
  const int N = B * T_, d = c.model_dim, kv = c.kv_dim(), hid = c.mlp_hidden, V = c.vocab_size, H = c.num_heads;
  const int KV = c.num_kv_heads, hd = c.head_dim(), E = c.num_encoder_layers, S = c.num_skips();
  const float eps = c.norm_eps, slope = c.activation == "leaky_relu2" ? c.activation_slope : 0.0f;
  T *x = buf.x, *x0 = buf.x0, *xn = buf.xn, *q = buf.q, *k = buf.k, *v = buf.v, *sub = buf.sub;
  auto skip_slot = [&](int i) { return buf.skips + (size_t)i * N * d; };
  const GraphAttention shape{B, T_, H, KV, hd, (float)(1.0 / std::sqrt((double)hd))};
  // Cached decoding: the RoPE tables from position past on (the ops rotate row n by table row n % T_).
  const size_t rope_row0 = cache ? (size_t)cache->past * (size_t)(c.rope_dims / 2) : 0;
  const float* cos_t = buf.cos_t ? buf.cos_t + rope_row0 : nullptr;
  const float* sin_t = buf.sin_t ? buf.sin_t + rope_row0 : nullptr;

  GOLF_RETURN_IF_ERROR(ops.encoder(x, buf.ids, w.tok_emb, N, d));
  GOLF_RETURN_IF_ERROR(ops.rms_norm(x, buf.rstd, x, N, d, eps));
  GOLF_RETURN_IF_ERROR(ops.copy(x0, x, (size_t)N * d));
  for (int b = 0; b < c.num_layers; b++) {
    const GraphBlock<T>& W = w.blocks[b];
    if (b > 0) {
      GOLF_RETURN_IF_ERROR(ops.scaled_add(x, x, w.blocks[b - 1].mlp_scale, sub, N, d));
      const int e = b - 1;  // the last S encoder outputs are pushed, slot 0 the deepest
      if (e < E && e >= E - S) GOLF_RETURN_IF_ERROR(ops.copy(skip_slot(e - (E - S)), x, (size_t)N * d));
    }
    if (b >= E && b - E < S) {
      const int i = b - E;  // decoder block i pops encoder output E−1−i, in slot S−1−i
      GOLF_RETURN_IF_ERROR(ops.scaled_add(x, x, w.skip_weights + (size_t)i * d, skip_slot(S - 1 - i), N, d));
    }
    GOLF_RETURN_IF_ERROR(ops.resid_mix(x, x, x0, W.resid_mix, N, d));
    GOLF_RETURN_IF_ERROR(ops.rms_norm(xn, buf.rstd, x, N, d, eps));
    GOLF_RETURN_IF_ERROR(ops.linear(q, xn, W.c_q, N, d, d));
    GOLF_RETURN_IF_ERROR(ops.linear(k, xn, W.c_k, N, d, kv));
    GOLF_RETURN_IF_ERROR(ops.linear(v, xn, W.c_v, N, d, kv));
    if (c.qk_norm) {
      GOLF_RETURN_IF_ERROR(
          ops.qk_norm_rope(q, buf.y, buf.rstd, q, W.q_gain, cos_t, sin_t, N, T_, H, hd, c.rope_dims, eps));
      GOLF_RETURN_IF_ERROR(
          ops.qk_norm_rope(k, buf.y, buf.rstd, k, nullptr, cos_t, sin_t, N, T_, KV, hd, c.rope_dims, eps));
    } else {
      if (c.rope_dims > 0) {
        GOLF_RETURN_IF_ERROR(ops.rope(q, q, cos_t, sin_t, N, T_, H, hd, c.rope_dims));
        GOLF_RETURN_IF_ERROR(ops.rope(k, k, cos_t, sin_t, N, T_, KV, hd, c.rope_dims));
      }
      GOLF_RETURN_IF_ERROR(ops.head_gain(q, q, W.q_gain, N, H, hd));
    }
    if (cache == nullptr) {
      GOLF_RETURN_IF_ERROR(ops.attention(buf.attn, q, k, v, shape));
    } else {
      T* k_layer = cache->k + (size_t)b * cache->n_ctx * kv;
      T* v_layer = cache->v + (size_t)b * cache->n_ctx * kv;
      GOLF_RETURN_IF_ERROR(ops.copy(k_layer + (size_t)cache->past * kv, k, (size_t)N * kv));
      GOLF_RETURN_IF_ERROR(ops.copy(v_layer + (size_t)cache->past * kv, v, (size_t)N * kv));
      GOLF_RETURN_IF_ERROR(ops.attention_past(buf.attn, q, k_layer, v_layer, cache->past, shape));
    }
    GOLF_RETURN_IF_ERROR(ops.linear(sub, buf.attn, W.attn_proj, N, d, d));
    GOLF_RETURN_IF_ERROR(ops.scaled_add(x, x, W.attn_scale, sub, N, d));
    GOLF_RETURN_IF_ERROR(ops.rms_norm(xn, buf.rstd, x, N, d, eps));
    GOLF_RETURN_IF_ERROR(ops.linear(buf.hidden, xn, W.fc, N, d, hid));
    GOLF_RETURN_IF_ERROR(ops.activation(buf.hidden, buf.hidden, (size_t)N * hid, slope));
    GOLF_RETURN_IF_ERROR(ops.linear(sub, buf.hidden, W.mlp_proj, N, hid, d));
  }
  GOLF_RETURN_IF_ERROR(ops.scaled_add(x, x, w.blocks[c.num_layers - 1].mlp_scale, sub, N, d));
  GOLF_RETURN_IF_ERROR(ops.rms_norm(xn, buf.rstd, x, N, d, eps));
  GOLF_RETURN_IF_ERROR(ops.linear(buf.head_out, xn, w.head, N, d, V));
  return ops.softcap(buf.logits, buf.head_out, (size_t)N * V, c.logit_softcap);
}

}  // namespace golf::runtime_cuda
