// rows_emulation.h: host emulations of the reduction orders the CUDA row kernels use (trainer/cuda/rows_math.h),
// written here independently of the kernels, plus the random fills and comparisons the row-kernel tests share.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "cuda/rows_math.h"  // defines: kRowLanes, kColsumChunkRows, dadd_rn

namespace golf::rows_test {

using train_cuda::kRowLanes;

// The warp butterfly of __shfl_xor_sync with offsets 16, 8, 4, 2, 1: returns what every lane holds at the end.
template <typename A>
A butterfly_sum(std::vector<A> v) {
  for (int off = kRowLanes / 2; off > 0; off /= 2) {
    std::vector<A> next(kRowLanes);
    for (int l = 0; l < kRowLanes; l++) next[l] = v[l] + v[l ^ off];
    v = next;
  }
  return v[0];
}

// One warp's statistic of a row: lane l adds term(c) for c = l, l + 32, ... in order, then the butterfly.
template <typename A, typename Term>
A warp_row_sum(int cols, Term term) {
  std::vector<A> lanes(kRowLanes, A(0));
  for (int l = 0; l < kRowLanes; l++)
    for (int c = l; c < cols; c += kRowLanes) lanes[l] = lanes[l] + term(c);
  return butterfly_sum(lanes);
}

// The two-stage column sum: chunks of kColsumChunkRows rows in order (double), then the chunks in order.
template <typename Term>
double chunked_column_sum(int rows, Term term) {
  double total = 0;
  for (int r0 = 0; r0 < rows; r0 += train_cuda::kColsumChunkRows) {
    double chunk = 0;
    for (int r = r0; r < rows && r < r0 + train_cuda::kColsumChunkRows; r++) chunk += term(r);
    total += chunk;
  }
  return total;
}

inline std::vector<float> normal(size_t n, uint32_t seed, float std = 1.0f) {
  std::mt19937 g(seed);
  std::normal_distribution<float> d(0.0f, std);
  std::vector<float> x(n);
  for (float& v : x) v = d(g);
  return x;
}

inline double rel_error(const std::vector<float>& got, const std::vector<float>& want) {
  double num = 0, den = 0;
  for (size_t i = 0; i < want.size(); i++) {
    const double d = (double)got[i] - want[i];
    num += d * d;
    den += (double)want[i] * want[i];
  }
  if (!std::isfinite(num)) return INFINITY;
  return std::sqrt(num) / std::max(std::sqrt(den), 1e-30);
}

inline bool bits_equal(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace golf::rows_test
