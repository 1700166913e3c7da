// nll.cu: the NLL kernel (nll.h): one block of 256 threads per row; the max and the double sum reduce through
// shared memory in a fixed order, so the same logits give the same bits.
#include "nll.h"

namespace golf::runtime_cuda {
namespace {

constexpr int kThreads = 256;

__global__ void nll_rows_kernel(double* nll, const float* logits, const int32_t* targets, int vocab) {
  const int row = blockIdx.x;
  const int target = targets[row];
  if (target < 0) {
    if (threadIdx.x == 0) nll[row] = 0.0;
    return;
  }
  const float* z = logits + (size_t)row * vocab;
  __shared__ float max_part[kThreads];
  __shared__ double sum_part[kThreads];
  float mx = -INFINITY;
  for (int v = threadIdx.x; v < vocab; v += kThreads) mx = fmaxf(mx, z[v]);
  max_part[threadIdx.x] = mx;
  __syncthreads();
  for (int w = kThreads / 2; w > 0; w /= 2) {
    if ((int)threadIdx.x < w) max_part[threadIdx.x] = fmaxf(max_part[threadIdx.x], max_part[threadIdx.x + w]);
    __syncthreads();
  }
  mx = max_part[0];
  double sum = 0;
  for (int v = threadIdx.x; v < vocab; v += kThreads) sum += exp((double)z[v] - (double)mx);
  sum_part[threadIdx.x] = sum;
  __syncthreads();
  for (int w = kThreads / 2; w > 0; w /= 2) {
    if ((int)threadIdx.x < w) sum_part[threadIdx.x] += sum_part[threadIdx.x + w];
    __syncthreads();
  }
  if (threadIdx.x == 0) nll[row] = log(sum_part[0]) + (double)mx - (double)z[target];
}

}  // namespace

Status nll_rows(double* nll, const float* logits, const int32_t* targets, int rows, int vocab, cudaStream_t stream) {
  if (rows <= 0) return Status::Ok();
  nll_rows_kernel<<<rows, kThreads, 0, stream>>>(nll, logits, targets, vocab);
  GOLF_CUDA_CHECK(cudaGetLastError());
  return Status::Ok();
}

}  // namespace golf::runtime_cuda
