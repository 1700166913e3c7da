// kernels_avx2.cpp: the AVX2 + FMA + F16C path (Haswell and later, Zen 1-3), compiled on its own with -mavx2
// -mfma -mf16c. Reads the raw weight layout in place: 4 weight rows × up to 2 activation rows per tile, one
// 32-column block per ymm. Products use vpmaddubsw with the sign trick, |x| × (w with the sign of x): no int16
// overflow for activation codes within ±127, and each lane stays an exact small partial sum (an offset trick
// would put large values in the lanes and lose the fp32 accuracy of nearly-cancelling ones). q4 nibbles are
// turned into signed codes (nibble − 8) first.
#if defined(__x86_64__)
#include <immintrin.h>

#include <type_traits>

#include "kernel_table.h"
#include "kernel_util.h"

namespace golf::kernels {
namespace {

inline float hsum256(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline int32_t hsum256_epi32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
  return _mm_cvtsi128_si32(s);
}

inline float hmax256(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// ----------------------------------------------------------------------------------------------------------------
// Activation quantization (bit-identical to the scalar path).

void quantize_rows_avx2(const float* x, int rows, int cols, int8_t* codes, float* scales, int32_t* sums) {
  size_t n_blocks = (size_t)rows * (size_t)(cols / kActBlock);
  const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
  const __m256 lo = _mm256_set1_ps(-127.0f), hi = _mm256_set1_ps(127.0f);
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);  // undoes the lane interleave of the packs
  for (size_t b = 0; b < n_blocks; ++b) {
    const float* xb = x + b * kActBlock;
    __m256 v[4];
    __m256 a = _mm256_setzero_ps();
    GOLF_UNROLL
    for (int t = 0; t < 4; ++t) {
      v[t] = _mm256_loadu_ps(xb + 8 * t);
      a = _mm256_max_ps(a, _mm256_and_ps(v[t], abs_mask));
    }
    float amax = hmax256(a);
    bool zero = !(amax >= 1e-30f);
    __m256 inv = _mm256_set1_ps(zero ? 0.0f : 127.0f / amax);
    __m256i q[4];
    GOLF_UNROLL
    for (int t = 0; t < 4; ++t)
      q[t] = _mm256_cvtps_epi32(_mm256_min_ps(hi, _mm256_max_ps(lo, _mm256_mul_ps(v[t], inv))));
    __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(q[0], q[1]), _mm256_packs_epi32(q[2], q[3]));
    _mm256_storeu_si256((__m256i*)(codes + b * kActBlock), _mm256_permutevar8x32_epi32(p, order));
    scales[b] = zero ? 0.0f : amax / 127.0f;
    sums[b] = hsum256_epi32(_mm256_add_epi32(_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3])));
  }
}

// ----------------------------------------------------------------------------------------------------------------
// Quantized matmul.

constexpr int kTileRows = 4;  // weight rows per tile
constexpr size_t kPrefetchBytes = 8192;

// The 32 codes of block b of a q4 row (nibble − 8), in column order.
inline __m256i q4_block_codes(const uint8_t* row, int b, int G) {
  const __m256i nib = _mm256_set1_epi8(0x0F), eight = _mm256_set1_epi8(8);
  if (G == 32) {
    __m128i v = _mm_loadu_si128((const __m128i*)(row + 16 * b));
    __m256i both = _mm256_inserti128_si256(_mm256_castsi128_si256(v), _mm_srli_epi16(v, 4), 1);
    return _mm256_sub_epi8(_mm256_and_si256(both, nib), eight);
  }
  __m256i v = _mm256_loadu_si256((const __m256i*)(row + 32 * (b / 2)));  // group 64: block 2g low, 2g+1 high
  return _mm256_sub_epi8(_mm256_and_si256((b & 1) ? _mm256_srli_epi16(v, 4) : v, nib), eight);
}

