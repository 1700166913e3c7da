// encoder.cu: the embedding kernels of encoder.h. Forward: one thread per output element (grid-stride). Backward:
// block (bucket, 128 columns); each thread owns one column of one id's row and adds the bucket's rows in order.
#include "encoder.h"

#include "encoder_math.h"   // defines: encoder_grad_add
#include "rms_norm_math.h"  // defines: rms_term, rms_rstd
#include "row_util.cuh"     // defines: to_float, from_float, bad_launch, elementwise_blocks

namespace golf::train_cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kBackwardColumns = 128;
constexpr int kBackwardUnroll = 16;
constexpr int kNormWarps = 8;

template <typename T>
__global__ void __launch_bounds__(kThreads)
    encoder_forward_kernel(T* out, const int32_t* ids, const float* tok_emb, int64_t n, int d) {
  for (int64_t i = (int64_t)blockIdx.x * kThreads + threadIdx.x; i < n; i += (int64_t)gridDim.x * kThreads) {
    const int64_t row = i / d;
    const int c = (int)(i - row * d);
    out[i] = from_float<T>(tok_emb[(int64_t)ids[row] * d + c]);
  }
}

// One warp per token: the table row's sum of squares in double (the butterfly order of rows_math.h), then the
// normalised row.
template <typename T>
__global__ void __launch_bounds__(kNormWarps * 32)
    encoder_rms_norm_kernel(T* out, float* rstd, const int32_t* ids, const float* tok_emb, int N, int d, float eps) {
  const int64_t row = (int64_t)blockIdx.x * kNormWarps + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (row >= N) return;  // whole warps leave together
  const float* x = tok_emb + (int64_t)ids[row] * d;
  double ss = 0;
  for (int c = lane; c < d; c += 32) ss = dadd_rn(ss, rms_term(x[c], x[c]));
  const float s = rms_rstd(warp_sum(ss), d, eps);
  if (lane == 0) rstd[row] = s;
  for (int c = lane; c < d; c += 32) out[row * d + c] = from_float<T>(mul_rn(x[c], s));
}

// The bucket's positions are staged in shared memory kBackwardColumns at a time, and each thread loads
// kBackwardUnroll rows' values before adding them in order: the adds form one dependent chain per column (the CPU's
// order, so the fp32 result is the CPU's bits), and the loads ahead of it keep a frequent id's long bucket from
// paying one memory latency per row.
template <typename T>
__global__ void __launch_bounds__(kBackwardColumns)
    encoder_backward_kernel(float* dtok_emb, const T* dout, const int32_t* ids, int d, const int32_t* order,
                            const int32_t* start) {
  __shared__ int32_t rows[kBackwardColumns];
  const int c = blockIdx.y * kBackwardColumns + threadIdx.x;
  const int begin = start[blockIdx.x], end = start[blockIdx.x + 1];
  const int64_t row = (int64_t)ids[order[begin]] * d;
  float acc = c < d ? dtok_emb[row + c] : 0.0f;
  for (int base = begin; base < end; base += kBackwardColumns) {
    __syncthreads();  // the previous batch's positions are no longer read
    if (base + (int)threadIdx.x < end) rows[threadIdx.x] = order[base + threadIdx.x];
    __syncthreads();
    const int count = min(kBackwardColumns, end - base);
    if (c >= d) continue;
    int j = 0;
    for (; j + kBackwardUnroll <= count; j += kBackwardUnroll) {
      float vals[kBackwardUnroll];
#pragma unroll
      for (int u = 0; u < kBackwardUnroll; u++) vals[u] = to_float(dout[(int64_t)rows[j + u] * d + c]);
#pragma unroll
      for (int u = 0; u < kBackwardUnroll; u++) acc = encoder_grad_add(acc, vals[u]);
    }
    for (; j < count; j++) acc = encoder_grad_add(acc, to_float(dout[(int64_t)rows[j] * d + c]));
  }
  if (c < d) dtok_emb[row + c] = acc;
}

}  // namespace

template <typename T>
Status encoder_forward(T* out, const int32_t* ids, const float* tok_emb, int N, int d, cudaStream_t stream) {
  if (N < 0 || d < 1) return bad_launch("encoder_forward", "N must be >= 0 and d >= 1");
  if (N == 0) return Status::Ok();
  if (!out || !ids || !tok_emb) return bad_launch("encoder_forward", "null pointer");
  const int64_t n = (int64_t)N * d;
  encoder_forward_kernel<T><<<elementwise_blocks(n, kThreads), kThreads, 0, stream>>>(out, ids, tok_emb, n, d);
  GOLF_CUDA_CHECK(cudaGetLastError());
  return Status::Ok();
}

template <typename T>
Status encoder_rms_norm_forward(T* out, float* rstd, const int32_t* ids, const float* tok_emb, int N, int d, float eps,
                                cudaStream_t stream) {
  if (N < 0 || d < 1) return bad_launch("encoder_rms_norm_forward", "N must be >= 0 and d >= 1");
  if (N == 0) return Status::Ok();
  if (!out || !rstd || !ids || !tok_emb) return bad_launch("encoder_rms_norm_forward", "null pointer");
  encoder_rms_norm_kernel<T>
      <<<(unsigned)ceil_div(N, kNormWarps), kNormWarps * 32, 0, stream>>>(out, rstd, ids, tok_emb, N, d, eps);
  GOLF_CUDA_CHECK(cudaGetLastError());
  return Status::Ok();
}

template <typename T>
Status encoder_backward(float* dtok_emb, const T* dout, const int32_t* ids, int N, int d, const EncoderBuckets& buckets,
                        cudaStream_t stream) {
  if (N < 0 || d < 1 || buckets.count < 0 || buckets.count > N)
    return bad_launch("encoder_backward", "N must be >= 0, d >= 1 and the bucket count in [0, N]");
  if (d > 65535 * kBackwardColumns) return bad_launch("encoder_backward", "d exceeds the grid limit");
  if (buckets.count == 0) return Status::Ok();
  if (!dtok_emb || !dout || !ids || !buckets.order || !buckets.start)
    return bad_launch("encoder_backward", "null pointer");
  const dim3 grid((unsigned)buckets.count, (unsigned)ceil_div(d, kBackwardColumns));
  encoder_backward_kernel<T>
      <<<grid, kBackwardColumns, 0, stream>>>(dtok_emb, dout, ids, d, buckets.order, buckets.start);
  GOLF_CUDA_CHECK(cudaGetLastError());
  return Status::Ok();
}

template Status encoder_forward<float>(float*, const int32_t*, const float*, int, int, cudaStream_t);
template Status encoder_forward<bf16>(bf16*, const int32_t*, const float*, int, int, cudaStream_t);
template Status encoder_rms_norm_forward<float>(float*, float*, const int32_t*, const float*, int, int, float,
                                                cudaStream_t);
template Status encoder_rms_norm_forward<bf16>(bf16*, float*, const int32_t*, const float*, int, int, float,
                                               cudaStream_t);
template Status encoder_backward<float>(float*, const float*, const int32_t*, int, int, const EncoderBuckets&,
                                        cudaStream_t);
template Status encoder_backward<bf16>(float*, const bf16*, const int32_t*, int, int, const EncoderBuckets&,
                                       cudaStream_t);

}  // namespace golf::train_cuda
