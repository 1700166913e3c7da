// attention_avx2.cpp: the AVX2 + FMA attention kernel (attention.h), compiled on its own with -mavx2 -mfma (x86-64
// only); the avx2 kernel path's attention. Same scheme as attention_avx512.cpp with 8-lane vectors, blocked to fit
// 16 registers: scores of up to 4 query vectors × one 16-key tile (8 accumulators), values 16 dims at a time.
#include "attention.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <math.h>

namespace golf {
namespace {

// e^x for x <= 0: Cephes' expf polynomial on x − n·ln2, times 2^n built in the exponent bits.
inline __m256 exp_ps(__m256 x) {
  x = _mm256_max_ps(x, _mm256_set1_ps(-87.0f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

// Lanes j < n of an 8-lane vector as an integer mask (all ones) for maskload/blend.
inline __m256i lanes_below(int n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

inline float hmax(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
  return _mm_cvtss_f32(m);
}

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

template <int R>
void attend_r(const AttentionTile& t, const float* keys, const float* values, int hd, float* S, size_t ld) {
  int nk_max = 0;
  for (int i = 0; i < R; i++) nk_max = t.n_keys[i] > nk_max ? t.n_keys[i] : nk_max;
  const int n_tiles = (nk_max + kAttnKeyTile - 1) / kAttnKeyTile;
  for (int kt = 0; kt < n_tiles; kt++) {
    __m256 acc[R][2];
    for (int i = 0; i < R; i++) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
    const float* kb = keys + (size_t)kt * hd * kAttnKeyTile;
    for (int d = 0; d < hd; d++) {
      const float* kd = kb + (size_t)d * kAttnKeyTile;
      const __m256 k0 = _mm256_load_ps(kd), k1 = _mm256_load_ps(kd + 8);
      for (int i = 0; i < R; i++) {
        const __m256 qd = _mm256_broadcast_ss(t.q[i] + d);
        acc[i][0] = _mm256_fmadd_ps(qd, k0, acc[i][0]);
        acc[i][1] = _mm256_fmadd_ps(qd, k1, acc[i][1]);
      }
    }
    for (int i = 0; i < R; i++) {
      _mm256_store_ps(S + i * ld + (size_t)kt * kAttnKeyTile, acc[i][0]);
      _mm256_store_ps(S + i * ld + (size_t)kt * kAttnKeyTile + 8, acc[i][1]);
    }
  }

  // Softmax numerators; lanes at or past a vector's n_keys become 0 up to the end of the tiles.
  float inv[R];
  for (int i = 0; i < R; i++) {
    float* p = S + i * ld;
    const int n = t.n_keys[i];
    const int n_vec = n_tiles * 2;
    __m256 mx = _mm256_set1_ps(-INFINITY);
    for (int c = 0; c < n_vec; c++)
      mx = _mm256_blendv_ps(mx, _mm256_max_ps(mx, _mm256_load_ps(p + 8 * c)),
                            _mm256_castsi256_ps(lanes_below(n - 8 * c)));
    const __m256 m = _mm256_set1_ps(hmax(mx));
    __m256 sum = _mm256_setzero_ps();
    for (int c = 0; c < n_vec; c++) {
      const __m256 e = _mm256_and_ps(exp_ps(_mm256_sub_ps(_mm256_load_ps(p + 8 * c), m)),
                                     _mm256_castsi256_ps(lanes_below(n - 8 * c)));
      _mm256_store_ps(p + 8 * c, e);
      sum = _mm256_add_ps(sum, e);
    }
    inv[i] = 1.0f / hsum(sum);
  }

  // out = Σ_j p_j v_j, 16 dims at a time (the last chunk masked).
  for (int dc = 0; dc < hd; dc += 16) {
    const int left = hd - dc;
    const __m256i m0 = lanes_below(left), m1 = lanes_below(left - 8);
    __m256 o[R][2];
    for (int i = 0; i < R; i++) o[i][0] = o[i][1] = _mm256_setzero_ps();
    for (int j = 0; j < nk_max; j++) {
      const float* vr = values + (size_t)j * hd + dc;
      __m256 v0, v1;
      if (left >= 16) {
        v0 = _mm256_loadu_ps(vr);
        v1 = _mm256_loadu_ps(vr + 8);
      } else {
        v0 = _mm256_maskload_ps(vr, m0);
        v1 = _mm256_maskload_ps(vr + 8, m1);
      }
      for (int i = 0; i < R; i++) {
        const __m256 p = _mm256_broadcast_ss(S + i * ld + j);
        o[i][0] = _mm256_fmadd_ps(p, v0, o[i][0]);
        o[i][1] = _mm256_fmadd_ps(p, v1, o[i][1]);
      }
    }
    for (int i = 0; i < R; i++) {
      const __m256 s = _mm256_set1_ps(inv[i]);
      float* out = t.out[i] + dc;
      if (left >= 16) {
        _mm256_storeu_ps(out, _mm256_mul_ps(o[i][0], s));
        _mm256_storeu_ps(out + 8, _mm256_mul_ps(o[i][1], s));
      } else {
        _mm256_maskstore_ps(out, m0, _mm256_mul_ps(o[i][0], s));
        _mm256_maskstore_ps(out + 8, m1, _mm256_mul_ps(o[i][1], s));
      }
    }
  }
}

void attend_avx2(const AttentionTile& t, const float* keys, const float* values, int hd, float* scratch, size_t ld) {
  switch (t.n) {
    case 1: attend_r<1>(t, keys, values, hd, scratch, ld); break;
    case 2: attend_r<2>(t, keys, values, hd, scratch, ld); break;
    case 3: attend_r<3>(t, keys, values, hd, scratch, ld); break;
    default: attend_r<4>(t, keys, values, hd, scratch, ld); break;
  }
}

}  // namespace

const AttentionKernels* attention_kernels_avx2() {
  static const AttentionKernels k = {"avx2", attend_avx2};
  return &k;
}

}  // namespace golf

#else  // not x86-64
namespace golf {
const AttentionKernels* attention_kernels_avx2() { return nullptr; }
}  // namespace golf
#endif
