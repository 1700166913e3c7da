// model.cpp: golf-gpt forward/backward on the CPU (arena layout, block forward, block backward, U-Net skips, head).
#include "model.h"

#include <cmath>
#include <cstring>

#include "attention.h"  // defines: attention_forward, attention_backward
#include "layers.h"     // defines: rms_norm_*, rope_*, resid_mix_*, scaled_add_*, activation_*, softcap_cross_entropy_*
#include "matmul.h"     // defines: linear_forward, linear_backward, threads_count
#include "model/rope_table.h"  // defines: rope_tables_fill (the runtime's tables, bit for bit)

namespace golf::train_cpu {

// ---- arena ----------------------------------------------------------------------------------------------------------

// Carves the arena in two passes: with base == nullptr it only counts, then the same walk assigns pointers.
static size_t activations_carve(Activations* a, float* base) {
  const ModelConfig& c = a->config;
  const size_t N = (size_t)a->B_max * a->T_max, d = c.model_dim, kv = c.kv_dim(), hid = c.mlp_hidden;
  const size_t H = c.num_heads, KV = c.num_kv_heads, V = c.vocab_size, S = c.num_skips();
  size_t off = 0;
  auto take = [&](size_t n) {
    float* p = base ? base + off : nullptr;
    off += (n + 15) & ~size_t(15);
    return p;
  };
  a->ids = (int32_t*)take(N);
  a->targets = (int32_t*)take(N);
  a->x0 = take(N * d);
  a->r0 = take(N);
  a->layers.assign(c.num_layers, LayerActs{});
  auto take_layer = [&](LayerActs& L) {
    L.xm = take(N * d);
    L.xn1 = take(N * d);
    L.r1 = take(N);
    L.qn = take(N * d);
    L.rq = take(N * H);
    L.qr = take(N * d);
    L.qf = take(N * d);
    L.kn = take(N * kv);
    L.rk = take(N * KV);
    L.kf = take(N * kv);
    L.v = take(N * kv);
    L.att = take(N * d);
    L.lse = take(N * H);
    L.ao = take(N * d);
    L.xa = take(N * d);
    L.xn2 = take(N * d);
    L.r2 = take(N);
    L.hp = take(N * hid);
    L.ha = take(N * hid);
    L.mo = take(N * d);
    L.out = take(N * d);
  };
  // Forward-only arenas keep one set of block buffers for all blocks (a block reads its input only in resid_mix,
  // before it writes its output, so input and output may share a buffer), plus the outputs of the encoder blocks a
  // decoder pops and one decoder input buffer.
  LayerActs shared{};
  float* shared_xin = nullptr;
  if (!a->training) {
    take_layer(shared);
    shared_xin = S > 0 ? take(N * d) : nullptr;
  }
  for (int l = 0; l < c.num_layers; l++) {
    LayerActs& L = a->layers[l];
    int i = l - c.num_encoder_layers;
    bool has_skip = i >= 0 && i < (int)S;
    bool is_popped = l < c.num_encoder_layers && c.num_encoder_layers - 1 - l < (int)S;
    if (a->training) {
      take_layer(L);
      // Decoder blocks that add a skip need their own input buffer; the others read the previous block's output.
      L.xin = has_skip ? take(N * d) : nullptr;
    } else {
      L = shared;
      L.xin = has_skip ? shared_xin : nullptr;
      if (is_popped) L.out = take(N * d);
    }
  }
  a->xnf = take(N * d);
  a->rf = take(N);
  a->logits = take(N * V);
  a->lse = take(N);
  size_t half = c.rope_dims / 2 > 0 ? c.rope_dims / 2 : 1;
  a->rope_cos = take((size_t)a->T_max * half);
  a->rope_sin = take((size_t)a->T_max * half);
  a->attn_scratch = take(attention_scratch_floats(a->T_max, a->attn_threads));
  if (!a->training) return off;  // no backward buffers
  a->dres = take(N * d);
  a->dx0 = take(N * d);
  a->dskip = take(S * N * d);
  a->dtmp = take(N * d);
  a->dtmp2 = take(N * d);
  a->dq = take(N * d);
  a->dk = take(N * kv);
  a->dv = take(N * kv);
  a->dh = take(N * hid);
  return off;
}

Status activations_init(const ModelConfig& cfg, int B_max, int T_max, Activations* a, bool training) {
  GOLF_RETURN_IF_ERROR(cfg.validate());
  if (B_max < 1 || T_max < 1) return Status(StatusCode::invalid_argument, "activations: B and T must be >= 1");
  a->config = cfg;
  a->B_max = B_max;
  a->T_max = T_max;
  a->attn_threads = threads_count();
  a->training = training;
  a->backward_ready = false;
  size_t total = activations_carve(a, nullptr);
  if (!a->mem.allocate(total * sizeof(float)))
    return Status(StatusCode::out_of_memory, "activations: cannot allocate " + std::to_string(total * 4) +
                                                 " bytes for B=" + std::to_string(B_max) + ", T=" + std::to_string(T_max) +
                                                 " (use a smaller micro-batch)");
  activations_carve(a, (float*)a->mem.data());
  if (cfg.rope_dims > 0) rope_tables_fill(a->rope_cos, a->rope_sin, T_max, cfg.rope_dims, cfg.rope_base);
  return Status::Ok();
}

size_t activations_bytes(const ModelConfig& cfg, int B_max, int T_max, bool training) {
  Activations a;
  a.config = cfg;
  a.B_max = B_max;
  a.T_max = T_max;
  a.attn_threads = threads_count();
  a.training = training;
  return activations_carve(&a, nullptr) * sizeof(float);
}

static float activation_slope(const ModelConfig& c) { return c.activation == "leaky_relu2" ? c.activation_slope : 0.0f; }

// ---- forward --------------------------------------------------------------------------------------------------------

static void block_forward(const ModelConfig& c, const BlockParams& p, LayerActs& L, const float* xin, const float* x0,
                          Activations* a, int B, int T) {
  const int N = B * T, d = c.model_dim, kv = c.kv_dim(), H = c.num_heads, KV = c.num_kv_heads, hd = c.head_dim();
  const int hid = c.mlp_hidden;
  resid_mix_forward(L.xm, xin, x0, p.resid_mix, N, d);
  // Attention branch.
  rms_norm_forward(L.xn1, L.r1, L.xm, N, d, c.norm_eps);
  linear_forward(L.qn, L.xn1, p.c_q, N, d, d);
  linear_forward(L.kn, L.xn1, p.c_k, N, d, kv);
  linear_forward(L.v, L.xn1, p.c_v, N, d, kv);
  if (c.qk_norm) {
    rms_norm_forward(L.qn, L.rq, L.qn, N * H, hd, c.norm_eps);
    rms_norm_forward(L.kn, L.rk, L.kn, N * KV, hd, c.norm_eps);
  }
  rope_forward(L.qr, L.qn, a->rope_cos, a->rope_sin, N, T, H, hd, c.rope_dims);
  rope_forward(L.kf, L.kn, a->rope_cos, a->rope_sin, N, T, KV, hd, c.rope_dims);
  head_gain_forward(L.qf, L.qr, p.q_gain, N, H, hd);
  AttentionShape as{B, T, H, KV, hd, 1.0f / std::sqrt((float)hd)};
  attention_forward(L.att, L.lse, L.qf, L.kf, L.v, as, a->attn_scratch);
  linear_forward(L.ao, L.att, p.proj, N, d, d);
  scaled_add_forward(L.xa, L.xm, p.attn_scale, L.ao, N, d);
  // MLP branch.
  rms_norm_forward(L.xn2, L.r2, L.xa, N, d, c.norm_eps);
  linear_forward(L.hp, L.xn2, p.fc, N, d, hid);
  activation_forward(L.ha, L.hp, (size_t)N * hid, activation_slope(c));
  linear_forward(L.mo, L.ha, p.mlp_proj, N, hid, d);
  scaled_add_forward(L.out, L.xa, p.mlp_scale, L.mo, N, d);
}

Status model_forward(const ParamStore& ps, Activations* a, const int32_t* ids, const int32_t* targets, int B, int T,
                     double* loss, float* nll) {
  const ModelConfig& c = ps.layout.config;
  a->backward_ready = false;
  if (B < 1 || T < 1 || B > a->B_max || T > a->T_max)
    return Status(StatusCode::invalid_argument, "model_forward: batch (" + std::to_string(B) + ", " +
                                                    std::to_string(T) + ") exceeds the arena (" +
                                                    std::to_string(a->B_max) + ", " + std::to_string(a->T_max) + ")");
  if (a->attn_threads < threads_count())
    return Status(StatusCode::invalid_argument, "model_forward: more threads than when the arena was sized");
  const int N = B * T, d = c.model_dim, V = c.vocab_size, E = c.num_encoder_layers, S = c.num_skips();
  for (int n = 0; n < N; n++) {
    if (ids[n] < 0 || ids[n] >= V || (targets && (targets[n] < 0 || targets[n] >= V)))
      return Status(StatusCode::invalid_argument, "model_forward: token id out of range [0, " + std::to_string(V) +
                                                      ") at position " + std::to_string(n));
  }
  a->B = B;
  a->T = T;
  std::memcpy(a->ids, ids, N * sizeof(int32_t));
  if (targets) std::memcpy(a->targets, targets, N * sizeof(int32_t));

  encoder_forward(a->x0, a->ids, ps.p.tok_emb, N, d);
  rms_norm_forward(a->x0, a->r0, a->x0, N, d, c.norm_eps);
  const float* x = a->x0;
  for (int l = 0; l < c.num_layers; l++) {
    LayerActs& L = a->layers[l];
    int i = l - E;  // decoder index
    if (i >= 0 && i < S) {
      // LIFO: decoder block i pops the output of encoder block E-1-i.
      scaled_add_forward(L.xin, x, ps.p.skip_weights + (size_t)i * d, a->layers[E - 1 - i].out, N, d);
      x = L.xin;
    }
    block_forward(c, ps.p.blocks[l], L, x, a->x0, a, B, T);
    x = L.out;
  }
  rms_norm_forward(a->xnf, a->rf, x, N, d, c.norm_eps);
  const float* head = c.tie_embeddings ? ps.p.tok_emb : ps.p.lm_head;
  linear_forward(a->logits, a->xnf, head, N, d, V);
  double l = 0;
  softcap_cross_entropy_forward(a->logits, a->lse, nll, &l, targets ? a->targets : nullptr, N, V, c.logit_softcap);
  a->loss = l;
  if (loss) *loss = targets ? l : 0.0;
  a->backward_ready = targets != nullptr && a->training;
  return Status::Ok();
}

// ---- backward -------------------------------------------------------------------------------------------------------

// On entry a->dres = dL/d(block output); on exit dL/d(block input xin). Parameter grads accumulate into g.
static void block_backward(const ModelConfig& c, const BlockParams& p, const BlockParams& g, const LayerActs& L,
                           const float* xin, Activations* a, int B, int T) {
  const int N = B * T, d = c.model_dim, kv = c.kv_dim(), H = c.num_heads, KV = c.num_kv_heads, hd = c.head_dim();
  const int hid = c.mlp_hidden;
  float* dres = a->dres;
  // MLP branch: out = xa + mlp_scale⊙mo; dxa = dres (kept in place), dmo = dres⊙mlp_scale.
  scaled_add_backward(a->dtmp, g.mlp_scale, dres, L.mo, p.mlp_scale, N, d, false);
  linear_backward(a->dh, g.mlp_proj, a->dtmp, L.ha, p.mlp_proj, N, hid, d, false);
  activation_backward(a->dh, a->dh, L.hp, (size_t)N * hid, activation_slope(c));
  linear_backward(a->dtmp, g.fc, a->dh, L.xn2, p.fc, N, d, hid, false);
  rms_norm_backward(dres, a->dtmp, L.xn2, L.r2, N, d, true);
  // Attention branch: xa = xm + attn_scale⊙ao.
  scaled_add_backward(a->dtmp, g.attn_scale, dres, L.ao, p.attn_scale, N, d, false);
  linear_backward(a->dtmp2, g.proj, a->dtmp, L.att, p.proj, N, d, d, false);
  AttentionShape as{B, T, H, KV, hd, 1.0f / std::sqrt((float)hd)};
  attention_backward(a->dq, a->dk, a->dv, a->dtmp2, L.att, L.qf, L.kf, L.v, L.lse, as, a->attn_scratch);
  head_gain_backward(a->dq, g.q_gain, a->dq, L.qr, p.q_gain, N, H, hd);
  rope_backward(a->dq, a->dq, a->rope_cos, a->rope_sin, N, T, H, hd, c.rope_dims);
  rope_backward(a->dk, a->dk, a->rope_cos, a->rope_sin, N, T, KV, hd, c.rope_dims);
  if (c.qk_norm) {
    rms_norm_backward(a->dq, a->dq, L.qn, L.rq, N * H, hd, false);
    rms_norm_backward(a->dk, a->dk, L.kn, L.rk, N * KV, hd, false);
  }
  linear_backward(a->dtmp, g.c_q, a->dq, L.xn1, p.c_q, N, d, d, false);
  linear_backward(a->dtmp, g.c_k, a->dk, L.xn1, p.c_k, N, d, kv, true);
  linear_backward(a->dtmp, g.c_v, a->dv, L.xn1, p.c_v, N, d, kv, true);
  rms_norm_backward(dres, a->dtmp, L.xn1, L.r1, N, d, true);
  // xm = mix0⊙xin + mix1⊙x0: dres becomes dL/dxin, x0's share goes to dx0.
  resid_mix_backward(dres, a->dx0, g.resid_mix, dres, xin, a->x0, p.resid_mix, N, d);
}

Status model_backward(ParamStore* ps, Activations* a, float loss_scale) {
  if (!a->backward_ready)
    return Status(StatusCode::invalid_argument, a->training ? "model_backward: needs a model_forward with targets first"
                                                             : "model_backward: the arena was built forward-only");
  a->backward_ready = false;
  const ModelConfig& c = ps->layout.config;
  const int B = a->B, T = a->T, N = B * T, d = c.model_dim, V = c.vocab_size, E = c.num_encoder_layers;
  const int S = c.num_skips();
  const size_t Nd = (size_t)N * d;
  // Head: logits become d(raw logits), then into final_norm.
  softcap_cross_entropy_backward(a->logits, a->lse, a->targets, N, V, c.logit_softcap, loss_scale / (float)N);
  float* head = c.tie_embeddings ? ps->p.tok_emb : ps->p.lm_head;
  float* dhead = c.tie_embeddings ? ps->g.tok_emb : ps->g.lm_head;
  linear_backward(a->dtmp, dhead, a->logits, a->xnf, head, N, d, V, false);
  rms_norm_backward(a->dres, a->dtmp, a->xnf, a->rf, N, d, false);
  std::memset(a->dx0, 0, Nd * sizeof(float));
  for (int l = c.num_layers - 1; l >= 0; l--) {
    const LayerActs& L = a->layers[l];
    // An encoder output that a decoder popped also receives that skip's gradient.
    int skip_user = E - 1 - l;  // decoder index that pops encoder block l
    if (l < E && skip_user < S) {
      const float* ds = a->dskip + (size_t)skip_user * Nd;
      float* dr = a->dres;
#pragma omp parallel for schedule(static)
      for (size_t i = 0; i < Nd; i++) dr[i] += ds[i];
    }
    int i = l - E;
    bool has_skip = i >= 0 && i < S;
    const float* xin = has_skip ? L.xin : (l == 0 ? a->x0 : a->layers[l - 1].out);
    block_backward(c, ps->p.blocks[l], ps->g.blocks[l], L, xin, a, B, T);
    if (has_skip) {
      // xin = x_prev + skip_weights[i]⊙skip: the skip's gradient is parked until encoder block E-1-i is reached.
      scaled_add_backward(a->dskip + (size_t)i * Nd, ps->g.skip_weights + (size_t)i * d, a->dres,
                          a->layers[E - 1 - i].out, ps->p.skip_weights + (size_t)i * d, N, d, false);
    }
  }
  // The residual stream starts as x0.
  float* dx0 = a->dx0;
  const float* dr = a->dres;
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < Nd; i++) dx0[i] += dr[i];
  rms_norm_backward(a->dtmp, a->dx0, a->x0, a->r0, N, d, false);
  encoder_backward(ps->g.tok_emb, a->dtmp, a->ids, N, d);
  return Status::Ok();
}

double model_train_flops_per_token(const ModelConfig& c, int T) {
  double d = c.model_dim, kv = c.kv_dim(), hid = c.mlp_hidden, V = c.vocab_size;
  double per_layer = 2 * d * d + 2 * kv * d + 2 * hid * d;  // weights touched per token
  double matmul = 6.0 * (per_layer * c.num_layers + V * d);
  // Causal attention: QKᵀ and PV, each 2·T/2·hd per head per token forward; ×3 for forward + backward.
  double attn = 3.0 * 2.0 * 2.0 * (T / 2.0) * c.head_dim() * c.num_heads * c.num_layers;
  return matmul + attn;
}

}  // namespace golf::train_cpu
