// attention_portable.cpp: the portable attention kernel (attention.h) for CPUs without a SIMD kernel of ours
// (scalar path, aarch64), and the choice of attention kernels that follows the matmul kernels' active path.
// Fixed-width inner loops over 16 keys or 16 dims with local accumulators let the compiler vectorize without
// reassociating; exp is fast_math.h's branch-free one.
#include <math.h>
#include <string.h>

#include <cstring>

#include "attention.h"
#include "fast_math.h"
#include "kernel_paths.h"

namespace golf {
namespace {

void attend_portable(const AttentionTile& t, const float* keys, const float* values, int hd, float* scratch,
                     size_t ld) {
  constexpr int T = kAttnKeyTile;
  int nk_max = 0;
  for (int i = 0; i < t.n; i++) nk_max = t.n_keys[i] > nk_max ? t.n_keys[i] : nk_max;
  const int n_tiles = (nk_max + T - 1) / T;
  // Scores: s[i][j] = q_i · k_j.
  for (int kt = 0; kt < n_tiles; kt++) {
    const float* kb = keys + (size_t)kt * hd * T;
    for (int i = 0; i < t.n; i++) {
      float acc[T] = {0};
      const float* q = t.q[i];
      for (int d = 0; d < hd; d++) {
        const float qd = q[d];
        const float* kd = kb + (size_t)d * T;
        for (int l = 0; l < T; l++) acc[l] += qd * kd[l];
      }
      memcpy(scratch + i * ld + (size_t)kt * T, acc, sizeof acc);
    }
  }
  // Softmax numerators in place (0 beyond the row's keys), then out = Σ p_j v_j / Σ p_j.
  for (int i = 0; i < t.n; i++) {
    float* p = scratch + i * ld;
    const int n = t.n_keys[i];
    float pmax[T];
    for (int l = 0; l < T; l++) pmax[l] = -INFINITY;
    int j0 = 0;
    for (; j0 + T <= n; j0 += T)
      for (int l = 0; l < T; l++) pmax[l] = p[j0 + l] > pmax[l] ? p[j0 + l] : pmax[l];
    float mx = -INFINITY;
    for (; j0 < n; j0++) mx = p[j0] > mx ? p[j0] : mx;
    for (int l = 0; l < T; l++) mx = pmax[l] > mx ? pmax[l] : mx;
    for (int j = 0; j < n; j++) p[j] = exp_nonpositive(p[j] - mx);
    float part[T] = {0};
    int js = 0;
    for (; js + T <= n; js += T)
      for (int l = 0; l < T; l++) part[l] += p[js + l];
    float sum = 0;
    for (; js < n; js++) sum += p[js];
    for (int l = 0; l < T; l++) sum += part[l];
    // Σ p_j v_j, 16 dims at a time in a local accumulator (kept in registers), tail dims one by one.
    float* o = t.out[i];
    const float inv = 1.0f / sum;
    int dc = 0;
    for (; dc + T <= hd; dc += T) {
      float acc[T] = {0};
      for (int j = 0; j < n; j++) {
        const float pj = p[j];
        const float* v = values + (size_t)j * hd + dc;
        for (int l = 0; l < T; l++) acc[l] += pj * v[l];
      }
      for (int l = 0; l < T; l++) o[dc + l] = acc[l] * inv;
    }
    for (; dc < hd; dc++) {
      float acc = 0;
      for (int j = 0; j < n; j++) acc += p[j] * values[(size_t)j * hd + dc];
      o[dc] = acc * inv;
    }
  }
}

}  // namespace

const AttentionKernels* attention_kernels_portable() {
  static const AttentionKernels k = {"portable", attend_portable};
  return &k;
}

const AttentionKernels& attention_kernels() {
  const char* path = kernels::kernel_path_name();
  const AttentionKernels* k = nullptr;
  if (std::strcmp(path, "avx512vnni") == 0) k = attention_kernels_avx512();
  if (k == nullptr && (std::strcmp(path, "avx512vnni") == 0 || std::strcmp(path, "avx2") == 0))
    k = attention_kernels_avx2();
  return k != nullptr ? *k : *attention_kernels_portable();
}

}  // namespace golf
