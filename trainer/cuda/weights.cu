// weights.cu: the element kernels of weights.h (grid-stride loops); arithmetic in weights_math.h.
#include "weights.h"

#include "row_util.cuh"    // defines: from_float, bad_launch, elementwise_blocks
#include "weights_math.h"  // defines: ema_value

namespace golf::train_cuda {
namespace {

constexpr int kThreads = 256;

__global__ void __launch_bounds__(kThreads)
    ema_kernel(float* ema, const float* param, int64_t n, float keep, float take) {
  for (int64_t i = (int64_t)blockIdx.x * kThreads + threadIdx.x; i < n; i += (int64_t)gridDim.x * kThreads)
    ema[i] = ema_value(ema[i], param[i], keep, take);
}

__global__ void __launch_bounds__(kThreads) to_bf16_kernel(bf16* out, const float* in, int64_t n) {
  for (int64_t i = (int64_t)blockIdx.x * kThreads + threadIdx.x; i < n; i += (int64_t)gridDim.x * kThreads)
    out[i] = from_float<bf16>(in[i]);
}

}  // namespace

Status ema_update(float* ema, const float* param, size_t n, float decay, cudaStream_t stream) {
  if (n == 0) return Status::Ok();
  if (!ema || !param) return bad_launch("ema_update", "null pointer");
  ema_kernel<<<elementwise_blocks((int64_t)n, kThreads), kThreads, 0, stream>>>(ema, param, (int64_t)n, decay,
                                                                                1.0f - decay);
  GOLF_CUDA_CHECK(cudaGetLastError());
  return Status::Ok();
}

Status weights_to_bf16(bf16* out, const float* in, size_t n, cudaStream_t stream) {
  if (n == 0) return Status::Ok();
  if (!out || !in) return bad_launch("weights_to_bf16", "null pointer");
  to_bf16_kernel<<<elementwise_blocks((int64_t)n, kThreads), kThreads, 0, stream>>>(out, in, (int64_t)n);
  GOLF_CUDA_CHECK(cudaGetLastError());
  return Status::Ok();
}

}  // namespace golf::train_cuda
