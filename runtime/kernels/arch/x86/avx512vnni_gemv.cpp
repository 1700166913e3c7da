// avx512vnni_gemv.cpp: the AVX-512 VNNI kernel for generation-sized M (compiled with the AVX-512 flags). Reads
// the raw layout in place, 4 weight rows × up to 2 activation rows per tile, each weight byte streamed once with
// software prefetch ahead of it; 64 columns per vector, summed across lanes at the end.
#if defined(__x86_64__)
#include <immintrin.h>

#include <type_traits>

#include "avx512vnni.h"
#include "kernel_util.h"

namespace golf::kernels::avx512vnni {
namespace {

constexpr int kRawRows = 4;  // weight rows per tile
// How far ahead of each row's read position the raw kernels prefetch. Weight rows follow each other in memory,
// so this reaches into the next tiles; without it a generation step waits on L3/DRAM latency (~4 GB/s instead of
// ~20 on Zen 4).
constexpr size_t kPrefetchBytes = 8192;

// Lanes 0-7 take element 0, lanes 8-15 element 1 (two 32-column blocks in one 64-byte chunk).
inline __m512i idx_halves() { return _mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0); }
// Lanes 4L..4L+3 take element L (four blocks, one per 128-bit lane).
inline __m512i idx_quarters() { return _mm512_set_epi32(3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0); }

// Scales of the two blocks of chunk c (columns 64c .. 64c+63) of a row with group size G (32, 64, 128).
inline __m512 w_scales_2blocks(const uint16_t* srow, int G, int c, bool half) {
  if (G == 32) {
    __m128i h = _mm_cvtsi32_si128(half ? srow[2 * c] : load_i32(srow + 2 * c));
    return _mm512_permutexvar_ps(idx_halves(), _mm512_castps128_ps512(_mm_cvtph_ps(h)));
  }
  return _mm512_set1_ps(_cvtsh_ss(srow[(c * 64) >> __builtin_ctz((unsigned)G)]));  // G is a power of two
}

// vpdpbusd wants one unsigned operand: the weights, offset to unsigned (int8 code + 128, q4 nibble = code + 8).
// Each int32 lane then holds Σ (w + offset)·x over its 4 bytes; starting the lane at −offset · Σ x over the same
// 4 bytes (one vpdpbusd per activation row and chunk, shared by all weight rows) leaves exactly Σ w·x, and the
// lanes stay small, so their fp32 sum is as accurate as the scalar path's.
inline __m512i neg_offset_lanes(__m512i x, int offset) {
  __m512i per_lane = _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_set1_epi8((char)offset), x);
  return _mm512_sub_epi32(_mm512_setzero_si512(), per_lane);
}

// int8-held codes (q2..q8). out[i][j] = y[m0 + i][row j].
template <int MR>
void raw_tile_int8(const QuantActs& x, int m0, const QuantMatrix& w, const int rows[kRawRows],
                   float out[MR][kRawRows]) {
  const int K = x.cols, n_chunks = (K + 63) / 64, G = (int)w.group_size;
  const size_t ldb = (size_t)K / kActBlock;
  const bool row_scale = G == 0;
  const __m512i flip = _mm512_set1_epi8((char)0x80);
  const uint8_t* wr[kRawRows];
  const uint16_t* sr[kRawRows];
  GOLF_UNROLL
  for (int j = 0; j < kRawRows; ++j) {
    wr[j] = w_row_codes(w, rows[j]);
    sr[j] = w_row_scales(w, rows[j]);
  }
  __m512 acc[MR][kRawRows];
  GOLF_UNROLL
  for (int i = 0; i < MR; ++i)
    GOLF_UNROLL
    for (int j = 0; j < kRawRows; ++j) acc[i][j] = _mm512_setzero_ps();
  for (int c = 0; c < n_chunks; ++c) {
    const bool half = K - 64 * c == 32;
    const __mmask64 km = half ? 0xFFFFFFFFull : ~0ull;
    __m512i xv[MR], negc[MR];
    __m512 sx[MR];
    GOLF_UNROLL
    for (int i = 0; i < MR; ++i) {
      const size_t row = (size_t)(m0 + i);
      xv[i] = _mm512_maskz_loadu_epi8(km, x.codes + row * K + 64 * c);
      negc[i] = neg_offset_lanes(xv[i], 128);
      __m128 xs = half ? _mm_load_ss(x.scales + row * ldb + 2 * c)
                       : _mm_castsi128_ps(_mm_loadl_epi64((const __m128i*)(x.scales + row * ldb + 2 * c)));
      sx[i] = _mm512_permutexvar_ps(idx_halves(), _mm512_castps128_ps512(xs));
    }
    GOLF_UNROLL
    for (int j = 0; j < kRawRows; ++j) {
      // The next tiles' rows follow in memory; asking for them early keeps enough misses in flight to stream.
      _mm_prefetch((const char*)(wr[j] + 64 * c + kPrefetchBytes), _MM_HINT_T0);
      __m512i wv = _mm512_xor_si512(_mm512_maskz_loadu_epi8(km, wr[j] + 64 * c), flip);
      __m512 sw = row_scale ? sx[0] : w_scales_2blocks(sr[j], G, c, half);
      GOLF_UNROLL
      for (int i = 0; i < MR; ++i) {
        __m512 isum = _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(negc[i], wv, xv[i]));
        acc[i][j] = _mm512_fmadd_ps(isum, row_scale ? sx[i] : _mm512_mul_ps(sx[i], sw), acc[i][j]);
      }
    }
  }
  GOLF_UNROLL
  for (int i = 0; i < MR; ++i)
    GOLF_UNROLL
    for (int j = 0; j < kRawRows; ++j) {
      float v = _mm512_reduce_add_ps(acc[i][j]);
      out[i][j] = row_scale ? v * _cvtsh_ss(sr[j][0]) : v;  // one scale per row: applied once at the end
    }
}

