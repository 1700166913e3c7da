// nll_math.h: the per-row arithmetic of the NLL kernel (nll.cu), written once as GOLF_HD functions: the kernel runs
// them on the device, and nll_row_lanes (the kernel's exact order of operations, on the host) lets CI compare them
// with the scorer's nll_of (runtime/eval/scorer.h), the independent CPU function, without a GPU
// (tests/runtime/eval/test_nll_math.cpp). Order: kNllLanes lanes each take every kNllLanes-th logit (a partial max
// in fp32, then a partial Σ exp(z − max) in double), and the lanes combine in a fixed halving tree.
#pragma once
#include <cmath>
#include <cstdint>

#include "cuda/device_math.h"  // defines: GOLF_HD

namespace golf::runtime_cuda {

constexpr int kNllLanes = 256;  // threads per row (a power of two)

// The largest of z[lane], z[lane + lanes], ... (−inf for an empty lane).
GOLF_HD float nll_lane_max(const float* z, int vocab, int lane, int lanes) {
  float m = -INFINITY;
  for (int v = lane; v < vocab; v += lanes) m = fmaxf(m, z[v]);
  return m;
}

// Σ exp(z[v] − mx) over the lane's logits, in double.
GOLF_HD double nll_lane_sum(const float* z, int vocab, int lane, int lanes, float mx) {
  double s = 0;
  for (int v = lane; v < vocab; v += lanes) s += exp((double)z[v] - (double)mx);
  return s;
}

// −ln softmax(z)[target] from the row's max and Σ exp(z − max).
GOLF_HD double nll_from_sum(double sum, float mx, float z_target) { return log(sum) + (double)mx - (double)z_target; }

// The kernel's computation of one row on the host: the same lanes and the same tree.
inline double nll_row_lanes(const float* z, int vocab, int target) {
  float max_part[kNllLanes];
  double sum_part[kNllLanes];
  for (int l = 0; l < kNllLanes; l++) max_part[l] = nll_lane_max(z, vocab, l, kNllLanes);
  for (int w = kNllLanes / 2; w > 0; w /= 2)
    for (int l = 0; l < w; l++) max_part[l] = fmaxf(max_part[l], max_part[l + w]);
  const float mx = max_part[0];
  for (int l = 0; l < kNllLanes; l++) sum_part[l] = nll_lane_sum(z, vocab, l, kNllLanes, mx);
  for (int w = kNllLanes / 2; w > 0; w /= 2)
    for (int l = 0; l < w; l++) sum_part[l] += sum_part[l + w];
  return nll_from_sum(sum_part[0], mx, z[target]);
}

}  // namespace golf::runtime_cuda
