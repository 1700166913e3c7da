// avx512vnni_gemm.cpp: the AVX-512 VNNI GEMM for prompt-sized M (compiled with the AVX-512 flags). A panel of
// 32 weight rows × up to 512 columns is repacked once — transposed to 4-byte column quads, q4 unpacked, scales
// widened to fp32 per 32-column block — and reused by every 4-row tile of activations. Each lane of a vector is
// one output column, so an int32 lane holds a whole 32-column block (vpdpbusd: 4 products per lane per
// instruction, 8 instructions per block) and the fp32 scaling costs 3 ops per 8 vpdpbusd. Weights are the
// unsigned operand, offset by +128 (int8 codes) or +8 (q4 nibbles, stored that way); each accumulator starts at
// −offset · (sum of the block's activation codes), which cancels the offset exactly.
#if defined(__x86_64__)
#include <immintrin.h>

#include <type_traits>

#include "avx512vnni.h"
#include "kernel_util.h"

namespace golf::kernels::avx512vnni {
namespace {

constexpr int kPanelRows = 32;   // weight rows per panel: two zmm of int32 lanes
constexpr int kSliceCols = 512;  // columns per packed slice: 16 KB of codes + 2 KB of scales, L1-resident

struct alignas(64) Panel {
  uint8_t quads[kSliceCols / 4][kPanelRows][4];  // [column quad][row][4 codes], unsigned (code + offset)
  float scales[kSliceCols / kActBlock][kPanelRows];
};

// Transposes 16 rows of 16 int32 into 16 columns (out[c] lane r = in[r] lane c).
inline void transpose16x16_epi32(const __m512i in[16], __m512i out[16]) {
  __m512i t[16], u[16];
  GOLF_UNROLL
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_epi32(in[2 * i], in[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_epi32(in[2 * i], in[2 * i + 1]);
  }
  GOLF_UNROLL
  for (int g = 0; g < 4; ++g) {  // u[4g + c], 128-bit lane L: rows 4g..4g+3 of column 4L + c
    u[4 * g + 0] = _mm512_unpacklo_epi64(t[4 * g + 0], t[4 * g + 2]);
    u[4 * g + 1] = _mm512_unpackhi_epi64(t[4 * g + 0], t[4 * g + 2]);
    u[4 * g + 2] = _mm512_unpacklo_epi64(t[4 * g + 1], t[4 * g + 3]);
    u[4 * g + 3] = _mm512_unpackhi_epi64(t[4 * g + 1], t[4 * g + 3]);
  }
  GOLF_UNROLL
  for (int c = 0; c < 4; ++c) {  // 4x4 transpose of 128-bit lanes across u[c], u[4+c], u[8+c], u[12+c]
    __m512i p0 = _mm512_shuffle_i32x4(u[c], u[4 + c], 0x44);
    __m512i p1 = _mm512_shuffle_i32x4(u[c], u[4 + c], 0xEE);
    __m512i p2 = _mm512_shuffle_i32x4(u[8 + c], u[12 + c], 0x44);
    __m512i p3 = _mm512_shuffle_i32x4(u[8 + c], u[12 + c], 0xEE);
    out[c] = _mm512_shuffle_i32x4(p0, p2, 0x88);
    out[4 + c] = _mm512_shuffle_i32x4(p0, p2, 0xDD);
    out[8 + c] = _mm512_shuffle_i32x4(p1, p3, 0x88);
    out[12 + c] = _mm512_shuffle_i32x4(p1, p3, 0xDD);
  }
}

// 64 consecutive codes (columns k .. k+63, or k .. k+31 when half) of a weight row as unsigned bytes:
// int8 codes + 128, q4 nibbles as stored (code + 8).
inline __m512i load_row_codes64(const QuantMatrix& w, const uint8_t* row, int k, bool half) {
  if (w.dtype != golf::Dtype::q4) {
    __m512i v = half ? _mm512_maskz_loadu_epi8(0xFFFFFFFFull, row + k) : _mm512_loadu_si512(row + k);
    return _mm512_xor_si512(v, _mm512_set1_epi8((char)0x80));
  }
  const __m512i nib = _mm512_set1_epi8(0x0F);
  if (w.group_size == 32) {  // bytes k/2 .. k/2+31: two groups; byte j of a group = cols j (low), j+16 (high)
    __m512i b = _mm512_castsi256_si512(_mm256_maskz_loadu_epi8(half ? 0xFFFFu : 0xFFFFFFFFu, row + k / 2));
    __m512i v = _mm512_shuffle_i64x2(b, b, 0x50);  // 128-bit lanes [B0, B0, B1, B1]
    v = _mm512_mask_srli_epi16(v, 0xFF00FF00u, v, 4);  // high nibbles in lanes 1 and 3
    return _mm512_and_si512(v, nib);
  }
  // group 64: bytes k/2 .. k/2+31 are one group; byte j = cols j (low), j+32 (high)
  __m512i b = _mm512_castsi256_si512(_mm256_loadu_si256((const __m256i*)(row + k / 2)));
  __m512i v = _mm512_shuffle_i64x2(b, b, 0x44);  // [Y, Y]
  v = _mm512_mask_srli_epi16(v, 0xFFFF0000u, v, 4);
  return _mm512_and_si512(v, nib);
}

// Packs rows n0 .. n0+nr-1 (nr <= 32; missing rows are code 0 with scale 0), columns k0 .. k0+kc-1.
void pack_panel(const QuantMatrix& w, int n0, int nr, int k0, int kc, Panel* p) {
  // Codes: per 16 rows × 64 columns, a 16x16 transpose of int32 quads.
  const __m512i zero_code = w.dtype == golf::Dtype::q4 ? _mm512_set1_epi8(8) : _mm512_set1_epi8((char)0x80);
  for (int half_panel = 0; half_panel < 2; ++half_panel) {
    int r0 = half_panel * 16;
    for (int kk = 0; kk < kc; kk += 64) {
      bool half = kc - kk == 32;
      __m512i rows[16], cols[16];
      GOLF_UNROLL
      for (int r = 0; r < 16; ++r) {
        int n = n0 + r0 + r;
        rows[r] = r0 + r < nr ? load_row_codes64(w, w_row_codes(w, n), k0 + kk, half) : zero_code;
      }
      transpose16x16_epi32(rows, cols);
      int n_quads = half ? 8 : 16;
      for (int q = 0; q < n_quads; ++q) _mm512_store_si512(p->quads[kk / 4 + q][r0], cols[q]);
    }
  }
  // Scales, fp32, one per 32-column block: per row, the group scales of the slice widened and repeated per block
  // (a 16-lane vector: a slice has at most 16 blocks), then the same 16x16 transpose to [block][row].
  const int G = w.group_size;
  const int n_groups = w_groups_per_row(w);
  const int nb = kc / kActBlock;
  const int first_group = G == 0 ? 0 : k0 / G;
  const int slice_groups = G == 0 ? 1 : (kc + G - 1) / G;
  // block b of the slice lies in group first_group + b·32/G (slices start on a group boundary)
  const __m512i block_group = G == 0 ? _mm512_setzero_si512()
                                     : _mm512_srli_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4,
                                                                          3, 2, 1, 0),
                                                         __builtin_ctz((unsigned)G) - 5);
  const __mmask16 group_mask = (__mmask16)((1u << slice_groups) - 1);
  for (int half_panel = 0; half_panel < 2; ++half_panel) {
    int r0 = half_panel * 16;
    __m512i rows[16], cols[16];
    GOLF_UNROLL
    for (int r = 0; r < 16; ++r) {
      rows[r] = _mm512_setzero_si512();
      if (r0 + r >= nr) continue;
      const uint16_t* sr = w.scales + (size_t)(n0 + r0 + r) * n_groups + first_group;
      __m256i h = slice_groups == 16 ? _mm256_loadu_si256((const __m256i*)sr) : _mm256_maskz_loadu_epi16(group_mask, sr);
      rows[r] = _mm512_permutexvar_epi32(block_group, _mm512_castps_si512(_mm512_cvtph_ps(h)));
    }
    transpose16x16_epi32(rows, cols);
    for (int b = 0; b < nb; ++b) _mm512_store_si512(&p->scales[b][r0], cols[b]);
  }
}

// y tile [MR][32] (+)= x rows m0.. (MR) · panel, over the slice's blocks. x points at row m0, column k0.
template <int MR>
void gemm_tile(const int8_t* x, size_t ldx, const float* xs, const int32_t* xsum, size_t ldb, int n_blocks,
               const Panel& p, int32_t offset, float* y, size_t ldy, __mmask32 col_mask, bool accumulate) {
  __m512 acc[MR][2];
  GOLF_UNROLL
  for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  for (int b = 0; b < n_blocks; ++b) {
    __m512i ia[MR][2];
    GOLF_UNROLL
    for (int i = 0; i < MR; ++i) ia[i][0] = ia[i][1] = _mm512_set1_epi32(-offset * xsum[i * ldb + b]);
    const uint8_t* wq = &p.quads[b * 8][0][0];
    const int8_t* xb = x + b * kActBlock;
    GOLF_UNROLL
    for (int q = 0; q < 8; ++q) {
      __m512i w0 = _mm512_load_si512(wq + q * 128), w1 = _mm512_load_si512(wq + q * 128 + 64);
      GOLF_UNROLL
      for (int i = 0; i < MR; ++i) {
        __m512i xq = _mm512_set1_epi32(load_i32(xb + i * ldx + q * 4));
        ia[i][0] = _mm512_dpbusd_epi32(ia[i][0], w0, xq);
        ia[i][1] = _mm512_dpbusd_epi32(ia[i][1], w1, xq);
      }
    }
    __m512 s0 = _mm512_load_ps(p.scales[b]), s1 = _mm512_load_ps(p.scales[b] + 16);
    GOLF_UNROLL
    for (int i = 0; i < MR; ++i) {
      __m512 sx = _mm512_set1_ps(xs[i * ldb + b]);
      acc[i][0] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(ia[i][0]), _mm512_mul_ps(s0, sx), acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(ia[i][1]), _mm512_mul_ps(s1, sx), acc[i][1]);
    }
  }
  __mmask16 m0 = (__mmask16)(col_mask & 0xFFFF), m1 = (__mmask16)(col_mask >> 16);
  GOLF_UNROLL
  for (int i = 0; i < MR; ++i) {
    float* yr = y + i * ldy;
    if (accumulate) {
      acc[i][0] = _mm512_add_ps(acc[i][0], _mm512_maskz_loadu_ps(m0, yr));
      acc[i][1] = _mm512_add_ps(acc[i][1], _mm512_maskz_loadu_ps(m1, yr + 16));
    }
    _mm512_mask_storeu_ps(yr, m0, acc[i][0]);
    _mm512_mask_storeu_ps(yr + 16, m1, acc[i][1]);
  }
}

}  // namespace