// q4, groups of G = 32 or 64. A 64-byte chunk holds 128 columns; the low nibbles of its bytes and the high
// nibbles each cover 64 of them, so the activations are regrouped (vpermt2q) to match instead of the weights.
template <int MR, int G>
void raw_tile_q4(const QuantActs& x, int m0, const QuantMatrix& w, const int rows[kRawRows],
                 float out[MR][kRawRows]) {
  const int K = x.cols, n_chunks = (K + 127) / 128;
  const size_t ldb = (size_t)K / kActBlock;
  // qwords (8 columns) of x [0..63 | 64..127] that meet the low and the high nibbles
  const __m512i idx_lo = G == 32 ? _mm512_set_epi64(13, 12, 9, 8, 5, 4, 1, 0)
                                 : _mm512_set_epi64(11, 10, 9, 8, 3, 2, 1, 0);
  const __m512i idx_hi = G == 32 ? _mm512_set_epi64(15, 14, 11, 10, 7, 6, 3, 2)
                                 : _mm512_set_epi64(15, 14, 13, 12, 7, 6, 5, 4);
  // group 64: low nibbles = blocks 0 and 2 of the chunk, high nibbles = blocks 1 and 3
  const __m512i idx_b02 = _mm512_set_epi32(2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0);
  const __m512i idx_b13 = _mm512_set_epi32(3, 3, 3, 3, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1);
  const __m512i nib = _mm512_set1_epi8(0x0F);
  const uint8_t* wr[kRawRows];
  const uint16_t* sr[kRawRows];
  GOLF_UNROLL
  for (int j = 0; j < kRawRows; ++j) {
    wr[j] = w_row_codes(w, rows[j]);
    sr[j] = w_row_scales(w, rows[j]);
  }
  __m512 acc[MR][kRawRows];
  GOLF_UNROLL
  for (int i = 0; i < MR; ++i)
    GOLF_UNROLL
    for (int j = 0; j < kRawRows; ++j) acc[i][j] = _mm512_setzero_ps();
  for (int c = 0; c < n_chunks; ++c) {
    const int cols_left = min_int(128, K - 128 * c);  // 32, 64, 96 or 128
    const int blocks = cols_left / 32;
    const __mmask64 kx0 = cols_left >= 64 ? ~0ull : (1ull << cols_left) - 1;
    const __mmask64 kx1 = cols_left >= 128 ? ~0ull : cols_left <= 64 ? 0ull : (1ull << (cols_left - 64)) - 1;
    const __mmask64 kw = cols_left == 128 ? ~0ull : (1ull << (cols_left / 2)) - 1;
    const __mmask8 kb = (__mmask8)((1u << blocks) - 1);
    __m512i xlo[MR], xhi[MR], nlo[MR], nhi[MR];
    __m512 slo[MR], shi[MR];
    GOLF_UNROLL
    for (int i = 0; i < MR; ++i) {
      const size_t row = (size_t)(m0 + i);
      const int8_t* xr = x.codes + row * K + 128 * c;
      __m512i x0 = _mm512_maskz_loadu_epi8(kx0, xr), x1 = _mm512_maskz_loadu_epi8(kx1, xr + 64);
      xlo[i] = _mm512_permutex2var_epi64(x0, idx_lo, x1);
      xhi[i] = _mm512_permutex2var_epi64(x0, idx_hi, x1);
      nlo[i] = neg_offset_lanes(xlo[i], 8);
      nhi[i] = neg_offset_lanes(xhi[i], 8);
      const float* xsp = x.scales + row * ldb + 4 * c;
      __m512 xs = _mm512_castps128_ps512(blocks == 4 ? _mm_loadu_ps(xsp) : _mm_maskz_loadu_ps(kb, xsp));
      if (G == 32) {
        nlo[i] = _mm512_add_epi32(nlo[i], nhi[i]);  // both nibbles of a 128-bit lane are one block
        slo[i] = _mm512_permutexvar_ps(idx_quarters(), xs);
      } else {
        slo[i] = _mm512_permutexvar_ps(idx_b02, xs);
        shi[i] = _mm512_permutexvar_ps(idx_b13, xs);
      }
    }
    GOLF_UNROLL
    for (int j = 0; j < kRawRows; ++j) {
      _mm_prefetch((const char*)(wr[j] + 64 * c + kPrefetchBytes), _MM_HINT_T0);
      // Nibbles as stored (code + 8). Bytes past K load as 0 and meet activations loaded as 0.
      __m512i v = _mm512_maskz_loadu_epi8(kw, wr[j] + 64 * c);
      __m512i lo = _mm512_and_si512(v, nib), hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), nib);
      __m512 sw;
      if (G == 32) {
        // (plain loads where possible: masked loads that miss the cache are slow on Zen 4)
        __m128i h = blocks == 4 ? _mm_loadl_epi64((const __m128i*)(sr[j] + 4 * c)) : _mm_maskz_loadu_epi16(kb, sr[j] + 4 * c);
        sw = _mm512_permutexvar_ps(idx_quarters(), _mm512_castps128_ps512(_mm_cvtph_ps(h)));
      } else {
        __m128i h = _mm_cvtsi32_si128(blocks > 2 ? load_i32(sr[j] + 2 * c) : sr[j][2 * c]);
        sw = _mm512_permutexvar_ps(idx_halves(), _mm512_castps128_ps512(_mm_cvtph_ps(h)));
      }
      GOLF_UNROLL
      for (int i = 0; i < MR; ++i) {
        if (G == 32) {
          __m512i ia = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(nlo[i], lo, xlo[i]), hi, xhi[i]);
          acc[i][j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(ia), _mm512_mul_ps(slo[i], sw), acc[i][j]);
        } else {
          __m512i il = _mm512_dpbusd_epi32(nlo[i], lo, xlo[i]);
          __m512i ih = _mm512_dpbusd_epi32(nhi[i], hi, xhi[i]);
          acc[i][j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(il), _mm512_mul_ps(slo[i], sw), acc[i][j]);
          acc[i][j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(ih), _mm512_mul_ps(shi[i], sw), acc[i][j]);
        }
      }
    }
  }
  GOLF_UNROLL
  for (int i = 0; i < MR; ++i)
    GOLF_UNROLL
    for (int j = 0; j < kRawRows; ++j) out[i][j] = _mm512_reduce_add_ps(acc[i][j]);
}

