// attention_avx512.cpp: the AVX-512 attention kernel (attention.h), compiled on its own with -mavx512f (x86-64
// only). Scores: each key dimension of a 16-key tile is one vector load shared by up to 4 query vectors (two tiles
// per pass: 2 loads + 4 broadcasts feed 8 FMAs). Softmax with a vectorized exp. Values: each value row (head_dim
// floats, up to 4 vectors per pass) is loaded once for all query vectors.
#include "attention.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <math.h>

namespace golf {
namespace {

// e^x for x <= 0 (scores minus their max), ~1 ulp: Cephes' expf polynomial on x − n·ln2, scaled by 2^n.
inline __m512 exp_ps(__m512 x) {
  const __m512 log2e = _mm512_set1_ps(1.44269504088896341f);
  const __m512 ln2_hi = _mm512_set1_ps(0.693359375f), ln2_lo = _mm512_set1_ps(-2.12194440e-4f);
  x = _mm512_max_ps(x, _mm512_set1_ps(-87.3f));
  __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, log2e), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, ln2_hi, x);
  r = _mm512_fnmadd_ps(n, ln2_lo, r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  return _mm512_scalef_ps(p, n);
}

inline __mmask16 lanes_below(int n) {
  return n >= 16 ? (__mmask16)0xFFFF : n <= 0 ? (__mmask16)0 : (__mmask16)((1u << n) - 1);
}

// Scores of R query vectors against NT (1 or 2) key tiles starting at tile kt.
template <int R, int NT>
inline void score_tiles(const AttentionTile& t, const float* keys, int hd, int kt, float* S, size_t ld) {
  __m512 acc[R][NT];
  for (int i = 0; i < R; i++)
    for (int u = 0; u < NT; u++) acc[i][u] = _mm512_setzero_ps();
  const float* kb = keys + (size_t)kt * hd * kAttnKeyTile;
  for (int d = 0; d < hd; d++) {
    __m512 kv[NT];
    for (int u = 0; u < NT; u++) kv[u] = _mm512_load_ps(kb + ((size_t)u * hd + d) * kAttnKeyTile);
    for (int i = 0; i < R; i++) {
      const __m512 qd = _mm512_set1_ps(t.q[i][d]);
      for (int u = 0; u < NT; u++) acc[i][u] = _mm512_fmadd_ps(qd, kv[u], acc[i][u]);
    }
  }
  for (int i = 0; i < R; i++)
    for (int u = 0; u < NT; u++) _mm512_store_ps(S + i * ld + (size_t)(kt + u) * kAttnKeyTile, acc[i][u]);
}

// out[i][dc .. dc + 32) = inv[i] · Σ_j p[i][j] v_j, the two 16-lane halves masked by m0, m1. Named accumulators:
// with an array of them GCC 12 stores every accumulator to the stack on each iteration.
template <int R>
inline void weighted_values(const AttentionTile& t, const float* values, int hd, int dc, int nk, const float* S,
                            size_t ld, const float inv[], __mmask16 m0, __mmask16 m1) {
  __m512 a0 = _mm512_setzero_ps(), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, d0 = a0, d1 = a0;
  const float* s0 = S;
  const float* s1 = S + ld;
  const float* s2 = S + 2 * ld;
  const float* s3 = S + 3 * ld;
  const float* vr = values + dc;
  for (int j = 0; j < nk; j++, vr += hd) {
    const __m512 v0 = _mm512_maskz_loadu_ps(m0, vr), v1 = _mm512_maskz_loadu_ps(m1, vr + 16);
    __m512 p = _mm512_set1_ps(s0[j]);
    a0 = _mm512_fmadd_ps(p, v0, a0);
    a1 = _mm512_fmadd_ps(p, v1, a1);
    if constexpr (R > 1) {
      p = _mm512_set1_ps(s1[j]);
      b0 = _mm512_fmadd_ps(p, v0, b0);
      b1 = _mm512_fmadd_ps(p, v1, b1);
    }
    if constexpr (R > 2) {
      p = _mm512_set1_ps(s2[j]);
      c0 = _mm512_fmadd_ps(p, v0, c0);
      c1 = _mm512_fmadd_ps(p, v1, c1);
    }
    if constexpr (R > 3) {
      p = _mm512_set1_ps(s3[j]);
      d0 = _mm512_fmadd_ps(p, v0, d0);
      d1 = _mm512_fmadd_ps(p, v1, d1);
    }
  }
  auto store = [&](int i, __m512 x0, __m512 x1) {
    const __m512 s = _mm512_set1_ps(inv[i]);
    _mm512_mask_storeu_ps(t.out[i] + dc, m0, _mm512_mul_ps(x0, s));
    _mm512_mask_storeu_ps(t.out[i] + dc + 16, m1, _mm512_mul_ps(x1, s));
  };
  store(0, a0, a1);
  if constexpr (R > 1) store(1, b0, b1);
  if constexpr (R > 2) store(2, c0, c1);
  if constexpr (R > 3) store(3, d0, d1);
}

template <int R>
void attend_r(const AttentionTile& t, const float* keys, const float* values, int hd, float* S, size_t ld) {
  int nk_max = 0;
  for (int i = 0; i < R; i++) nk_max = t.n_keys[i] > nk_max ? t.n_keys[i] : nk_max;
  const int n_tiles = (nk_max + kAttnKeyTile - 1) / kAttnKeyTile;
  int kt = 0;
  for (; kt + 2 <= n_tiles; kt += 2) score_tiles<R, 2>(t, keys, hd, kt, S, ld);
  if (kt < n_tiles) score_tiles<R, 1>(t, keys, hd, kt, S, ld);

  // Softmax numerators; lanes at or past a vector's n_keys become exactly 0 (up to the tiles' end).
  float inv[R];
  for (int i = 0; i < R; i++) {
    float* p = S + i * ld;
    const int n = t.n_keys[i];
    __m512 mx = _mm512_set1_ps(-INFINITY);
    for (int c = 0; c < n_tiles; c++)
      mx = _mm512_mask_max_ps(mx, lanes_below(n - 16 * c), mx, _mm512_load_ps(p + 16 * c));
    const __m512 m = _mm512_set1_ps(_mm512_reduce_max_ps(mx));
    __m512 sum = _mm512_setzero_ps();
    for (int c = 0; c < n_tiles; c++) {
      const __m512 e =
          _mm512_maskz_mov_ps(lanes_below(n - 16 * c), exp_ps(_mm512_sub_ps(_mm512_load_ps(p + 16 * c), m)));
      _mm512_store_ps(p + 16 * c, e);
      sum = _mm512_add_ps(sum, e);
    }
    inv[i] = 1.0f / _mm512_reduce_add_ps(sum);
  }

  for (int dc = 0; dc < hd; dc += 32)
    weighted_values<R>(t, values, hd, dc, nk_max, S, ld, inv, lanes_below(hd - dc), lanes_below(hd - dc - 16));
}

void attend_avx512(const AttentionTile& t, const float* keys, const float* values, int hd, float* scratch, size_t ld) {
  switch (t.n) {
    case 1: attend_r<1>(t, keys, values, hd, scratch, ld); break;
    case 2: attend_r<2>(t, keys, values, hd, scratch, ld); break;
    case 3: attend_r<3>(t, keys, values, hd, scratch, ld); break;
    default: attend_r<4>(t, keys, values, hd, scratch, ld); break;
  }
}

}  // namespace

const AttentionKernels* attention_kernels_avx512() {
  static const AttentionKernels k = {"avx512", attend_avx512};
  return &k;
}

}  // namespace golf

#else  // not x86-64
namespace golf {
const AttentionKernels* attention_kernels_avx512() { return nullptr; }
}  // namespace golf
#endif