template <int MR, bool kQ4>
void tile(const QuantActs& x, int m0, const QuantMatrix& w, const int rows[kTileRows], float out[MR][kTileRows]) {
  const int K = x.cols, n_blocks = K / kActBlock, G = (int)w.group_size;
  const size_t ldb = (size_t)n_blocks;
  const __m256i ones = _mm256_set1_epi16(1);
  const size_t block_bytes = kQ4 ? 16 : 32;
  const uint8_t* wr[kTileRows];
  GOLF_UNROLL
  for (int j = 0; j < kTileRows; ++j) wr[j] = w_row_codes(w, rows[j]);
  __m256 acc[MR][kTileRows];
  GOLF_UNROLL
  for (int i = 0; i < MR; ++i)
    GOLF_UNROLL
    for (int j = 0; j < kTileRows; ++j) acc[i][j] = _mm256_setzero_ps();
  for (int b = 0; b < n_blocks; ++b) {
    __m256i xv[MR], ax[MR];
    float sx[MR];
    GOLF_UNROLL
    for (int i = 0; i < MR; ++i) {
      const size_t row = (size_t)(m0 + i);
      xv[i] = _mm256_loadu_si256((const __m256i*)(x.codes + row * K + 32 * b));
      ax[i] = _mm256_abs_epi8(xv[i]);
      sx[i] = x.scales[row * ldb + b];
    }
    GOLF_UNROLL
    for (int j = 0; j < kTileRows; ++j) {
      // Weight rows follow each other in memory: fetching ahead keeps a generation step from waiting on L3/DRAM.
      _mm_prefetch((const char*)(wr[j] + block_bytes * b + kPrefetchBytes), _MM_HINT_T0);
      float sw = _cvtsh_ss(w_row_scales(w, rows[j])[w_block_group(w, b)]);
      __m256i wv = kQ4 ? q4_block_codes(wr[j], b, G) : _mm256_loadu_si256((const __m256i*)(wr[j] + 32 * b));
      GOLF_UNROLL
      for (int i = 0; i < MR; ++i) {
        __m256i isum = _mm256_madd_epi16(_mm256_maddubs_epi16(ax[i], _mm256_sign_epi8(wv, xv[i])), ones);
        acc[i][j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(sx[i] * sw), acc[i][j]);
      }
    }
  }
  GOLF_UNROLL
  for (int i = 0; i < MR; ++i)
    GOLF_UNROLL
    for (int j = 0; j < kTileRows; ++j) out[i][j] = hsum256(acc[i][j]);
}

void quant_matmul_avx2(const QuantMatmulJob& job, int n_begin, int n_end) {
  const QuantActs& x = *job.x;
  const QuantMatrix& w = *job.w;
  const bool q4 = w.dtype == golf::Dtype::q4;
  for (int n = n_begin; n < n_end; n += kTileRows) {
    int rows[kTileRows];
    int nr = min_int(kTileRows, n_end - n);
    GOLF_UNROLL
    for (int j = 0; j < kTileRows; ++j) rows[j] = n + min_int(j, nr - 1);  // repeat the last row at the edge
    int m = 0;
    auto run = [&](auto mr_tag) {
      constexpr int MR = decltype(mr_tag)::value;
      float out[MR][kTileRows];
      if (q4) {
        tile<MR, true>(x, m, w, rows, out);
      } else {
        tile<MR, false>(x, m, w, rows, out);
      }
      GOLF_UNROLL
      for (int i = 0; i < MR; ++i)
        for (int j = 0; j < nr; ++j) job.y[(size_t)(m + i) * job.ldy + n + j] = out[i][j];
      m += MR;
    };
    while (x.rows - m >= 2) run(std::integral_constant<int, 2>());
    if (x.rows - m == 1) run(std::integral_constant<int, 1>());
  }
}

// ----------------------------------------------------------------------------------------------------------------
// fp32: 4 activation rows × 2 weight rows of dot products along K; the K % 8 tail is added in scalar.

template <int MR, int NR>
void f32_tile(const F32MatmulJob& job, int m0, int n0) {
  __m256 acc[MR][NR];
  GOLF_UNROLL
  for (int i = 0; i < MR; ++i)
    GOLF_UNROLL
    for (int j = 0; j < NR; ++j) acc[i][j] = _mm256_setzero_ps();
  const float* xr[MR];
  const float* wr[NR];
  GOLF_UNROLL
  for (int i = 0; i < MR; ++i) xr[i] = job.x + (size_t)(m0 + i) * job.ldx;
  GOLF_UNROLL
  for (int j = 0; j < NR; ++j) wr[j] = job.w + (size_t)(n0 + j) * job.ldw;
  const int K8 = job.K / 8 * 8;
  for (int k = 0; k < K8; k += 8) {
    __m256 wv[NR];
    GOLF_UNROLL
    for (int j = 0; j < NR; ++j) wv[j] = _mm256_loadu_ps(wr[j] + k);
    GOLF_UNROLL
    for (int i = 0; i < MR; ++i) {
      __m256 xv = _mm256_loadu_ps(xr[i] + k);
      GOLF_UNROLL
      for (int j = 0; j < NR; ++j) acc[i][j] = _mm256_fmadd_ps(xv, wv[j], acc[i][j]);
    }
  }
  GOLF_UNROLL
  for (int i = 0; i < MR; ++i)
    GOLF_UNROLL
    for (int j = 0; j < NR; ++j) {
      float s = hsum256(acc[i][j]);
      for (int k = K8; k < job.K; ++k) s += xr[i][k] * wr[j][k];
      job.y[(size_t)(m0 + i) * job.ldy + n0 + j] = s;
    }
}

