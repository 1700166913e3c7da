// rope.cu: the kernels of rope.h. RoPE: one thread per (row, head, pair or pass-through dim), rope_math.h's
// mapping. q gain: an element kernel; its backward sums dout·in per column over chunks of rows (colsum.cuh), writing
// din on the same pass, then one thread per head adds its chunks in order and, within a chunk, its hd columns.
#include "rope.h"

#include "colsum.cuh"    // defines: colsum_partial
#include "rope_math.h"   // defines: rope_pair, rope_threads_per_head, head_gain_value
#include "row_util.cuh"  // defines: to_float, from_float, bad_launch, elementwise_blocks

namespace golf::train_cuda {
namespace {

constexpr int kThreads = 256;

template <typename T>
__global__ void __launch_bounds__(kThreads) rope_kernel(T* out, const T* in, const float* cos_t, const float* sin_t,
                                                        int64_t n, int T_, int heads, int hd, int rd, float sign) {
  const int per_head = rope_threads_per_head(hd, rd), half = rd / 2;
  for (int64_t i = (int64_t)blockIdx.x * kThreads + threadIdx.x; i < n; i += (int64_t)gridDim.x * kThreads) {
    const int64_t head_row = i / per_head;  // row·heads + head
    const int p = (int)(i - head_row * per_head);
    const int64_t base = head_row * hd;
    if (p < half) {
      const int64_t pos = (head_row / heads) % T_;
      float y1, y2;
      rope_pair(to_float(in[base + p]), to_float(in[base + p + half]), cos_t[pos * half + p], sin_t[pos * half + p],
                sign, &y1, &y2);
      out[base + p] = from_float<T>(y1);
      out[base + p + half] = from_float<T>(y2);
    } else {
      const int64_t j = base + rd + (p - half);
      out[j] = in[j];
    }
  }
}

template <typename T>
__global__ void __launch_bounds__(kThreads)
    head_gain_kernel(T* out, const T* in, const float* gain, int64_t n, int heads, int hd) {
  for (int64_t i = (int64_t)blockIdx.x * kThreads + threadIdx.x; i < n; i += (int64_t)gridDim.x * kThreads)
    out[i] = from_float<T>(head_gain_value(to_float(in[i]), gain[(i / hd) % heads]));
}

// q gain's element gradient din = dout·gain[h], run inside the column sum of dgain's stage 1.
template <typename T>
struct HeadGainGrad {
  T* din;
  const float* gain;
  int hd;
  __device__ void operator()(int64_t i, int c, float g) const {
    din[i] = from_float<T>(head_gain_value(g, gain[c / hd]));
  }
};

// dgain[h] += Σ_chunks Σ_{i < hd} partial[chunk, h·hd + i], in that order.
__global__ void head_gain_finish_kernel(float* dgain, const double* partial, int chunks, int heads, int hd) {
  const int h = blockIdx.x * blockDim.x + threadIdx.x;
  if (h >= heads) return;
  const int64_t cols = (int64_t)heads * hd;
  double s = 0;
  for (int k = 0; k < chunks; k++)
    for (int i = 0; i < hd; i++) s = dadd_rn(s, partial[k * cols + (int64_t)h * hd + i]);
  dgain[h] = colsum_finish(dgain[h], s);
}

Status check_heads(const char* fn, int N, int heads, int hd) {
  if (N < 0 || heads < 1 || hd < 1) return bad_launch(fn, "N must be >= 0, heads and hd >= 1");
  if ((int64_t)heads * hd > (int64_t)1 << 30) return bad_launch(fn, "heads x hd too large");
  return Status::Ok();
}

template <typename T>
Status rope_launch(const char* fn, T* out, const T* in, const float* cos_t, const float* sin_t, int N, int T_,
                   int heads, int hd, int rd, float sign, cudaStream_t stream) {
  GOLF_RETURN_IF_ERROR(check_heads(fn, N, heads, hd));
  if (T_ < 1 || rd < 0 || rd > hd || rd % 2 != 0) return bad_launch(fn, "need T >= 1 and an even rd in [0, hd]");
  if (N == 0) return Status::Ok();
  if (!out || !in || (rd > 0 && (!cos_t || !sin_t))) return bad_launch(fn, "null pointer");
  const int per_head = rope_threads_per_head(hd, rd);
  const int64_t n = (int64_t)N * heads * per_head;
  if (n == 0 || (out == in && rd == 0)) return Status::Ok();
  rope_kernel<T>
      <<<elementwise_blocks(n, kThreads), kThreads, 0, stream>>>(out, in, cos_t, sin_t, n, T_, heads, hd, rd, sign);
  GOLF_CUDA_CHECK(cudaGetLastError());
  return Status::Ok();
}

}  // namespace

template <typename T>
Status rope_forward(T* out, const T* in, const float* cos_t, const float* sin_t, int N, int T_, int heads, int hd,
                    int rd, cudaStream_t stream) {
  return rope_launch<T>("rope_forward", out, in, cos_t, sin_t, N, T_, heads, hd, rd, 1.0f, stream);
}

template <typename T>
Status rope_backward(T* din, const T* dout, const float* cos_t, const float* sin_t, int N, int T_, int heads, int hd,
                     int rd, cudaStream_t stream) {
  return rope_launch<T>("rope_backward", din, dout, cos_t, sin_t, N, T_, heads, hd, rd, -1.0f, stream);
}

template <typename T>
Status head_gain_forward(T* out, const T* in, const float* gain, int N, int heads, int hd, cudaStream_t stream) {
  GOLF_RETURN_IF_ERROR(check_heads("head_gain_forward", N, heads, hd));
  if (N == 0) return Status::Ok();
  if (!out || !in || !gain) return bad_launch("head_gain_forward", "null pointer");
  const int64_t n = (int64_t)N * heads * hd;
  head_gain_kernel<T><<<elementwise_blocks(n, kThreads), kThreads, 0, stream>>>(out, in, gain, n, heads, hd);
  GOLF_CUDA_CHECK(cudaGetLastError());
  return Status::Ok();
}

size_t head_gain_scratch_doubles(int N, int heads, int hd) {
  return N <= 0 ? 1 : (size_t)colsum_chunks(N) * (size_t)heads * (size_t)hd;
}

template <typename T>
Status head_gain_backward(T* din, float* dgain, const T* dout, const T* in, const float* gain, int N, int heads, int hd,
                          double* scratch, cudaStream_t stream) {
  GOLF_RETURN_IF_ERROR(check_heads("head_gain_backward", N, heads, hd));
  if (colsum_chunks(N) > 65535) return bad_launch("head_gain_backward", "N exceeds the grid limit");
  if (N == 0) return Status::Ok();
  if (!din || !dgain || !dout || !in || !gain || !scratch) return bad_launch("head_gain_backward", "null pointer");
  // One pass: the column sums of dout·in, and din = dout·gain on the element just read (din may alias dout).
  GOLF_RETURN_IF_ERROR(colsum_partial<T>(scratch, dout, in, N, heads * hd, stream, HeadGainGrad<T>{din, gain, hd}));
  head_gain_finish_kernel<<<(unsigned)ceil_div(heads, 32), 32, 0, stream>>>(dgain, scratch, colsum_chunks(N), heads,
                                                                            hd);
  GOLF_CUDA_CHECK(cudaGetLastError());
  return Status::Ok();
}

#define GOLF_ROPE_INSTANTIATE(T)                                                                                     \
  template Status rope_forward<T>(T*, const T*, const float*, const float*, int, int, int, int, int, cudaStream_t);  \
  template Status rope_backward<T>(T*, const T*, const float*, const float*, int, int, int, int, int, cudaStream_t); \
  template Status head_gain_forward<T>(T*, const T*, const float*, int, int, int, cudaStream_t);                     \
  template Status head_gain_backward<T>(T*, float*, const T*, const T*, const float*, int, int, int, double*,        \
                                        cudaStream_t);
GOLF_ROPE_INSTANTIATE(float)
GOLF_ROPE_INSTANTIATE(bf16)

}  // namespace golf::train_cuda
