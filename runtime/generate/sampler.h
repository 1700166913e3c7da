// sampler.h: next-token sampling from logits: greedy, temperature, top-k, top-p (nucleus), driven by a seeded
// xorshift generator so that a seed reproduces a completion exactly.
#pragma once
#include <cstdint>
#include <vector>

#include "status.h"  // defines: Status

namespace golf {

struct SamplerParams {
  float temperature = 0.8f;  // 0: greedy
  int top_k = 40;            // 0: off
  float top_p = 0.95f;       // >= 1: off
  uint64_t seed = 1;
};

// invalid_argument unless temperature >= 0, top_k >= 0 and top_p > 0 (NaN fails).
Status check_sampler_params(const SamplerParams& params);

class Sampler {
 public:
  explicit Sampler(const SamplerParams& params);
  // Picks a token id from logits [vocab]. Uses internal scratch; not thread-safe.
  int sample(const float* logits, int vocab);

 private:
  double next_uniform();  // [0, 1)
  SamplerParams params_;
  uint64_t state_;
  std::vector<std::pair<float, int>> candidates_;  // (logit or probability, id)
};

}  // namespace golf
