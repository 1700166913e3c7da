// sampler.cpp: temperature -> top-k -> softmax -> top-p -> draw, the order llama.cpp's default chain uses.
#include "sampler.h"

#include <algorithm>
#include <cmath>

namespace golf {

Status check_sampler_params(const SamplerParams& p) {
  if (!(p.temperature >= 0) || p.top_k < 0 || !(p.top_p > 0))
    return Status(StatusCode::invalid_argument, "sampling: temperature must be >= 0, top_k >= 0 and top_p > 0");
  return Status::Ok();
}

Sampler::Sampler(const SamplerParams& params) : params_(params) {
  // splitmix64 of the seed, so nearby seeds give unrelated streams and a zero seed still works.
  uint64_t z = params.seed + 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  state_ = (z ^ (z >> 31)) | 1;
}

double Sampler::next_uniform() {
  // xorshift64*
  state_ ^= state_ >> 12;
  state_ ^= state_ << 25;
  state_ ^= state_ >> 27;
  return (double)((state_ * 0x2545F4914F6CDD1Dull) >> 11) * (1.0 / 9007199254740992.0);
}

int Sampler::sample(const float* logits, int vocab) {
  if (params_.temperature <= 0) return (int)(std::max_element(logits, logits + vocab) - logits);
  candidates_.resize((size_t)vocab);
  for (int v = 0; v < vocab; v++) candidates_[v] = {logits[v], v};
  size_t keep = (size_t)vocab;
  auto by_logit = [](const std::pair<float, int>& a, const std::pair<float, int>& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  };
  if (params_.top_k > 0 && (size_t)params_.top_k < keep) {
    keep = (size_t)params_.top_k;
    std::partial_sort(candidates_.begin(), candidates_.begin() + (long)keep, candidates_.end(), by_logit);
  } else {
    std::sort(candidates_.begin(), candidates_.end(), by_logit);
  }
  candidates_.resize(keep);
  // Softmax over the survivors at the temperature.
  double mx = candidates_[0].first, sum = 0;
  std::vector<double> p(keep);
  for (size_t i = 0; i < keep; i++) sum += p[i] = std::exp(((double)candidates_[i].first - mx) / params_.temperature);
  for (double& v : p) v /= sum;
  if (params_.top_p < 1.0f) {
    double cum = 0;
    size_t n = 0;
    while (n < keep && cum < params_.top_p) cum += p[n++];
    keep = std::max<size_t>(n, 1);
    sum = 0;
    for (size_t i = 0; i < keep; i++) sum += p[i];
    for (size_t i = 0; i < keep; i++) p[i] /= sum;
  }
  double r = next_uniform(), cum = 0;
  for (size_t i = 0; i < keep; i++) {
    cum += p[i];
    if (r < cum) return candidates_[i].second;
  }
  return candidates_[keep - 1].second;
}

}  // namespace golf
