// nll.cu: the NLL kernel (nll.h): one block of kNllLanes threads per row, the arithmetic and order of nll_math.h;
// the max and the double sum reduce through shared memory in a fixed order, so the same logits give the same bits.
#include "nll.h"

#include "nll_math.h"  // defines: nll_lane_max, nll_lane_sum, nll_from_sum, kNllLanes

namespace golf::runtime_cuda {
namespace {

__global__ void nll_rows_kernel(double* nll, const float* logits, const int32_t* targets, int vocab) {
  const int row = blockIdx.x;
  const int target = targets[row];
  if (target < 0) {
    if (threadIdx.x == 0) nll[row] = 0.0;
    return;
  }
  const float* z = logits + (size_t)row * vocab;
  const int lane = threadIdx.x;
  __shared__ float max_part[kNllLanes];
  __shared__ double sum_part[kNllLanes];
  max_part[lane] = nll_lane_max(z, vocab, lane, kNllLanes);
  __syncthreads();
  for (int w = kNllLanes / 2; w > 0; w /= 2) {
    if (lane < w) max_part[lane] = fmaxf(max_part[lane], max_part[lane + w]);
    __syncthreads();
  }
  const float mx = max_part[0];
  sum_part[lane] = nll_lane_sum(z, vocab, lane, kNllLanes, mx);
  __syncthreads();
  for (int w = kNllLanes / 2; w > 0; w /= 2) {
    if (lane < w) sum_part[lane] += sum_part[lane + w];
    __syncthreads();
  }
  if (lane == 0) nll[row] = nll_from_sum(sum_part[0], mx, z[target]);
}

}  // namespace

Status nll_rows(double* nll, const float* logits, const int32_t* targets, int rows, int vocab, cudaStream_t stream) {
  if (rows <= 0) return Status::Ok();
  nll_rows_kernel<<<rows, kNllLanes, 0, stream>>>(nll, logits, targets, vocab);
  GOLF_CUDA_CHECK(cudaGetLastError());
  return Status::Ok();
}

}  // namespace golf::runtime_cuda