void quant_gemm_packed(const QuantMatmulJob& job, int n_begin, int n_end) {
  const QuantActs& x = *job.x;
  const QuantMatrix& w = *job.w;
  const int M = x.rows, K = x.cols;
  const size_t ldb = (size_t)K / kActBlock;
  const int32_t offset = w.dtype == golf::Dtype::q4 ? 8 : 128;
  Panel panel;  // 18 KB on the stack: no allocation, private to the thread
  for (int n0 = n_begin; n0 < n_end; n0 += kPanelRows) {
    int nr = min_int(kPanelRows, n_end - n0);
    __mmask32 col_mask = nr == 32 ? 0xFFFFFFFFu : ((1u << nr) - 1u);
    for (int k0 = 0; k0 < K; k0 += kSliceCols) {
      int kc = min_int(kSliceCols, K - k0);
      pack_panel(w, n0, nr, k0, kc, &panel);
      int nb = kc / kActBlock, b0 = k0 / kActBlock;
      bool accumulate = k0 > 0;
      int m = 0;
      auto tile = [&](auto mr_tag) {
        constexpr int MR = decltype(mr_tag)::value;
        gemm_tile<MR>(x.codes + (size_t)m * K + k0, (size_t)K, x.scales + m * ldb + b0, x.sums + m * ldb + b0, ldb,
                      nb, panel, offset, job.y + (size_t)m * job.ldy + n0, job.ldy, col_mask, accumulate);
        m += MR;
      };
      while (M - m >= 4) tile(std::integral_constant<int, 4>());
      if (M - m == 3) tile(std::integral_constant<int, 3>());
      if (M - m == 2) tile(std::integral_constant<int, 2>());
      if (M - m == 1) tile(std::integral_constant<int, 1>());
    }
  }
}

}  // namespace golf::kernels::avx512vnni

#endif  // __x86_64__