template <int MR>
void raw_tile(const QuantActs& x, int m0, const QuantMatrix& w, const int rows[kRawRows], float out[MR][kRawRows]) {
  if (w.dtype != golf::Dtype::q4) {
    raw_tile_int8<MR>(x, m0, w, rows, out);
  } else if (w.group_size == 32) {
    raw_tile_q4<MR, 32>(x, m0, w, rows, out);
  } else {
    raw_tile_q4<MR, 64>(x, m0, w, rows, out);
  }
}

}  // namespace

void quant_gemv_raw(const QuantMatmulJob& job, int n_begin, int n_end) {
  const QuantActs& x = *job.x;
  const QuantMatrix& w = *job.w;
  for (int n = n_begin; n < n_end; n += kRawRows) {
    int rows[kRawRows];
    int nr = min_int(kRawRows, n_end - n);
    GOLF_UNROLL
    for (int j = 0; j < kRawRows; ++j) rows[j] = n + min_int(j, nr - 1);  // repeat the last row at the edge
    int m = 0;
    auto tile = [&](auto mr_tag) {
      constexpr int MR = decltype(mr_tag)::value;
      float out[MR][kRawRows];
      raw_tile<MR>(x, m, w, rows, out);
      GOLF_UNROLL
      for (int i = 0; i < MR; ++i)
        for (int j = 0; j < nr; ++j) job.y[(size_t)(m + i) * job.ldy + n + j] = out[i][j];
      m += MR;
    };
    while (x.rows - m >= 2) tile(std::integral_constant<int, 2>());
    if (x.rows - m == 1) tile(std::integral_constant<int, 1>());
  }
}

}  // namespace golf::kernels::avx512vnni

#endif  // __x86_64__
