// attention_past_math.h: the arithmetic of attention_past.cu as GOLF_HD functions (a key's score, one lane's online
// softmax step, a lane's weight in the merge), and attention_past_row_lanes, the kernel's exact order of operations
// on the host (32 lanes, every 32nd key each, the butterfly merge), which CI compares with an independent
// double-precision attention (tests/runtime/model/test_forward_graph.cpp) without a GPU.
#pragma once
#include <cmath>

#include "cuda/device_math.h"  // defines: GOLF_HD

namespace golf::runtime_cuda {

constexpr int kPastLanes = 32;  // one warp per (query, head)

// scale · q·k over HD dims, q already in fp32.
template <typename T, int HD>
GOLF_HD float past_score(const float* q, const T* k, float scale) {
  float s = 0.0f;
  for (int e = 0; e < HD; e++) s += q[e] * (float)k[e];
  return s * scale;
}

// One key of a lane's online softmax: running max m, sum l, and acc = Σ p·v.
template <typename T, int HD>
GOLF_HD void past_lane_step(float s, const T* v, float* m, float* l, float* acc) {
  const float m_new = fmaxf(*m, s);
  const float keep = expf(*m - m_new), p = expf(s - m_new);
  *l = *l * keep + p;
  for (int e = 0; e < HD; e++) acc[e] = acc[e] * keep + p * (float)v[e];
  *m = m_new;
}

// A lane's factor in the merge: e^(m − m_all), 0 for a lane that saw no key.
GOLF_HD float past_lane_weight(float m, float m_all) { return m == -INFINITY ? 0.0f : expf(m - m_all); }

// The kernel on the host for query row q (HD floats) at position past + i, keys k, v (rows of kd values, KV head
// offset applied by the caller): out (HD).
template <typename T, int HD>
void attention_past_row_lanes(const float* q, const T* k, const T* v, size_t kd, int n_keys, float scale, float* out) {
  float m[kPastLanes], l[kPastLanes], acc[kPastLanes][HD];
  for (int lane = 0; lane < kPastLanes; lane++) {
    m[lane] = -INFINITY;
    l[lane] = 0.0f;
    for (int e = 0; e < HD; e++) acc[lane][e] = 0.0f;
    for (int j = lane; j < n_keys; j += kPastLanes)
      past_lane_step<T, HD>(past_score<T, HD>(q, k + (size_t)j * kd, scale), v + (size_t)j * kd, &m[lane], &l[lane],
                            acc[lane]);
  }
  // The butterfly (__shfl_xor_sync) reductions: every lane ends with the same value.
  auto butterfly = [](float* x, bool is_max) {
    for (int o = kPastLanes / 2; o > 0; o /= 2) {
      float y[kPastLanes];
      for (int lane = 0; lane < kPastLanes; lane++)
        y[lane] = is_max ? fmaxf(x[lane], x[lane ^ o]) : x[lane] + x[lane ^ o];
      for (int lane = 0; lane < kPastLanes; lane++) x[lane] = y[lane];
    }
  };
  float m_all[kPastLanes], w[kPastLanes], l_all[kPastLanes], a[kPastLanes];
  for (int lane = 0; lane < kPastLanes; lane++) m_all[lane] = m[lane];
  butterfly(m_all, true);
  for (int lane = 0; lane < kPastLanes; lane++) {
    w[lane] = past_lane_weight(m[lane], m_all[lane]);
    l_all[lane] = l[lane] * w[lane];
  }
  butterfly(l_all, false);
  for (int e = 0; e < HD; e++) {
    for (int lane = 0; lane < kPastLanes; lane++) a[lane] = acc[lane][e] * w[lane];
    butterfly(a, false);
    out[e] = a[e % kPastLanes] / l_all[e % kPastLanes];
  }
}

}  // namespace golf::runtime_cuda
