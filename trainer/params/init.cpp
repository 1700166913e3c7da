// init.cpp: SplitMix64-based counter RNG and the challenge's parameter initialization.
#include "init.h"

#include <cmath>
#include <cstring>

namespace golf::train_cpu {

static inline uint64_t splitmix64(uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t rng_hash(uint64_t seed, uint64_t stream, uint64_t counter) {
  uint64_t key = splitmix64(seed ^ splitmix64(stream + 1));
  return splitmix64(key + counter * 0x9E3779B97F4A7C15ull);
}

float rng_uniform(uint64_t seed, uint64_t stream, uint64_t counter) {
  return (float)(rng_hash(seed, stream, counter) >> 40) * (1.0f / 16777216.0f);
}

float rng_normal(uint64_t seed, uint64_t stream, uint64_t i) {
  // 1 - u keeps the log argument in (0, 1]; computed in double so the tails are accurate.
  double u1 = 1.0 - (double)rng_uniform(seed, stream, 2 * i);
  double u2 = (double)rng_uniform(seed, stream, 2 * i + 1);
  return (float)(std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2));
}

void fill_normal(float* x, size_t n, float std, uint64_t seed, uint64_t stream) {
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < n; i++) x[i] = std * rng_normal(seed, stream, i);
}

void fill_uniform(float* x, size_t n, float bound, uint64_t seed, uint64_t stream) {
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < n; i++) x[i] = bound * (2.0f * rng_uniform(seed, stream, i) - 1.0f);
}

static bool ends_with(const std::string& s, const char* suffix) {
  size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

void params_init(const ParamLayout& layout, float* params, uint64_t seed, const InitOptions& opt) {
  const ModelConfig& cfg = layout.config;
  for (size_t ti = 0; ti < layout.tensors.size(); ti++) {
    const ParamInfo& t = layout.tensors[ti];
    float* x = params + t.offset;  // (numel)
    if (t.name == "tok_emb.weight") {
      fill_normal(x, t.numel, cfg.tie_embeddings ? opt.tied_embed_init_std : 1.0f, seed, ti);
    } else if (t.name == "lm_head.weight" || ends_with(t.name, "attn.proj.weight") ||
               ends_with(t.name, "mlp.proj.weight")) {
      std::memset(x, 0, t.numel * sizeof(float));
    } else if (ends_with(t.name, ".weight")) {  // c_q, c_k, c_v, mlp.fc: fan_in = shape[1]
      fill_uniform(x, t.numel, 1.0f / std::sqrt((float)t.shape[1]), seed, ti);
    } else if (ends_with(t.name, "q_gain")) {
      for (size_t i = 0; i < t.numel; i++) x[i] = opt.qk_gain_init;
    } else if (ends_with(t.name, "resid_mix")) {
      size_t d = (size_t)t.shape[1];
      for (size_t i = 0; i < d; i++) { x[i] = 1.0f; x[d + i] = 0.0f; }
    } else {  // attn_scale, mlp_scale, skip_weights
      for (size_t i = 0; i < t.numel; i++) x[i] = 1.0f;
    }
  }
}

}  // namespace golf::train_cpu
