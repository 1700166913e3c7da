// encoder_math.h: the token embedding's deterministic backward plan and per-element arithmetic (encoder.cu).
// The backward adds each token's gradient row into its id's row of dtok_emb. Instead of atomics, the host sorts
// the token positions by id (a stable counting sort while the batch is still on the host, as llm.c does), and the
// kernel gives each id's bucket to one thread per column, which adds the rows in increasing position: the very
// order of train_cpu::encoder_backward, so the fp32 result equals the CPU's bit for bit.
// Host tests: tests/trainer/cuda/test_rows_math.cpp. Includes only rows_math.h (no CUDA header).
#pragma once
#include <cstdint>

#include "rows_math.h"  // defines: GOLF_HD, add_rn

namespace golf::train_cuda {

// One step of a column's sum: acc + g, rounded as the CPU's `dst += src`.
GOLF_HD float encoder_grad_add(float acc, float g) { return add_rn(acc, g); }

// Host: the bucket plan of encoder_backward for ids (N), every id in [0, V).
//   order (N): the positions 0..N−1 sorted by id, stable (increasing position within an id);
//   start (buckets + 1): bucket b holds order[start[b] .. start[b+1]); only ids that occur get a bucket, in
//   increasing id; scratch (V + 1) ints of working space.
// Returns the number of buckets (≤ min(N, V)), or −1 (nothing written) when some id is outside [0, V) or N < 0.
inline int encoder_buckets_plan(const int32_t* ids, int N, int V, int32_t* order, int32_t* start, int32_t* scratch) {
  if (N < 0 || V < 1) return -1;
  for (int n = 0; n < N; n++)
    if (ids[n] < 0 || ids[n] >= V) return -1;
  for (int v = 0; v <= V; v++) scratch[v] = 0;
  for (int n = 0; n < N; n++) scratch[ids[n] + 1]++;
  int buckets = 0;
  for (int v = 0; v < V; v++) {
    if (scratch[v + 1] > 0) start[buckets++] = scratch[v];  // the bucket's first slot, before the prefix sum moves on
    scratch[v + 1] += scratch[v];
  }
  start[buckets] = N;
  for (int n = 0; n < N; n++) order[scratch[ids[n]]++] = n;  // scratch[v]: next free slot of id v
  return buckets;
}

}  // namespace golf::train_cuda
