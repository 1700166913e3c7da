// kernels_avx512vnni.cpp: the AVX-512 VNNI path (Ice Lake, Sapphire Rapids, Zen 4), compiled on its own with
// -mavx512f -mavx512bw -mavx512vl -mavx512vnni: its table, activation quantization, the choice between the
// packed GEMM (avx512vnni_gemm.cpp) and the raw-layout kernel (avx512vnni_gemv.cpp), the fp32 matmul, and the
// quantized-weight × fp32-activation kernel for generation.
#if defined(__x86_64__)
#include <immintrin.h>

#include "avx512vnni.h"
#include "kernel_table.h"
#include "kernel_util.h"

namespace golf::kernels {
namespace {

// Below these M the raw-layout kernel wins: packing a panel costs about as much as reading it 3-5 times
// (measured on Zen 4; q4 unpacking makes its packing dearer).
constexpr int kPackedMinRowsInt8 = 4;
constexpr int kPackedMinRowsQ4 = 6;

// ----------------------------------------------------------------------------------------------------------------
// Activation quantization (bit-identical to the scalar path: same max, same 127/amax, round-half-even).

void quantize_rows_avx512(const float* x, int rows, int cols, int8_t* codes, float* scales, int32_t* sums) {
  size_t n_blocks = (size_t)rows * (size_t)(cols / kActBlock);
  const __m512 lo = _mm512_set1_ps(-127.0f), hi = _mm512_set1_ps(127.0f);
  for (size_t b = 0; b < n_blocks; ++b) {
    const float* xb = x + b * kActBlock;
    __m512 v0 = _mm512_loadu_ps(xb), v1 = _mm512_loadu_ps(xb + 16);
    float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(v0), _mm512_abs_ps(v1)));
    bool zero = !(amax >= 1e-30f);
    __m512 inv = _mm512_set1_ps(zero ? 0.0f : 127.0f / amax);
    __m512i q0 = _mm512_cvtps_epi32(_mm512_min_ps(hi, _mm512_max_ps(lo, _mm512_mul_ps(v0, inv))));
    __m512i q1 = _mm512_cvtps_epi32(_mm512_min_ps(hi, _mm512_max_ps(lo, _mm512_mul_ps(v1, inv))));
    _mm_storeu_si128((__m128i*)(codes + b * kActBlock), _mm512_cvtsepi32_epi8(q0));
    _mm_storeu_si128((__m128i*)(codes + b * kActBlock + 16), _mm512_cvtsepi32_epi8(q1));
    scales[b] = zero ? 0.0f : amax / 127.0f;
    sums[b] = _mm512_reduce_add_epi32(_mm512_add_epi32(q0, q1));
  }
}

// ----------------------------------------------------------------------------------------------------------------
// Quantized matmul: the packed GEMM once M pays for the packing, the raw-layout kernel below that.

void quant_matmul_avx512vnni(const QuantMatmulJob& job, int n_begin, int n_end) {
  const int min_rows = job.w->dtype == golf::Dtype::q4 ? kPackedMinRowsQ4 : kPackedMinRowsInt8;
  if (job.x->rows >= min_rows) {
    avx512vnni::quant_gemm_packed(job, n_begin, n_end);
  } else {
    avx512vnni::quant_gemv_raw(job, n_begin, n_end);
  }
}

// ----------------------------------------------------------------------------------------------------------------
// fp32: 4 × 4 tiles of dot products along K (both operands are contiguous there), masked tail.

template <int MR, int NR>
void f32_tile(const F32MatmulJob& job, int m0, int n0) {
  __m512 acc[MR][NR];
  GOLF_UNROLL
  for (int i = 0; i < MR; ++i)
    GOLF_UNROLL
    for (int j = 0; j < NR; ++j) acc[i][j] = _mm512_setzero_ps();
  const float* xr[MR];
  const float* wr[NR];
  GOLF_UNROLL
  for (int i = 0; i < MR; ++i) xr[i] = job.x + (size_t)(m0 + i) * job.ldx;
  GOLF_UNROLL
  for (int j = 0; j < NR; ++j) wr[j] = job.w + (size_t)(n0 + j) * job.ldw;
  for (int k = 0; k < job.K; k += 16) {
    __mmask16 km = job.K - k >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (job.K - k)) - 1);
    __m512 wv[NR];
    GOLF_UNROLL
    for (int j = 0; j < NR; ++j) wv[j] = _mm512_maskz_loadu_ps(km, wr[j] + k);
    GOLF_UNROLL
    for (int i = 0; i < MR; ++i) {
      __m512 xv = _mm512_maskz_loadu_ps(km, xr[i] + k);
      GOLF_UNROLL
      for (int j = 0; j < NR; ++j) acc[i][j] = _mm512_fmadd_ps(xv, wv[j], acc[i][j]);
    }
  }
  GOLF_UNROLL
  for (int i = 0; i < MR; ++i)
    GOLF_UNROLL
    for (int j = 0; j < NR; ++j) job.y[(size_t)(m0 + i) * job.ldy + n0 + j] = _mm512_reduce_add_ps(acc[i][j]);
}

