// quant_test_util.h: helpers shared by the quantizer tests: the quantized dtypes, the group sizes each allows,
// Gaussian samples and shape products.
#pragma once
#include <cstdint>
#include <random>
#include <vector>

#include "dtype.h"

namespace golf {

inline const Dtype kQuantDtypes[] = {Dtype::q2, Dtype::q3, Dtype::q4, Dtype::q5, Dtype::q6, Dtype::q7, Dtype::q8};

inline std::vector<uint32_t> allowed_group_sizes(Dtype d) {
  if (d == Dtype::q4) return {32, 64};
  return {0, 32, 64, 128};
}

inline std::vector<float> gaussian(size_t n, uint32_t seed, float stddev = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, stddev);
  std::vector<float> w(n);
  for (float& x : w) x = dist(rng);
  return w;
}

inline uint64_t product(const std::vector<uint64_t>& dims) {
  uint64_t n = 1;
  for (uint64_t d : dims) n *= d;
  return n;
}

// torch.quantile(|x|, p/100) by a full sort, float32 arithmetic as torch does.

}  // namespace golf
