// session_forward.cpp: one forward pass of golf-gpt over a batch of M tokens (challenge.md §1.2): embedding +
// RMSNorm, encoder blocks saving skips, decoder blocks adding them back (LIFO), the head and the softcap. Per block:
//   block_input  rows: finish the previous block's MLP residual, save/add skips, resid_mix, RMSNorm, quantize
//   qkv          c_q, c_k, c_v as one pool job on the one quantized input
//   qk_rope      rows: q/k RMSNorm per head, RoPE, q · q_gain/√head_dim, k and v into the cache (for one token:
//                done by the attention task of each KV head)
//   attention    (KV head, 16-token block) tasks, each quantizing its own output columns for proj
//   attn_proj, mlp_input (residual + RMSNorm + quantize), mlp_fc (activation and quantization in the epilogue of
//   each task), mlp_proj; its residual is added by the next block_input (or the head).
// Row phases run on the calling thread for small M (generation) and on the pool for prompts.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

#include "act_quant.h"
#include "linear.h"
#include "session.h"

namespace golf {
namespace {

using Clock = std::chrono::steady_clock;

// Values per row-phase task: below this a hand-off to the pool costs more than it saves.
constexpr int kRowTaskValues = 8192;
// Attention work (query vectors × keys × head_dim) below which the attention phase runs on the calling thread.
constexpr long long kAttnInlineWork = 16384;

}  // namespace

template <class Fn>
void Session::for_rows(int M, Fn&& fn) {
  const int d = model_.config().model_dim;
  const int rows_per_task = std::max(1, kRowTaskValues / d);
  const int n_tasks = (M + rows_per_task - 1) / rows_per_task;
  if (n_tasks <= 1 || pool_->n_threads() <= 1) {
    fn(0, M);
    return;
  }
  pool_->parallel_for(n_tasks, [&](int t, int) { fn(t * rows_per_task, std::min(M, (t + 1) * rows_per_task)); });
}

void Session::quantize_row(const float* x, int cols, int row, int8_t* codes, float* scales, int32_t* sums) {
  const size_t blocks = (size_t)cols / kernels::kActBlock;
  kernels::quantize_acts(x, 1, cols, codes + (size_t)row * cols, scales + row * blocks, sums + row * blocks, nullptr);
}

void Session::embed_rows(const int32_t* tokens, int r0, int r1) {
  const ModelConfig& c = model_.config();
  const int d = c.model_dim;
  for (int r = r0; r < r1; r++) {
    float* xr = x_ + (size_t)r * d;
    embedding_row(model_.weights().tok_emb, tokens[r], xr);
    rms_norm_row(xr, d, c.norm_eps, xr);
    std::memcpy(x0_ + (size_t)r * d, xr, (size_t)d * sizeof(float));
  }
}

void Session::block_input_rows(int layer, int r0, int r1) {
  const ModelConfig& c = model_.config();
  const ModelWeights& W = model_.weights();
  const int d = c.model_dim, E = c.num_encoder_layers, S = c.num_skips();
  const float* mix = W.blocks[layer].resid_mix;
  for (int r = r0; r < r1; r++) {
    float* xr = x_ + (size_t)r * d;
    const float* x0r = x0_ + (size_t)r * d;
    if (layer > 0) {
      add_scaled(xr, W.blocks[layer - 1].mlp_scale, sub_out_ + (size_t)r * d, d);
      // Encoder outputs the decoder will pop: the last S encoder blocks, slot 0 the deepest in the stack.
      const int e = layer - 1;
      if (e < E && e >= E - S) std::memcpy(skips_ + ((size_t)(e - (E - S)) * n_batch_ + r) * d, xr, (size_t)d * 4);
    }
    if (layer >= E && layer - E < S) {
      const int i = layer - E;  // decoder block i pops encoder output E−1−i, in slot S−1−i
      add_scaled(xr, W.skip_weights + (size_t)i * d, skips_ + ((size_t)(S - 1 - i) * n_batch_ + r) * d, d);
    }
    for (int j = 0; j < d; j++) xr[j] = mix[j] * xr[j] + mix[d + j] * x0r[j];
    rms_norm_row(xr, d, c.norm_eps, xn_ + (size_t)r * d);
    if (block_quant_[layer].qkv) quantize_row(xn_ + (size_t)r * d, d, r, codes_d_, scales_d_, sums_d_);
  }
}

void Session::qk_rope_rows(int layer, int r0, int r1) {
  const int KV = model_.config().num_kv_heads;
  for (int r = r0; r < r1; r++)
    for (int g = 0; g < KV; g++) qk_rope_group(layer, r, g);
}

void Session::qk_rope_group(int layer, int r, int g) {
  const ModelConfig& c = model_.config();
  const BlockWeights& B = model_.weights().blocks[layer];
  const int d = c.model_dim, hd = c.head_dim(), kvd = c.kv_dim(), KV = c.num_kv_heads;
  const int group = c.num_heads / KV;
  const size_t ld = (size_t)d + 2 * kvd;
  const float inv_sqrt_hd = (float)(1.0 / std::sqrt((double)hd));
  const int half = rope_.half();
  const int pos = n_past_ + r;
  float* row = qkv_ + r * ld;
  const float* cs = rope_.cos_row(pos);
  const float* sn = rope_.sin_row(pos);
  for (int h = g * group; h < (g + 1) * group; h++) {
    float* q = row + (size_t)h * hd;
    if (c.qk_norm) rms_norm_row(q, hd, c.norm_eps, q);
    if (half > 0) rope_rotate(q, cs, sn, half);
    const float scale = B.q_gain[h] * inv_sqrt_hd;  // the reference scales scores by 1/√hd; folded into q
    for (int i = 0; i < hd; i++) q[i] *= scale;
  }
  float* k = row + d + (size_t)g * hd;
  if (c.qk_norm) rms_norm_row(k, hd, c.norm_eps, k);
  if (half > 0) rope_rotate(k, cs, sn, half);
  const size_t head = (size_t)layer * KV + g;
  float* kt = k_cache_ + head * n_ctx_pad_ * hd + attn_key_index(pos, 0, hd);  // dimension i is kt[16 i]
  for (int i = 0; i < hd; i++) kt[(size_t)i * kAttnKeyTile] = k[i];
  std::memcpy(v_cache_ + (head * n_ctx_pad_ + pos) * hd, row + d + kvd + (size_t)g * hd, (size_t)hd * 4);
}

void Session::attention_phase(int layer, int M, int r_begin) {
  const ModelConfig& c = model_.config();
  const int d = c.model_dim, hd = c.head_dim(), kvd = c.kv_dim(), KV = c.num_kv_heads;
  const int group = c.num_heads / KV;
  const size_t ld = (size_t)d + 2 * kvd;
  const int Mq = M - r_begin;  // query rows
  const int block = std::min(Mq, 16);
  const int n_blocks = (Mq + block - 1) / block;
  const int n_tasks = KV * n_blocks;
  // Each head's output is whole 32-column blocks of proj's input when head_dim % 32 == 0: quantize it right away.
  const bool quant_out = block_quant_[layer].proj && hd % kernels::kActBlock == 0;
  auto task = [&](int k, int thread) {
    const int blk = n_blocks - 1 - k / KV;  // the longest (latest) blocks first, for balance
    const int g = k % KV;
    const int r0 = r_begin + blk * block, r1 = std::min(M, r0 + block);
    // One token: this KV head's q/k/v are prepared here, on the task's thread (see forward_batch).
    if (M == 1) qk_rope_group(layer, 0, g);
    float* scratch = attn_scratch_ + (size_t)thread * kAttnMaxVecs * n_ctx_pad_;
    const size_t head = (size_t)layer * KV + g;
    const float* keys = k_cache_ + head * n_ctx_pad_ * hd;
    const float* values = v_cache_ + head * n_ctx_pad_ * hd;
    AttentionTile tile;
    int rows[kAttnMaxVecs], heads[kAttnMaxVecs];
    auto flush = [&]() {
      attn_kernels_->attend(tile, keys, values, hd, scratch, (size_t)n_ctx_pad_);
      if (quant_out)
        for (int i = 0; i < tile.n; i++) {
          const size_t col = (size_t)heads[i] * hd;
          const size_t blocks = (size_t)rows[i] * (d / kernels::kActBlock) + col / kernels::kActBlock;
          kernels::quantize_acts(tile.out[i], 1, hd, codes_d_ + (size_t)rows[i] * d + col, scales_d_ + blocks,
                                 sums_d_ + blocks, nullptr);
        }
      tile.n = 0;
    };
    for (int r = r0; r < r1; r++)
      for (int j = 0; j < group; j++) {
        const int h = g * group + j;
        tile.q[tile.n] = qkv_ + r * ld + (size_t)h * hd;
        tile.out[tile.n] = attn_ + (size_t)r * d + (size_t)h * hd;
        tile.n_keys[tile.n] = n_past_ + r + 1;
        rows[tile.n] = r;
        heads[tile.n] = h;
        if (++tile.n == kAttnMaxVecs) flush();
      }
    if (tile.n > 0) flush();
  };
  const long long work = (long long)Mq * (n_past_ + M) * c.num_heads * hd;
  if (n_tasks == 1 || pool_->n_threads() <= 1 || work < kAttnInlineWork) {
    for (int k = 0; k < n_tasks; k++) task(k, 0);
  } else {
    pool_->parallel_for(n_tasks, task);
  }
  if (block_quant_[layer].proj && !quant_out)
    for_rows(Mq, [&](int r0, int r1) {
      for (int r = r_begin + r0; r < r_begin + r1; r++)
        quantize_row(attn_ + (size_t)r * d, d, r, codes_d_, scales_d_, sums_d_);
    });
}

void Session::mlp_input_rows(int layer, int r0, int r1) {
  const ModelConfig& c = model_.config();
  const BlockWeights& B = model_.weights().blocks[layer];
  const int d = c.model_dim;
  for (int r = r0; r < r1; r++) {
    float* xr = x_ + (size_t)r * d;
    add_scaled(xr, B.attn_scale, sub_out_ + (size_t)r * d, d);
    rms_norm_row(xr, d, c.norm_eps, xn_ + (size_t)r * d);
    if (block_quant_[layer].fc) quantize_row(xn_ + (size_t)r * d, d, r, codes_d_, scales_d_, sums_d_);
  }
}

void Session::head_input_rows(int r0, int r1) {
  const ModelConfig& c = model_.config();
  const int d = c.model_dim;
  const float* mlp_scale = model_.weights().blocks[c.num_layers - 1].mlp_scale;
  for (int r = r0; r < r1; r++) {
    float* xr = x_ + (size_t)r * d;
    add_scaled(xr, mlp_scale, sub_out_ + (size_t)r * d, d);
    rms_norm_row(xr, d, c.norm_eps, xn_ + (size_t)r * d);  // the head reads it in fp32 (Linear::f32_acts)
  }
}

namespace {

struct FcEpilogue {
  float* hidden;
  int hid, rows;
  float slope;
  bool quantize;
  int8_t* codes;
  float* scales;
  int32_t* sums;
};

// After a task computed hidden columns [n0, n1) of every row: the activation, then (for a quantized mlp.proj) the
// quantization of those columns, while they are still in cache.
void fc_epilogue(void* ctx, int, int n0, int n1) {
  const FcEpilogue& e = *static_cast<const FcEpilogue*>(ctx);
  const size_t bpr = (size_t)e.hid / kernels::kActBlock;
  for (int r = 0; r < e.rows; r++) {
    float* h = e.hidden + (size_t)r * e.hid + n0;
    activation_squared(h, n1 - n0, e.slope);
    if (e.quantize) {
      const size_t b = r * bpr + (size_t)n0 / kernels::kActBlock;
      kernels::quantize_acts(h, 1, n1 - n0, e.codes + (size_t)r * e.hid + n0, e.scales + b, e.sums + b, nullptr);
    }
  }
}

}  // namespace

Status Session::forward_batch(const int32_t* tokens, int M, float* logits, int head_row0) {
  const ModelConfig& c = model_.config();
  const ModelWeights& W = model_.weights();
  const int d = c.model_dim, kvd = c.kv_dim(), hid = c.mlp_hidden, V = c.vocab_size;
  const size_t ld_qkv = (size_t)d + 2 * kvd;
  kernels::ThreadPool* pool = pool_.get();

  Clock::time_point t0 = profile_on_ ? Clock::now() : Clock::time_point();
  auto lap = [&](int phase) {
    if (!profile_on_) return;
    Clock::time_point t1 = Clock::now();
    profile_.seconds[phase] += std::chrono::duration<double>(t1 - t0).count();
    t0 = t1;
  };
  auto acts = [&](int rows, int cols, int row0, int8_t* codes, float* scales, int32_t* sums) {
    kernels::QuantActs a;
    const size_t bpr = (size_t)cols / kernels::kActBlock;
    a.rows = rows;
    a.cols = cols;
    a.codes = codes + (size_t)row0 * cols;
    a.scales = scales + row0 * bpr;
    a.sums = sums + row0 * bpr;
    return a;
  };

  for_rows(M, [&](int r0, int r1) { embed_rows(tokens, r0, r1); });
  lap(SessionProfile::embed);
  for (int b = 0; b < c.num_layers; b++) {
    const BlockWeights& B = W.blocks[b];
    const BlockQuant& Q = block_quant_[b];
    // Every row's k and v go into the cache, but after the last layer only the head's rows are read: there the
    // queries, proj and MLP run on rows [r0, M) alone (none for a batch whose logits nobody asked for).
    const int r0 = b + 1 < c.num_layers ? 0 : (logits != nullptr ? std::min(head_row0, M) : M);
    const int m = M - r0;
    const kernels::QuantActs acts_d = acts(m, d, r0, codes_d_, scales_d_, sums_d_);
    const kernels::QuantActs acts_h = acts(m, hid, r0, codes_h_, scales_h_, sums_h_);
    for_rows(M, [&](int a, int e) { block_input_rows(b, a, e); });
    lap(SessionProfile::block_input);

    const kernels::QuantActs acts_all = acts(M, d, 0, codes_d_, scales_d_, sums_d_);
    const LinearTarget qkv[3] = {{&B.c_q, qkv_, ld_qkv}, {&B.c_k, qkv_ + d, ld_qkv}, {&B.c_v, qkv_ + d + kvd, ld_qkv}};
    GOLF_RETURN_IF_ERROR(linear_forward({xn_, Q.qkv ? &acts_all : nullptr, M}, qkv, 3, pool));
    lap(SessionProfile::qkv);
    // A batch writes every position's k and v before any query reads them; a single token's KV heads are
    // independent, so its attention tasks prepare their own head (one serial phase less per layer).
    if (M > 1 || m == 0) for_rows(M, [&](int a, int e) { qk_rope_rows(b, a, e); });
    lap(SessionProfile::qk_rope);
    if (m == 0) continue;
    attention_phase(b, M, r0);
    lap(SessionProfile::attention);

    const LinearTarget proj = {&B.attn_proj, sub_out_ + (size_t)r0 * d, (size_t)d};
    GOLF_RETURN_IF_ERROR(linear_forward({attn_ + (size_t)r0 * d, Q.proj ? &acts_d : nullptr, m}, &proj, 1, pool));
    lap(SessionProfile::attn_proj);
    for_rows(m, [&](int a, int e) { mlp_input_rows(b, r0 + a, r0 + e); });
    lap(SessionProfile::mlp_input);

    const size_t bph = (size_t)hid / kernels::kActBlock;
    FcEpilogue fe = {hidden_ + (size_t)r0 * hid, hid, m, c.activation == "leaky_relu2" ? c.activation_slope : 0.0f,
                     Q.mlp_proj, codes_h_ + (size_t)r0 * hid, scales_h_ + r0 * bph, sums_h_ + r0 * bph};
    const LinearTarget fc = {&B.fc, hidden_ + (size_t)r0 * hid, (size_t)hid};
    GOLF_RETURN_IF_ERROR(
        linear_forward({xn_ + (size_t)r0 * d, Q.fc ? &acts_d : nullptr, m}, &fc, 1, pool, {fc_epilogue, &fe}));
    lap(SessionProfile::mlp_fc);
    const LinearTarget mproj = {&B.mlp_proj, sub_out_ + (size_t)r0 * d, (size_t)d};
    GOLF_RETURN_IF_ERROR(
        linear_forward({hidden_ + (size_t)r0 * hid, Q.mlp_proj ? &acts_h : nullptr, m}, &mproj, 1, pool));
    lap(SessionProfile::mlp_proj);
  }

  if (logits != nullptr && head_row0 < M) {
    const int nh = M - head_row0;
    for_rows(nh, [&](int r0, int r1) { head_input_rows(head_row0 + r0, head_row0 + r1); });
    const LinearTarget head = {&W.head, logits, (size_t)V};
    GOLF_RETURN_IF_ERROR(linear_forward({xn_ + (size_t)head_row0 * d, nullptr, nh}, &head, 1, pool));
    if (c.logit_softcap > 0)
      for_rows(nh, [&](int r0, int r1) {
        for (int r = r0; r < r1; r++) softcap_row(logits + (size_t)r * V, V, c.logit_softcap);
      });
    lap(SessionProfile::head);
  }
  return Status::Ok();
}

}  // namespace golf
