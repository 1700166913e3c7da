// muon_momentum.cu: the kernels of muon_momentum.h. muon_nesterov: muon_blocks(n) blocks of kMuonThreads, a
// grid-stride element loop that also sums u² per thread in double, then warp butterflies and the block's warps in
// order into scratch[block]. muon_normalize: every block adds scratch[0..blocks) in order (a few hundred doubles)
// before its element loop. Arithmetic in muon_momentum_math.h.
#include "muon_momentum.h"

#include "muon_momentum_math.h"  // defines: muon_blocks, muon_nesterov_element, muon_inv_norm, muon_*
#include "row_util.cuh"          // defines: to_float, from_float, warp_sum, bad_launch, elementwise_blocks

namespace golf::train_cuda {
namespace {

constexpr int kWarps = kMuonThreads / 32;

__global__ void __launch_bounds__(kMuonThreads)
    muon_nesterov_kernel(float* u, float* buf, const float* grad, int64_t n, float momentum, double* partial) {
  __shared__ double warp_sums[kWarps];
  double ss = 0;
  for (int64_t i = (int64_t)blockIdx.x * kMuonThreads + threadIdx.x; i < n; i += (int64_t)gridDim.x * kMuonThreads) {
    const float v = muon_nesterov_element(buf + i, grad[i], momentum);
    u[i] = v;
    ss = dadd_rn(ss, (double)v * (double)v);
  }
  ss = warp_sum(ss);
  if (threadIdx.x % 32 == 0) warp_sums[threadIdx.x / 32] = ss;
  __syncthreads();
  if (threadIdx.x == 0) {
    double s = warp_sums[0];
    for (int w = 1; w < kWarps; w++) s = dadd_rn(s, warp_sums[w]);
    partial[blockIdx.x] = s;
  }
}

template <typename T>
__global__ void __launch_bounds__(kMuonThreads)
    muon_normalize_kernel(T* x, const float* u, int64_t n, const double* partial, int blocks) {
  __shared__ float inv_shared;
  if (threadIdx.x == 0) {
    double s = partial[0];
    for (int b = 1; b < blocks; b++) s = dadd_rn(s, partial[b]);
    inv_shared = muon_inv_norm(s);
  }
  __syncthreads();
  const float inv = inv_shared;
  for (int64_t i = (int64_t)blockIdx.x * kMuonThreads + threadIdx.x; i < n; i += (int64_t)gridDim.x * kMuonThreads)
    x[i] = from_float<T>(mul_rn(u[i], inv));
}

template <typename T>
__global__ void __launch_bounds__(kMuonThreads) muon_apply_kernel(float* param, const T* X, int64_t n, float step) {
  for (int64_t i = (int64_t)blockIdx.x * kMuonThreads + threadIdx.x; i < n; i += (int64_t)gridDim.x * kMuonThreads)
    param[i] = muon_apply_element(param[i], step, to_float(X[i]));
}

}  // namespace

size_t muon_scratch_doubles(size_t n) { return (size_t)muon_blocks(n); }

Status muon_nesterov(float* u, float* buf, const float* grad, size_t n, float momentum, double* scratch,
                     cudaStream_t stream) {
  if (n == 0) return bad_launch("muon_nesterov", "empty matrix");
  if (!u || !buf || !grad || !scratch) return bad_launch("muon_nesterov", "null pointer");
  muon_nesterov_kernel<<<(unsigned)muon_blocks(n), kMuonThreads, 0, stream>>>(u, buf, grad, (int64_t)n, momentum,
                                                                              scratch);
  GOLF_CUDA_CHECK(cudaGetLastError());
  return Status::Ok();
}

template <typename T>
Status muon_normalize(T* x, const float* u, size_t n, const double* scratch, cudaStream_t stream) {
  if (n == 0) return bad_launch("muon_normalize", "empty matrix");
  if (!x || !u || !scratch) return bad_launch("muon_normalize", "null pointer");
  muon_normalize_kernel<T><<<elementwise_blocks((int64_t)n, kMuonThreads), kMuonThreads, 0, stream>>>(
      x, u, (int64_t)n, scratch, muon_blocks(n));
  GOLF_CUDA_CHECK(cudaGetLastError());
  return Status::Ok();
}

template <typename T>
Status muon_apply(float* param, const T* X, int rows, int cols, float lr, cudaStream_t stream) {
  if (rows < 1 || cols < 1) return bad_launch("muon_apply", "rows and cols must be >= 1");
  if (!param || !X) return bad_launch("muon_apply", "null pointer");
  const int64_t n = (int64_t)rows * cols;
  muon_apply_kernel<T>
      <<<elementwise_blocks(n, kMuonThreads), kMuonThreads, 0, stream>>>(param, X, n, muon_step_scale(lr, rows, cols));
  GOLF_CUDA_CHECK(cudaGetLastError());
  return Status::Ok();
}

template Status muon_normalize<float>(float*, const float*, size_t, const double*, cudaStream_t);
template Status muon_normalize<bf16>(bf16*, const float*, size_t, const double*, cudaStream_t);
template Status muon_apply<float>(float*, const float*, int, int, float, cudaStream_t);
template Status muon_apply<bf16>(float*, const bf16*, int, int, float, cudaStream_t);

}  // namespace golf::train_cuda
