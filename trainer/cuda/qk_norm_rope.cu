// qk_norm_rope.cu: the fused kernels of qk_norm_rope.h. One warp per (token, head) row, 8 rows per block; lane l
// holds the dims l, l + 32, ...; the row is staged in shared memory (per warp) so a lane can read the partner of
// its RoPE pair. Statistics in double by the warp butterfly (rows_math.h); arithmetic from rms_norm_math.h and
// rope_math.h, the same functions as the unfused kernels, so the fp32 results equal the CPU's composition up to
// the order of the double sums.
#include "qk_norm_rope.h"

#include "residual_math.h"  // defines: colsum_finish
#include "rms_norm_math.h"  // defines: rms_term, rms_rstd, rms_mean_dot, rms_backward_value
#include "rope_math.h"      // defines: rope_element, head_gain_value
#include "row_util.cuh"     // defines: to_float, from_float, warp_sum, bad_launch

namespace golf::train_cuda {
namespace {

constexpr int kWarps = 8;
constexpr int kLanesPerRow = kQkMaxHeadDim / 32;

template <typename T>
__global__ void __launch_bounds__(kWarps * 32)
    qk_forward_kernel(T* out, T* y, float* rstd, const T* in, const float* gain, const float* cos_t, const float* sin_t,
                      int64_t rows, int T_, int heads, int hd, int rd, float eps) {
  __shared__ float stage[kWarps][kQkMaxHeadDim];
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int64_t row = (int64_t)blockIdx.x * kWarps + warp;
  if (row >= rows) return;  // whole warps leave together
  float* x = stage[warp];
  const T* src = in + row * hd;
  double ss = 0;
  for (int j = lane; j < hd; j += 32) {
    const float v = to_float(src[j]);
    x[j] = v;
    ss = dadd_rn(ss, rms_term(v, v));
  }
  const float s = rms_rstd(warp_sum(ss), hd, eps);
  if (lane == 0) rstd[row] = s;
  for (int j = lane; j < hd; j += 32) {
    x[j] = mul_rn(x[j], s);
    y[row * hd + j] = from_float<T>(x[j]);
  }
  __syncwarp();
  const int half = rd / 2, h = (int)(row % heads);
  const int64_t pos = (row / heads) % T_;
  const float* c = cos_t + pos * half;
  const float* sn = sin_t + pos * half;
  // Each lane's (at most kLanesPerRow) results in registers: the loops are unrolled so r[] is never local memory.
  float r[kLanesPerRow];
#pragma unroll
  for (int k = 0; k < kLanesPerRow; k++) {
    const int j = lane + 32 * k;
    if (j < hd) r[k] = rope_element(x, j, half, rd, c, sn, 1.0f);
  }
#pragma unroll
  for (int k = 0; k < kLanesPerRow; k++) {
    const int j = lane + 32 * k;
    if (j < hd) out[row * hd + j] = from_float<T>(gain ? head_gain_value(r[k], gain[h]) : r[k]);
  }
}

template <typename T>
__global__ void __launch_bounds__(kWarps * 32)
    qk_backward_kernel(T* din, double* row_dots, const T* dout, const T* y, const float* rstd, const float* gain,
                       const float* cos_t, const float* sin_t, int64_t rows, int T_, int heads, int hd, int rd) {
  __shared__ float stage_y[kWarps][kQkMaxHeadDim];
  __shared__ float stage_g[kWarps][kQkMaxHeadDim];
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int64_t row = (int64_t)blockIdx.x * kWarps + warp;
  if (row >= rows) return;
  float* yr = stage_y[warp];
  float* gr = stage_g[warp];
  const int half = rd / 2, h = (int)(row % heads);
  const int64_t pos = (row / heads) % T_;
  const float* c = cos_t + pos * half;
  const float* sn = sin_t + pos * half;
  for (int j = lane; j < hd; j += 32) yr[j] = to_float(y[row * hd + j]);
  __syncwarp();
  // q gain: dgain's row term Σ dout·rope(y) (the CPU's `in` of head_gain_backward), and d(rope out) = dout·gain.
  double dot = 0;
  for (int j = lane; j < hd; j += 32) {
    const float g = to_float(dout[row * hd + j]);
    if (gain) dot = dadd_rn(dot, rms_term(g, rope_element(yr, j, half, rd, c, sn, 1.0f)));
    gr[j] = gain ? head_gain_value(g, gain[h]) : g;
  }
  if (gain) {
    dot = warp_sum(dot);
    if (lane == 0) row_dots[row] = dot;
  }
  __syncwarp();
  // RoPE backward (the transpose rotation), then the RMSNorm backward.
  float dr[kLanesPerRow];
  double dot2 = 0;
#pragma unroll
  for (int k = 0; k < kLanesPerRow; k++) {
    const int j = lane + 32 * k;
    if (j < hd) {
      dr[k] = rope_element(gr, j, half, rd, c, sn, -1.0f);
      dot2 = dadd_rn(dot2, rms_term(dr[k], yr[j]));
    }
  }
  const float m = rms_mean_dot(warp_sum(dot2), hd), s = rstd[row];
#pragma unroll
  for (int k = 0; k < kLanesPerRow; k++) {
    const int j = lane + 32 * k;
    if (j < hd) din[row * hd + j] = from_float<T>(rms_backward_value(dr[k], yr[j], m, s));
  }
}

// partial[chunk, h] = Σ row_dots over the chunk's tokens in order; then dgain[h] += Σ chunks in order.
__global__ void qk_gain_chunks_kernel(double* partial, const double* row_dots, int N, int heads) {
  const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;  // chunk·heads + h
  const int chunks = colsum_chunks(N);
  if (i >= (int64_t)chunks * heads) return;
  const int chunk = (int)(i / heads), h = (int)(i % heads);
  const int n1 = min(N, (chunk + 1) * kColsumChunkRows);
  double s = 0;
  for (int n = chunk * kColsumChunkRows; n < n1; n++) s = dadd_rn(s, row_dots[(int64_t)n * heads + h]);
  partial[i] = s;
}
__global__ void qk_gain_finish_kernel(float* dgain, const double* partial, int chunks, int heads) {
  const int h = blockIdx.x * blockDim.x + threadIdx.x;
  if (h >= heads) return;
  double s = 0;
  for (int k = 0; k < chunks; k++) s = dadd_rn(s, partial[(int64_t)k * heads + h]);
  dgain[h] = colsum_finish(dgain[h], s);
}

Status check(const char* fn, int N, int T_, int heads, int hd, int rd) {
  if (N < 0 || T_ < 1 || heads < 1) return bad_launch(fn, "N must be >= 0, T and heads >= 1");
  if (hd < 1 || hd > kQkMaxHeadDim) return bad_launch(fn, "hd must lie in [1, " + std::to_string(kQkMaxHeadDim) + "]");
  if (rd < 0 || rd > hd || rd % 2 != 0) return bad_launch(fn, "rd must be even and in [0, hd]");
  return Status::Ok();
}

}  // namespace

template <typename T>
Status qk_norm_rope_forward(T* out, T* y, float* rstd, const T* in, const float* gain, const float* cos_t,
                            const float* sin_t, int N, int T_, int heads, int hd, int rd, float eps,
                            cudaStream_t stream) {
  GOLF_RETURN_IF_ERROR(check("qk_norm_rope_forward", N, T_, heads, hd, rd));
  if (N == 0) return Status::Ok();
  if (!out || !y || !rstd || !in || (rd > 0 && (!cos_t || !sin_t)))
    return bad_launch("qk_norm_rope_forward", "null pointer");
  const int64_t rows = (int64_t)N * heads;
  qk_forward_kernel<T><<<(unsigned)ceil_div(rows, kWarps), kWarps * 32, 0, stream>>>(
      out, y, rstd, in, gain, cos_t, sin_t, rows, T_, heads, hd, rd, eps);
  GOLF_CUDA_CHECK(cudaGetLastError());
  return Status::Ok();
}

size_t qk_norm_rope_scratch_doubles(int N, int heads) {
  return N <= 0 ? 1 : (size_t)N * heads + (size_t)colsum_chunks(N) * heads;
}

template <typename T>
Status qk_norm_rope_backward(T* din, float* dgain, const T* dout, const T* y, const float* rstd, const float* gain,
                             const float* cos_t, const float* sin_t, int N, int T_, int heads, int hd, int rd,
                             double* scratch, cudaStream_t stream) {
  GOLF_RETURN_IF_ERROR(check("qk_norm_rope_backward", N, T_, heads, hd, rd));
  if (N == 0) return Status::Ok();
  if (!din || !dout || !y || !rstd || (rd > 0 && (!cos_t || !sin_t)) || (gain && (!dgain || !scratch)))
    return bad_launch("qk_norm_rope_backward", "null pointer");
  const int64_t rows = (int64_t)N * heads;
  qk_backward_kernel<T><<<(unsigned)ceil_div(rows, kWarps), kWarps * 32, 0, stream>>>(
      din, scratch, dout, y, rstd, gain, cos_t, sin_t, rows, T_, heads, hd, rd);
  GOLF_CUDA_CHECK(cudaGetLastError());
  if (!gain) return Status::Ok();
  const int chunks = colsum_chunks(N);
  double* partial = scratch + rows;
  qk_gain_chunks_kernel<<<(unsigned)ceil_div((int64_t)chunks * heads, 256), 256, 0, stream>>>(partial, scratch, N,
                                                                                              heads);
  GOLF_CUDA_CHECK(cudaGetLastError());
  qk_gain_finish_kernel<<<(unsigned)ceil_div(heads, 32), 32, 0, stream>>>(dgain, partial, chunks, heads);
  GOLF_CUDA_CHECK(cudaGetLastError());
  return Status::Ok();
}

#define GOLF_QK_INSTANTIATE(T)                                                                                       \
  template Status qk_norm_rope_forward<T>(T*, T*, float*, const T*, const float*, const float*, const float*, int,   \
                                          int, int, int, int, float, cudaStream_t);                                  \
  template Status qk_norm_rope_backward<T>(T*, float*, const T*, const T*, const float*, const float*, const float*, \
                                           const float*, int, int, int, int, int, double*, cudaStream_t);
GOLF_QK_INSTANTIATE(float)
GOLF_QK_INSTANTIATE(bf16)

}  // namespace golf::train_cuda
