// init.h: deterministic parameter initialization from a seed, as the challenge's GPT._init_weights does it, with a
// small counter-based RNG of our own (so C++ results do not depend on a library's generator or on thread count).
#pragma once
#include <cstddef>
#include <cstdint>

#include "param_layout.h"  // defines: ParamLayout

namespace golf::train_cpu {

// The RNG: value k of stream s is splitmix64(splitmix64(seed ^ splitmix64(s + 1)) + k * golden), i.e. SplitMix64
// (Steele, Lea, Flood 2014) used as a hash of (seed, stream, counter). Stream s is the tensor's index in the layout,
// so every tensor gets an independent sequence and element i depends only on (seed, s, i).
uint64_t rng_hash(uint64_t seed, uint64_t stream, uint64_t counter);
// Uniform in [0, 1) with 24 random bits (exactly representable in fp32).
float rng_uniform(uint64_t seed, uint64_t stream, uint64_t counter);
// Standard normal by Box-Muller on uniforms (2i, 2i+1) of the stream (cosine branch only).
float rng_normal(uint64_t seed, uint64_t stream, uint64_t i);

// Fills `x` (n) with N(0, std²) / U(-bound, bound) from stream `stream`.
void fill_normal(float* x, size_t n, float std, uint64_t seed, uint64_t stream);
void fill_uniform(float* x, size_t n, float bound, uint64_t seed, uint64_t stream);

// The challenge's init:
//   tok_emb N(0, 0.005) when tied (tied_embed_init_std), else nn.Embedding's default N(0, 1);
//   c_q, c_k, c_v, mlp.fc: nn.Linear's default kaiming_uniform(a=√5) = U(±1/√fan_in);
//   attn.proj, mlp.proj, lm_head: zero (_zero_init);
//   q_gain = qk_gain_init (1.5); attn_scale = mlp_scale = 1; resid_mix = (1, 0); skip_weights = 1.
struct InitOptions {
  float tied_embed_init_std = 0.005f;
  float qk_gain_init = 1.5f;
};
// Fills `params` (layout.total floats, laid out as `layout`); padding floats are left as they are.
void params_init(const ParamLayout& layout, float* params, uint64_t seed, const InitOptions& opt = InitOptions());

}  // namespace golf::train_cpu
