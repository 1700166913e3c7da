// layers.h: forward/backward pairs of the golf-gpt layers other than matmuls and attention, over plain fp32
// arrays (llm.c style). N = B·T rows (tokens), d = model_dim. Backward functions that produce a parameter gradient
// ACCUMULATE into it (+=), so micro-batch gradient accumulation needs no extra buffer; activation gradients are
// written (=) unless the name or a flag says accumulate. All loops are OpenMP-parallel over rows or column blocks,
// and reductions over rows sum in a fixed order, so these layers give the same bits for any thread count.
#pragma once
#include <cstddef>
#include <cstdint>

namespace golf::train_cpu {

// ---- token embedding --------------------------------------------------------------------------------------------
// out (N, d) = tok_emb (V, d)[ids (N)]
void encoder_forward(float* out, const int32_t* ids, const float* tok_emb, int N, int d);
// dtok_emb (V, d) [ids[n]] += dout (N, d)[n]
void encoder_backward(float* dtok_emb, const float* dout, const int32_t* ids, int N, int d);

// ---- weightless RMSNorm: y = x·rsqrt(mean(x²) + eps), per row of `cols` --------------------------------------
// out (rows, cols), rstd (rows) = 1/sqrt(mean(x²) + eps); out may alias in.
void rms_norm_forward(float* out, float* rstd, const float* in, int rows, int cols, float eps);
// din (rows, cols) = rstd·(dout − y·mean(dout·y)), with y = the forward output. din may alias dout; with
// `accumulate` din += instead.
void rms_norm_backward(float* din, const float* dout, const float* y, const float* rstd, int rows, int cols,
                       bool accumulate);

// ---- rotary embedding (NeoX half split on the first rd dims of each head) ----------------------------------------
// Tables: golf::rope_tables_fill (runtime/model/rope_table.h), shared with the runtime.
// x viewed as (N, heads, hd) with position n % T: y1 = x1·cos + x2·sin, y2 = −x1·sin + x2·cos on pairs (i, i+rd/2),
// dims ≥ rd pass through. out may alias in.
void rope_forward(float* out, const float* in, const float* cos_t, const float* sin_t, int N, int T, int heads, int hd,
                  int rd);
// The transpose rotation (the rotation is orthogonal): din from dout. din may alias dout.
void rope_backward(float* din, const float* dout, const float* cos_t, const float* sin_t, int N, int T, int heads,
                   int hd, int rd);

// ---- per-head gain (q·q_gain[h]) ---------------------------------------------------------------------------------
// out (N, heads, hd) = in · gain (heads)
void head_gain_forward(float* out, const float* in, const float* gain, int N, int heads, int hd);
// dgain (heads) += Σ dout·in; din = dout·gain (din may alias dout)
void head_gain_backward(float* din, float* dgain, const float* dout, const float* in, const float* gain, int N,
                        int heads, int hd);

// ---- residual mixing with the embedding: out = mix[0]⊙x + mix[1]⊙x0 ---------------------------------------------
// out, x, x0 (N, d); mix (2, d)
void resid_mix_forward(float* out, const float* x, const float* x0, const float* mix, int N, int d);
// dx (N, d) = dout⊙mix[0]; dx0 (N, d) += dout⊙mix[1]; dmix (2, d) += (Σ dout⊙x, Σ dout⊙x0). dx may alias dout.
void resid_mix_backward(float* dx, float* dx0, float* dmix, const float* dout, const float* x, const float* x0,
                        const float* mix, int N, int d);

// ---- scaled residual branch: out = x + scale⊙y (attn_scale, mlp_scale, skip_weights) ----------------------------
// out, x, y (N, d); scale (d). out may alias x.
void scaled_add_forward(float* out, const float* x, const float* scale, const float* y, int N, int d);
// dy (N, d) = dout⊙scale (or += with accumulate_dy); dscale (d) += Σ dout⊙y. (dx = dout is the caller's.)
void scaled_add_backward(float* dy, float* dscale, const float* dout, const float* y, const float* scale, int N, int d,
                         bool accumulate_dy);

// ---- MLP activation: relu(x)² (slope 0) or leaky_relu(x, slope)² ------------------------------------------------
// out, in (n)
void activation_forward(float* out, const float* in, size_t n, float slope);
// din (n) = dout · 2·a(x)·a'(x); din may alias dout.
void activation_backward(float* din, const float* dout, const float* in, size_t n, float slope);

// ---- softcapped logits and cross-entropy -------------------------------------------------------------------------
// logits (N, V): raw x·Wᵀ in, z = cap·tanh(raw/cap) out (cap 0: z = raw). lse (N) = logsumexp(z).
// If targets: nll (N) = lse − z[target] (when nll != nullptr) and *loss = mean nll.
void softcap_cross_entropy_forward(float* logits, float* lse, float* nll, double* loss, const int32_t* targets, int N,
                                   int V, float cap);
// logits (N, V): z in, d raw out: (softmax(z) − onehot)·dloss·(1 − (z/cap)²); dloss = gradient of each row's nll
// (loss_scale / N for a mean loss).
void softcap_cross_entropy_backward(float* logits, const float* lse, const int32_t* targets, int N, int V, float cap,
                                    float dloss);

// ---- helpers -------------------------------------------------------------------------------------------------------
// acc (cols) += Σ_rows a⊙b, a, b (rows, cols); parallel over column blocks, double accumulation.
void colsum_mul_add(float* acc, const float* a, const float* b, int rows, int cols);

}  // namespace golf::train_cpu