void f32_matmul_avx2(const F32MatmulJob& job, int n_begin, int n_end) {
  int n = n_begin;
  for (; n + 2 <= n_end; n += 2) {
    int m = 0;
    for (; m + 4 <= job.M; m += 4) f32_tile<4, 2>(job, m, n);
    for (; m < job.M; ++m) f32_tile<1, 2>(job, m, n);
  }
  for (; n < n_end; ++n) {
    int m = 0;
    for (; m + 4 <= job.M; m += 4) f32_tile<4, 1>(job, m, n);
    for (; m < job.M; ++m) f32_tile<1, 1>(job, m, n);
  }
}

// ----------------------------------------------------------------------------------------------------------------
// Quantized weights × fp32 activations for a few rows of x (the head during generation): one weight row at a
// time, each group's codes turned to fp32 in registers, Σ x·code accumulated in fp32 and scaled once per group.

// 8 int8 codes as fp32.
inline __m256 i8x8_to_ps(const uint8_t* p) {
  return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
}
// 8 nibbles (one per byte, already masked), minus the bias 8, as fp32.
inline __m256 nibbles8_to_ps(__m128i nibbles) {
  return _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_cvtepu8_epi32(nibbles), _mm256_set1_epi32(8)));
}

void quant_f32act_gemv_avx2(const QuantF32ActJob& job, int n_begin, int n_end) {
  const QuantMatrix& w = *job.w;
  const int gc = w_group_cols(w), groups = w_groups_per_row(w);
  const bool q4 = w.dtype == golf::Dtype::q4;
  const __m128i mask = _mm_set1_epi8(0x0F);
  for (int n = n_begin; n < n_end; ++n) {
    const uint8_t* codes = w_row_codes(w, n);
    const uint16_t* scales = w_row_scales(w, n);
    for (int m = 0; m < job.M; ++m) {
      const float* x = job.x + (size_t)m * w.cols;
      __m256 acc = _mm256_setzero_ps();
      for (int g = 0; g < groups; ++g) {
        const float* xg = x + (size_t)g * gc;
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
        if (!q4) {
          const uint8_t* c = codes + (size_t)g * gc;
          for (int j = 0; j < gc; j += 16) {
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(xg + j), i8x8_to_ps(c + j), a0);
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(xg + j + 8), i8x8_to_ps(c + j + 8), a1);
          }
        } else {  // byte j of a group holds columns j (low nibble) and j + gc/2 (high): SPEC.md §5.2
          const int half = gc / 2;
          const uint8_t* c = codes + (size_t)g * half;
          for (int j = 0; j < half; j += 16) {
            const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(c + j));
            const __m128i lo = _mm_and_si128(b, mask), hi = _mm_and_si128(_mm_srli_epi16(b, 4), mask);
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(xg + j), nibbles8_to_ps(lo), a0);
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(xg + j + 8), nibbles8_to_ps(_mm_srli_si128(lo, 8)), a1);
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(xg + half + j), nibbles8_to_ps(hi), a0);
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(xg + half + j + 8), nibbles8_to_ps(_mm_srli_si128(hi, 8)), a1);
          }
        }
        acc = _mm256_fmadd_ps(_mm256_add_ps(a0, a1), _mm256_set1_ps(_cvtsh_ss(scales[g])), acc);
      }
      job.y[(size_t)m * job.ldy + n] = hsum256(acc);
    }
  }
}

const KernelTable kTable = {"avx2", 8, quantize_rows_avx2, quant_matmul_avx2, f32_matmul_avx2,
                            quant_f32act_gemv_avx2};

}  // namespace

const KernelTable* kernel_table_avx2() { return &kTable; }

}  // namespace golf::kernels

#else  // not x86-64: the path does not exist in this build

#include "kernel_table.h"
namespace golf::kernels {
const KernelTable* kernel_table_avx2() { return nullptr; }
}  // namespace golf::kernels

#endif