void f32_matmul_avx512(const F32MatmulJob& job, int n_begin, int n_end) {
  int n = n_begin;
  for (; n + 4 <= n_end; n += 4) {
    int m = 0;
    for (; m + 4 <= job.M; m += 4) f32_tile<4, 4>(job, m, n);
    for (; m < job.M; ++m) f32_tile<1, 4>(job, m, n);
  }
  for (; n < n_end; ++n) {
    int m = 0;
    for (; m + 4 <= job.M; m += 4) f32_tile<4, 1>(job, m, n);
    for (; m < job.M; ++m) f32_tile<1, 1>(job, m, n);
  }
}

// ----------------------------------------------------------------------------------------------------------------
// Quantized weights × fp32 activations for a few rows of x (the head during generation): NR weight rows at a
// time, each group's codes turned to fp32 in registers, Σ x·code accumulated in fp32 and scaled once per group.

// 16 int8 codes as fp32.
inline __m512 i8x16_to_ps(const uint8_t* p) {
  return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
}
// The low (or high) nibbles of 16 bytes, minus the bias 8, as fp32.
inline __m512 nibbles_to_ps(__m128i bytes, bool high) {
  __m128i n = _mm_and_si128(high ? _mm_srli_epi16(bytes, 4) : bytes, _mm_set1_epi8(0x0F));
  return _mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_cvtepu8_epi32(n), _mm512_set1_epi32(8)));
}

template <int NR>
void f32act_rows(const QuantF32ActJob& job, int n) {
  const QuantMatrix& w = *job.w;
  const int gc = w_group_cols(w), groups = w_groups_per_row(w);
  const bool q4 = w.dtype == golf::Dtype::q4;
  for (int m = 0; m < job.M; ++m) {
    const float* x = job.x + (size_t)m * w.cols;
    __m512 acc[NR];
    GOLF_UNROLL
    for (int r = 0; r < NR; ++r) acc[r] = _mm512_setzero_ps();
    for (int g = 0; g < groups; ++g) {
      const float* xg = x + (size_t)g * gc;
      __m512 lo[NR], hi[NR];  // two chains per row: columns [j, j + 16) and the next 16 (q4: the high nibbles)
      GOLF_UNROLL
      for (int r = 0; r < NR; ++r) lo[r] = hi[r] = _mm512_setzero_ps();
      if (!q4) {
        for (int j = 0; j < gc; j += 32) {
          const __m512 x0 = _mm512_loadu_ps(xg + j), x1 = _mm512_loadu_ps(xg + j + 16);
          GOLF_UNROLL
          for (int r = 0; r < NR; ++r) {
            const uint8_t* c = w_row_codes(w, n + r) + (size_t)g * gc + j;
            lo[r] = _mm512_fmadd_ps(x0, i8x16_to_ps(c), lo[r]);
            hi[r] = _mm512_fmadd_ps(x1, i8x16_to_ps(c + 16), hi[r]);
          }
        }
      } else {  // byte j of a group holds columns j (low nibble) and j + gc/2 (high): SPEC.md §5.2
        const int half = gc / 2;
        for (int j = 0; j < half; j += 16) {
          const __m512 x0 = _mm512_loadu_ps(xg + j), x1 = _mm512_loadu_ps(xg + half + j);
          GOLF_UNROLL
          for (int r = 0; r < NR; ++r) {
            const __m128i b = _mm_loadu_si128(
                reinterpret_cast<const __m128i*>(w_row_codes(w, n + r) + (size_t)g * half + j));
            lo[r] = _mm512_fmadd_ps(x0, nibbles_to_ps(b, false), lo[r]);
            hi[r] = _mm512_fmadd_ps(x1, nibbles_to_ps(b, true), hi[r]);
          }
        }
      }
      GOLF_UNROLL
      for (int r = 0; r < NR; ++r)
        acc[r] = _mm512_fmadd_ps(_mm512_add_ps(lo[r], hi[r]), _mm512_set1_ps(_cvtsh_ss(w_row_scales(w, n + r)[g])),
                                 acc[r]);
    }
    GOLF_UNROLL
    for (int r = 0; r < NR; ++r) job.y[(size_t)m * job.ldy + n + r] = _mm512_reduce_add_ps(acc[r]);
  }
}

void quant_f32act_gemv_avx512(const QuantF32ActJob& job, int n_begin, int n_end) {
  int n = n_begin;
  for (; n + 2 <= n_end; n += 2) f32act_rows<2>(job, n);
  for (; n < n_end; ++n) f32act_rows<1>(job, n);
}

const KernelTable kTable = {"avx512vnni", 32, quantize_rows_avx512, quant_matmul_avx512vnni, f32_matmul_avx512,
                            quant_f32act_gemv_avx512};

}  // namespace

const KernelTable* kernel_table_avx512vnni() { return &kTable; }

}  // namespace golf::kernels

#else  // not x86-64: the path does not exist in this build

#include "kernel_table.h"
namespace golf::kernels {
const KernelTable* kernel_table_avx512vnni() { return nullptr; }
}  // namespace golf::kernels

#endif
