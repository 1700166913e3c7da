// model.cpp: golf-gpt forward/backward on the GPU as the sequence of trainer/cuda launchers that mirrors
// trainer/cpu/model.cpp line for line (arena carving from the memory plan, block forward, block backward, U-Net
// skips, head). Host code: it only enqueues kernels and cuBLASLt products on one stream.
#include "model.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "activation.h"       // defines: activation_forward/backward
#include "attention.h"        // defines: attention_forward/backward, AttentionShape
#include "classifier.h"       // defines: softcap_cross_entropy_forward, softcap_cross_entropy_fused
#include "encoder.h"          // defines: encoder_forward/backward, EncoderBuckets
#include "encoder_math.h"     // defines: encoder_buckets_plan
#include "model/rope_table.h" // defines: rope_tables_fill (the runtime's tables, bit for bit)
#include "qk_norm_rope.h"     // defines: qk_norm_rope_forward/backward, qk_norm_rope_scratch_doubles
#include "residual.h"         // defines: resid_mix_*, scaled_add_*
#include "residual_norm.h"    // defines: resid_mix_rms_norm_forward, scaled_add_rms_norm_forward
#include "rms_norm.h"         // defines: rms_norm_forward/backward
#include "rope.h"             // defines: rope_*, head_gain_*

namespace golf::train_cuda {

// ---- arena --------------------------------------------------------------------------------------------------------

template <typename T>
Status device_model_init(const MemoryPlan& plan, void* base, const GemmContext* gemm, DeviceModel<T>* m) {
  if (plan.input.act_bytes != (int)sizeof(T))
    return Status(StatusCode::invalid_argument, "device model: the memory plan is for another precision");
  const ModelConfig& c = plan.input.model;
  m->config = c;
  GOLF_RETURN_IF_ERROR(train_cpu::param_layout_build(c, &m->layout));
  m->rows_max = plan.input.rows;
  m->T_max = plan.input.T;
  m->max_micro = plan.input.max_micro;
  m->gemm = gemm;
  std::string missing;
  auto at = [&](const std::string& name) -> char* {
    const MemoryRegion* r = plan.find(name);
    if (!r) {
      missing = name;
      return nullptr;
    }
    return static_cast<char*>(base) + r->offset;
  };
  auto act = [&](const std::string& name) { return reinterpret_cast<T*>(at(name)); };
  auto f32 = [&](const std::string& name) { return reinterpret_cast<float*>(at(name)); };
  auto i32 = [&](const std::string& name) { return reinterpret_cast<int32_t*>(at(name)); };
  m->params = f32("weights.master");
  m->weights = sizeof(T) == 4 ? reinterpret_cast<const T*>(m->params) : act("weights.bf16");
  m->grads = f32("grads");
  train_cpu::model_params_point(m->layout, m->params, &m->p);
  train_cpu::model_params_point(m->layout, m->grads, &m->g);
  m->ids = i32("in.ids");
  m->targets = i32("in.targets");
  m->enc_order = i32("in.enc_order");
  m->enc_start = i32("in.enc_start");
  m->x0 = act("act.x0");
  m->r0 = f32("stat.r0");
  m->layers.assign(c.num_layers, DeviceLayerActs<T>{});
  for (int l = 0; l < c.num_layers; l++) {
    DeviceLayerActs<T>& L = m->layers[l];
    const std::string a = "act." + std::to_string(l) + ".", s = "stat." + std::to_string(l) + ".";
    const int i = l - c.num_encoder_layers;
    if (i >= 0 && i < c.num_skips()) L.xin = act(a + "xin");
    L.xm = act(a + "xm");
    L.xn1 = act(a + "xn1");
    L.r1 = f32(s + "r1");
    L.qn = act(a + "qn");
    L.rq = f32(s + "rq");
    L.qr = act(a + "qr");
    L.qf = act(a + "qf");
    L.kn = act(a + "kn");
    L.rk = f32(s + "rk");
    L.kf = act(a + "kf");
    L.v = act(a + "v");
    L.att = act(a + "att");
    L.lse = f32(s + "lse");
    L.ao = act(a + "ao");
    L.xa = act(a + "xa");
    L.xn2 = act(a + "xn2");
    L.r2 = f32(s + "r2");
    L.hp = act(a + "hp");
    L.ha = act(a + "ha");
    L.mo = act(a + "mo");
    L.out = act(a + "out");
  }
  m->xnf = act("act.xnf");
  m->rf = f32("stat.rf");
  m->logits = act("cls.logits");
  m->lse = f32("cls.lse");
  m->nll = f32("cls.nll");
  m->losses = reinterpret_cast<double*>(at("cls.losses"));
  m->dres = act("bwd.dres");
  m->dx0 = act("bwd.dx0");
  m->dtmp = act("bwd.dtmp");
  m->dtmp2 = act("bwd.dtmp2");
  m->dq = act("bwd.dq");
  m->dskip = act("bwd.dskip");
  m->dk = act("bwd.dk");
  m->dv = act("bwd.dv");
  m->dh = act("bwd.dh");
  m->colsum_scratch = reinterpret_cast<double*>(at("scratch.colsum"));
  m->attn_scratch = f32("scratch.attention");
  m->rope_cos = f32("rope.cos");
  m->rope_sin = f32("rope.sin");
  m->ones = f32("const.ones");
  if (!missing.empty())
    return Status(StatusCode::invalid_argument, "device model: the memory plan has no region '" + missing + "'");
  const size_t N = (size_t)m->rows_max * m->T_max;
  // The plan's reduction scratch must hold what every launcher that uses it asks for (their sizes live in .cu files).
  const int Ni = (int)N, d = c.model_dim;
  const size_t need = std::max({colsum_scratch_doubles(Ni, d), head_gain_scratch_doubles(Ni, c.num_heads, c.head_dim()),
                                qk_norm_rope_scratch_doubles(Ni, c.num_heads)});
  if (need * sizeof(double) > plan.find("scratch.colsum")->bytes)
    return Status(StatusCode::invalid_argument, "device model: the memory plan's reduction scratch is too small");
  AttentionShape as{m->rows_max, m->T_max, c.num_heads, c.num_kv_heads, c.head_dim(), 1.0f};
  GOLF_RETURN_IF_ERROR(attention_check_shape(as));
  if (attention_backward_scratch_floats(as) * sizeof(float) > plan.find("scratch.attention")->bytes)
    return Status(StatusCode::invalid_argument, "device model: the memory plan's attention scratch is too small");
  m->host_order.assign(N, 0);
  m->host_start.assign(N + 1, 0);
  m->host_scratch.assign((size_t)c.vocab_size + 1, 0);
  // Constants, once at setup.
  const size_t half = c.rope_dims / 2 > 0 ? c.rope_dims / 2 : 1;
  std::vector<float> cos_t((size_t)m->T_max * half, 0.0f), sin_t(cos_t.size(), 0.0f);
  if (c.rope_dims > 0) rope_tables_fill(cos_t.data(), sin_t.data(), m->T_max, c.rope_dims, c.rope_base);
  GOLF_CUDA_CHECK(cudaMemcpy(m->rope_cos, cos_t.data(), cos_t.size() * sizeof(float), cudaMemcpyHostToDevice));
  GOLF_CUDA_CHECK(cudaMemcpy(m->rope_sin, sin_t.data(), sin_t.size() * sizeof(float), cudaMemcpyHostToDevice));
  std::vector<float> ones((size_t)c.model_dim, 1.0f);
  GOLF_CUDA_CHECK(cudaMemcpy(m->ones, ones.data(), ones.size() * sizeof(float), cudaMemcpyHostToDevice));
  m->backward_ready = false;
  return Status::Ok();
}

std::vector<GemmShape> device_model_gemm_shapes(const ModelConfig& cfg, int rows, int ns_steps) {
  std::vector<GemmShape> shapes;
  GemmPlan plan;
  if (!gemm_plan_build(cfg, rows, ns_steps, &plan).ok()) return shapes;
  shapes = plan.distinct_shapes();
  for (const GemmShape& s : {linear_forward_shape(rows, cfg.model_dim, cfg.model_dim),
                             linear_forward_shape(rows, cfg.model_dim, cfg.kv_dim())}) {
    bool have = false;
    for (const GemmShape& o : shapes) have = have || o.same_plan(s);
    if (!have) shapes.push_back(s);
  }
  return shapes;
}

static float activation_slope(const ModelConfig& c) {
  return c.activation == "leaky_relu2" ? c.activation_slope : 0.0f;
}

// ---- forward ------------------------------------------------------------------------------------------------------

template <typename T>
static Status block_forward(DeviceModel<T>* m, const train_cpu::BlockParams& p, DeviceLayerActs<T>& L, const T* xin,
                            int B, int T_, cudaStream_t st) {
  const ModelConfig& c = m->config;
  const int N = B * T_, d = c.model_dim, kv = c.kv_dim(), H = c.num_heads, KV = c.num_kv_heads, hd = c.head_dim();
  const int hid = c.mlp_hidden;
  const GemmContext& G = *m->gemm;
  // Attention branch: resid_mix and attn_norm in one pass (residual_norm.h, their composition).
  GOLF_RETURN_IF_ERROR(resid_mix_rms_norm_forward(L.xm, L.xn1, L.r1, xin, m->x0, p.resid_mix, N, d, c.norm_eps, st));
  if (c.qk_norm) {
    // The fused path (qk_norm_rope.h), the composition rms_norm → rope → head_gain of the CPU model in one kernel:
    // the raw q projection goes to qr (a work buffer here), the normalised rows to qn/kn, rstd to rq/rk.
    GOLF_RETURN_IF_ERROR(linear_forward(L.qr, L.xn1, m->w(p.c_q), N, d, d, G, st));
    GOLF_RETURN_IF_ERROR(linear_forward(L.kf, L.xn1, m->w(p.c_k), N, d, kv, G, st));
    GOLF_RETURN_IF_ERROR(linear_forward(L.v, L.xn1, m->w(p.c_v), N, d, kv, G, st));
    GOLF_RETURN_IF_ERROR(qk_norm_rope_forward(L.qf, L.qn, L.rq, L.qr, p.q_gain, m->rope_cos, m->rope_sin, N, T_, H, hd,
                                              c.rope_dims, c.norm_eps, st));
    GOLF_RETURN_IF_ERROR(qk_norm_rope_forward(L.kf, L.kn, L.rk, L.kf, (const float*)nullptr, m->rope_cos, m->rope_sin,
                                              N, T_, KV, hd, c.rope_dims, c.norm_eps, st));
  } else {
    GOLF_RETURN_IF_ERROR(linear_forward(L.qn, L.xn1, m->w(p.c_q), N, d, d, G, st));
    GOLF_RETURN_IF_ERROR(linear_forward(L.kn, L.xn1, m->w(p.c_k), N, d, kv, G, st));
    GOLF_RETURN_IF_ERROR(linear_forward(L.v, L.xn1, m->w(p.c_v), N, d, kv, G, st));
    GOLF_RETURN_IF_ERROR(rope_forward(L.qr, L.qn, m->rope_cos, m->rope_sin, N, T_, H, hd, c.rope_dims, st));
    GOLF_RETURN_IF_ERROR(rope_forward(L.kf, L.kn, m->rope_cos, m->rope_sin, N, T_, KV, hd, c.rope_dims, st));
    GOLF_RETURN_IF_ERROR(head_gain_forward(L.qf, L.qr, p.q_gain, N, H, hd, st));
  }
  AttentionShape as{B, T_, H, KV, hd, 1.0f / std::sqrt((float)hd)};
  GOLF_RETURN_IF_ERROR(attention_forward(L.att, L.lse, L.qf, L.kf, L.v, as, st));
  GOLF_RETURN_IF_ERROR(linear_forward(L.ao, L.att, m->w(p.proj), N, d, d, G, st));
  // MLP branch: the scaled residual and mlp_norm in one pass.
  GOLF_RETURN_IF_ERROR(scaled_add_rms_norm_forward(L.xa, L.xn2, L.r2, L.xm, p.attn_scale, L.ao, N, d, c.norm_eps, st));
  GOLF_RETURN_IF_ERROR(linear_forward(L.hp, L.xn2, m->w(p.fc), N, d, hid, G, st));
  GOLF_RETURN_IF_ERROR(activation_forward(L.ha, L.hp, (size_t)N * hid, activation_slope(c), st));
  GOLF_RETURN_IF_ERROR(linear_forward(L.mo, L.ha, m->w(p.mlp_proj), N, hid, d, G, st));
  return scaled_add_forward(L.out, L.xa, p.mlp_scale, L.mo, N, d, st);
}

template <typename T>
Status model_forward(DeviceModel<T>* m, const int32_t* ids, const int32_t* targets, int B, int T_, double* loss,
                     float* nll, float loss_scale, cudaStream_t st) {
  const ModelConfig& c = m->config;
  m->backward_ready = false;
  if (B < 1 || T_ < 1 || B > m->rows_max || T_ > m->T_max)
    return Status(StatusCode::invalid_argument,
                  "model_forward (cuda): batch (" + std::to_string(B) + ", " + std::to_string(T_) +
                      ") exceeds the arena (" + std::to_string(m->rows_max) + ", " + std::to_string(m->T_max) + ")");
  if (!targets && (loss || nll || loss_scale > 0))
    return Status(StatusCode::invalid_argument, "model_forward (cuda): a loss needs targets");
  const int N = B * T_, d = c.model_dim, V = c.vocab_size, E = c.num_encoder_layers, S = c.num_skips();
  for (int n = 0; n < N; n++) {
    if (ids[n] < 0 || ids[n] >= V || (targets && (targets[n] < 0 || targets[n] >= V)))
      return Status(StatusCode::invalid_argument, "model_forward (cuda): token id out of range [0, " +
                                                      std::to_string(V) + ") at position " + std::to_string(n));
  }
  m->B = B;
  m->T_len = T_;
  // Inputs to the device; for training, the embedding backward's bucket plan too (pageable copies are staged
  // before cudaMemcpyAsync returns, so the host buffers may be reused at once).
  GOLF_CUDA_CHECK(cudaMemcpyAsync(m->ids, ids, N * sizeof(int32_t), cudaMemcpyHostToDevice, st));
  if (targets) GOLF_CUDA_CHECK(cudaMemcpyAsync(m->targets, targets, N * sizeof(int32_t), cudaMemcpyHostToDevice, st));
  if (loss_scale > 0) {
    m->enc_count = encoder_buckets_plan(ids, N, V, m->host_order.data(), m->host_start.data(), m->host_scratch.data());
    if (m->enc_count < 0) return Status(StatusCode::invalid_argument, "model_forward (cuda): bucket plan failed");
    GOLF_CUDA_CHECK(
        cudaMemcpyAsync(m->enc_order, m->host_order.data(), N * sizeof(int32_t), cudaMemcpyHostToDevice, st));
    GOLF_CUDA_CHECK(cudaMemcpyAsync(m->enc_start, m->host_start.data(), (m->enc_count + 1) * sizeof(int32_t),
                                    cudaMemcpyHostToDevice, st));
  }

  // x0 = rms_norm(tok_emb[ids]) in one pass (encoder.h), the composition encoder_forward → rms_norm_forward.
  GOLF_RETURN_IF_ERROR(encoder_rms_norm_forward(m->x0, m->r0, m->ids, m->p.tok_emb, N, d, c.norm_eps, st));
  const T* x = m->x0;
  for (int l = 0; l < c.num_layers; l++) {
    DeviceLayerActs<T>& L = m->layers[l];
    const int i = l - E;  // decoder index
    if (i >= 0 && i < S) {
      // LIFO: decoder block i pops the output of encoder block E-1-i.
      GOLF_RETURN_IF_ERROR(
          scaled_add_forward(L.xin, x, m->p.skip_weights + (size_t)i * d, m->layers[E - 1 - i].out, N, d, st));
      x = L.xin;
    }
    GOLF_RETURN_IF_ERROR(block_forward(m, m->p.blocks[l], L, x, B, T_, st));
    x = L.out;
  }
  GOLF_RETURN_IF_ERROR(rms_norm_forward(m->xnf, m->rf, x, N, d, c.norm_eps, st));
  const float* head = c.tie_embeddings ? m->p.tok_emb : m->p.lm_head;
  GOLF_RETURN_IF_ERROR(linear_forward(m->logits, m->xnf, m->w(head), N, d, V, *m->gemm, st));
  if (!targets) return Status::Ok();  // raw logits only
  float* nll_out = nll ? nll : m->nll;
  if (loss_scale > 0) {
    GOLF_RETURN_IF_ERROR(softcap_cross_entropy_fused(m->logits, m->lse, nll_out, loss, m->targets, N, V,
                                                     c.logit_softcap, loss_scale / (float)N, st));
    m->backward_ready = true;
  } else {
    GOLF_RETURN_IF_ERROR(
        softcap_cross_entropy_forward(m->logits, m->lse, nll_out, loss, m->targets, N, V, c.logit_softcap, st));
  }
  return Status::Ok();
}

// ---- backward -----------------------------------------------------------------------------------------------------

// On entry m->dres = dL/d(block output); on exit dL/d(block input xin). Parameter grads accumulate into g.
template <typename T>
static Status block_backward(DeviceModel<T>* m, const train_cpu::BlockParams& p, const train_cpu::BlockParams& g,
                             const DeviceLayerActs<T>& L, const T* xin, int B, int T_, cudaStream_t st) {
  const ModelConfig& c = m->config;
  const int N = B * T_, d = c.model_dim, kv = c.kv_dim(), H = c.num_heads, KV = c.num_kv_heads, hd = c.head_dim();
  const int hid = c.mlp_hidden;
  const GemmContext& G = *m->gemm;
  double* sc = m->colsum_scratch;
  T* dres = m->dres;
  // MLP branch: out = xa + mlp_scale⊙mo; dxa = dres (kept in place), dmo = dres⊙mlp_scale.
  GOLF_RETURN_IF_ERROR(scaled_add_backward(m->dtmp, g.mlp_scale, dres, L.mo, p.mlp_scale, N, d, false, sc, st));
  GOLF_RETURN_IF_ERROR(linear_backward(m->dh, g.mlp_proj, m->dtmp, L.ha, m->w(p.mlp_proj), N, hid, d, false, G, st));
  GOLF_RETURN_IF_ERROR(activation_backward(m->dh, m->dh, L.hp, (size_t)N * hid, activation_slope(c), st));
  GOLF_RETURN_IF_ERROR(linear_backward(m->dtmp, g.fc, m->dh, L.xn2, m->w(p.fc), N, d, hid, false, G, st));
  GOLF_RETURN_IF_ERROR(rms_norm_backward(dres, m->dtmp, L.xn2, L.r2, N, d, true, st));
  // Attention branch: xa = xm + attn_scale⊙ao.
  GOLF_RETURN_IF_ERROR(scaled_add_backward(m->dtmp, g.attn_scale, dres, L.ao, p.attn_scale, N, d, false, sc, st));
  GOLF_RETURN_IF_ERROR(linear_backward(m->dtmp2, g.proj, m->dtmp, L.att, m->w(p.proj), N, d, d, false, G, st));
  AttentionShape as{B, T_, H, KV, hd, 1.0f / std::sqrt((float)hd)};
  GOLF_RETURN_IF_ERROR(
      attention_backward(m->dq, m->dk, m->dv, m->dtmp2, L.att, L.qf, L.kf, L.v, L.lse, as, m->attn_scratch, st));
  if (c.qk_norm) {
    GOLF_RETURN_IF_ERROR(qk_norm_rope_backward(m->dq, g.q_gain, m->dq, L.qn, L.rq, p.q_gain, m->rope_cos, m->rope_sin,
                                               N, T_, H, hd, c.rope_dims, sc, st));
    GOLF_RETURN_IF_ERROR(qk_norm_rope_backward(m->dk, (float*)nullptr, m->dk, L.kn, L.rk, (const float*)nullptr,
                                               m->rope_cos, m->rope_sin, N, T_, KV, hd, c.rope_dims, sc, st));
  } else {
    GOLF_RETURN_IF_ERROR(head_gain_backward(m->dq, g.q_gain, m->dq, L.qr, p.q_gain, N, H, hd, sc, st));
    GOLF_RETURN_IF_ERROR(rope_backward(m->dq, m->dq, m->rope_cos, m->rope_sin, N, T_, H, hd, c.rope_dims, st));
    GOLF_RETURN_IF_ERROR(rope_backward(m->dk, m->dk, m->rope_cos, m->rope_sin, N, T_, KV, hd, c.rope_dims, st));
  }
  GOLF_RETURN_IF_ERROR(linear_backward(m->dtmp, g.c_q, m->dq, L.xn1, m->w(p.c_q), N, d, d, false, G, st));
  GOLF_RETURN_IF_ERROR(linear_backward(m->dtmp, g.c_k, m->dk, L.xn1, m->w(p.c_k), N, d, kv, true, G, st));
  GOLF_RETURN_IF_ERROR(linear_backward(m->dtmp, g.c_v, m->dv, L.xn1, m->w(p.c_v), N, d, kv, true, G, st));
  GOLF_RETURN_IF_ERROR(rms_norm_backward(dres, m->dtmp, L.xn1, L.r1, N, d, true, st));
  // xm = mix0⊙xin + mix1⊙x0: dres becomes dL/dxin, x0's share goes to dx0.
  return resid_mix_backward(dres, m->dx0, g.resid_mix, dres, xin, m->x0, p.resid_mix, N, d, sc, st);
}

template <typename T>
Status model_backward(DeviceModel<T>* m, cudaStream_t st, const std::function<Status(int layer)>& layer_done) {
  if (!m->backward_ready)
    return Status(StatusCode::invalid_argument, "model_backward (cuda): needs a training model_forward first");
  m->backward_ready = false;
  const ModelConfig& c = m->config;
  const int B = m->B, T_ = m->T_len, N = B * T_, d = c.model_dim, V = c.vocab_size, E = c.num_encoder_layers;
  const int S = c.num_skips();
  const size_t Nd = (size_t)N * d;
  const GemmContext& G = *m->gemm;
  // Head: the forward's fused classifier left d(raw logits) in m->logits; into final_norm.
  const float* head = c.tie_embeddings ? m->p.tok_emb : m->p.lm_head;
  float* dhead = c.tie_embeddings ? m->g.tok_emb : m->g.lm_head;
  GOLF_RETURN_IF_ERROR(linear_backward(m->dtmp, dhead, m->logits, m->xnf, m->w(head), N, d, V, false, G, st));
  GOLF_RETURN_IF_ERROR(rms_norm_backward(m->dres, m->dtmp, m->xnf, m->rf, N, d, false, st));
  GOLF_CUDA_CHECK(cudaMemsetAsync(m->dx0, 0, Nd * sizeof(T), st));
  for (int l = c.num_layers - 1; l >= 0; l--) {
    const DeviceLayerActs<T>& L = m->layers[l];
    // An encoder output that a decoder popped also receives that skip's gradient: dres += dskip (x + 1⊙y).
    const int skip_user = E - 1 - l;
    if (l < E && skip_user < S)
      GOLF_RETURN_IF_ERROR(scaled_add_forward(m->dres, m->dres, m->ones, m->dskip + (size_t)skip_user * Nd, N, d, st));
    const int i = l - E;
    const bool has_skip = i >= 0 && i < S;
    const T* xin = has_skip ? L.xin : (l == 0 ? m->x0 : m->layers[l - 1].out);
    GOLF_RETURN_IF_ERROR(block_backward(m, m->p.blocks[l], m->g.blocks[l], L, xin, B, T_, st));
    if (layer_done) GOLF_RETURN_IF_ERROR(layer_done(l));  // the block's gradients are final; the skip's are not
    if (has_skip) {
      // xin = x_prev + skip_weights[i]⊙skip: the skip's gradient is parked until encoder block E-1-i is reached.
      GOLF_RETURN_IF_ERROR(scaled_add_backward(m->dskip + (size_t)i * Nd, m->g.skip_weights + (size_t)i * d, m->dres,
                                               m->layers[E - 1 - i].out, m->p.skip_weights + (size_t)i * d, N, d,
                                               false, m->colsum_scratch, st));
    }
  }
  // The residual stream starts as x0: dx0 += dres.
  GOLF_RETURN_IF_ERROR(scaled_add_forward(m->dx0, m->dx0, m->ones, m->dres, N, d, st));
  GOLF_RETURN_IF_ERROR(rms_norm_backward(m->dtmp, m->dx0, m->x0, m->r0, N, d, false, st));
  EncoderBuckets buckets{m->enc_order, m->enc_start, m->enc_count};
  return encoder_backward(m->g.tok_emb, m->dtmp, m->ids, N, d, buckets, st);
}

#define GOLF_MODEL_INSTANTIATE(T)                                                                                \
  template Status device_model_init<T>(const MemoryPlan&, void*, const GemmContext*, DeviceModel<T>*);          \
  template Status model_forward<T>(DeviceModel<T>*, const int32_t*, const int32_t*, int, int, double*, float*,  \
                                   float, cudaStream_t);                                                         \
  template Status model_backward<T>(DeviceModel<T>*, cudaStream_t, const std::function<Status(int)>&);
GOLF_MODEL_INSTANTIATE(float)
GOLF_MODEL_INSTANTIATE(bf16)
#undef GOLF_MODEL_INSTANTIATE

}  // namespace golf::train_cuda
