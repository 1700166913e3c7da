// adam.cu: the kernels of adam.h. One grid-stride element loop per tensor; the multi-tensor kernel takes its table
// by value (blockIdx.y = tensor), so a step's Adam tensors cost one launch.
#include "adam.h"

#include <algorithm>
#include <string>

#include "adam_math.h"   // defines: AdamScalars, adam_scalars, adam_step_size, adam_element
#include "row_util.cuh"  // defines: bad_launch, elementwise_blocks

namespace golf::train_cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kMultiBlocksPerTensor = 64;

struct AdamDeviceTensor {
  float* p;
  float* m;
  float* v;
  const float* g;
  int64_t n;
  float step_size;
};
struct AdamBatch {
  AdamDeviceTensor t[kAdamMaxTensors];
};

__global__ void __launch_bounds__(kThreads)
    adam_kernel(float* p, float* m, float* v, const float* g, int64_t n, AdamScalars s, float step_size) {
  for (int64_t i = (int64_t)blockIdx.x * kThreads + threadIdx.x; i < n; i += (int64_t)gridDim.x * kThreads)
    adam_element(p + i, m + i, v + i, g[i], s, step_size);
}

__global__ void __launch_bounds__(kThreads) adam_multi_kernel(const AdamBatch batch, AdamScalars s) {
  const AdamDeviceTensor& t = batch.t[blockIdx.y];
  for (int64_t i = (int64_t)blockIdx.x * kThreads + threadIdx.x; i < t.n; i += (int64_t)gridDim.x * kThreads)
    adam_element(t.p + i, t.m + i, t.v + i, t.g[i], s, t.step_size);
}

Status check_common(const char* fn, float beta1, float beta2, int64_t t) {
  if (t < 1) return bad_launch(fn, "the step number t must be >= 1");
  if (!(beta1 >= 0.0f && beta1 < 1.0f && beta2 >= 0.0f && beta2 < 1.0f))
    return bad_launch(fn, "beta1 and beta2 must lie in [0, 1)");
  return Status::Ok();
}

}  // namespace

Status adam_update(float* p, float* m, float* v, const float* g, size_t n, float lr, float beta1, float beta2,
                   float eps, int64_t t, cudaStream_t stream) {
  GOLF_RETURN_IF_ERROR(check_common("adam_update", beta1, beta2, t));
  if (n == 0) return Status::Ok();
  if (!p || !m || !v || !g) return bad_launch("adam_update", "null pointer");
  adam_kernel<<<elementwise_blocks((int64_t)n, kThreads), kThreads, 0, stream>>>(
      p, m, v, g, (int64_t)n, adam_scalars(beta1, beta2, eps, t), adam_step_size(lr, beta1, t));
  GOLF_CUDA_CHECK(cudaGetLastError());
  return Status::Ok();
}

Status adam_update_multi(const AdamTensor* tensors, int count, float beta1, float beta2, float eps, int64_t t,
                         cudaStream_t stream) {
  GOLF_RETURN_IF_ERROR(check_common("adam_update_multi", beta1, beta2, t));
  if (count < 0 || (count > 0 && !tensors)) return bad_launch("adam_update_multi", "bad tensor table");
  const AdamScalars s = adam_scalars(beta1, beta2, eps, t);
  for (int first = 0; first < count; first += kAdamMaxTensors) {
    AdamBatch batch{};
    int k = 0;
    int64_t largest = 0;
    for (int i = first; i < count && i < first + kAdamMaxTensors; i++) {
      const AdamTensor& a = tensors[i];
      if (a.n == 0) continue;
      if (!a.p || !a.m || !a.v || !a.g)
        return bad_launch("adam_update_multi", "null pointer in tensor " + std::to_string(i));
      batch.t[k++] = AdamDeviceTensor{a.p, a.m, a.v, a.g, (int64_t)a.n, adam_step_size(a.lr, beta1, t)};
      largest = std::max(largest, (int64_t)a.n);
    }
    if (k == 0) continue;
    const unsigned blocks = (unsigned)std::min<int64_t>(ceil_div(largest, kThreads), kMultiBlocksPerTensor);
    adam_multi_kernel<<<dim3(blocks, (unsigned)k), kThreads, 0, stream>>>(batch, s);
    GOLF_CUDA_CHECK(cudaGetLastError());
  }
  return Status::Ok();
}

}  // namespace golf::train_cuda
