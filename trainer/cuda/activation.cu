// activation.cu: the element kernels of activation.h, one thread per element (grid-stride); arithmetic in
// activation_math.h.
#include "activation.h"

#include "activation_math.h"  // defines: activation_value, activation_neg_factor, activation_grad
#include "row_util.cuh"       // defines: to_float, from_float, bad_launch, elementwise_blocks

namespace golf::train_cuda {
namespace {

constexpr int kThreads = 256;

template <typename T>
__global__ void __launch_bounds__(kThreads) activation_forward_kernel(T* out, const T* in, int64_t n, float slope) {
  for (int64_t i = (int64_t)blockIdx.x * kThreads + threadIdx.x; i < n; i += (int64_t)gridDim.x * kThreads)
    out[i] = from_float<T>(activation_value(to_float(in[i]), slope));
}

template <typename T>
__global__ void __launch_bounds__(kThreads)
    activation_backward_kernel(T* din, const T* dout, const T* in, int64_t n, float neg) {
  for (int64_t i = (int64_t)blockIdx.x * kThreads + threadIdx.x; i < n; i += (int64_t)gridDim.x * kThreads)
    din[i] = from_float<T>(activation_grad(to_float(dout[i]), to_float(in[i]), neg));
}

}  // namespace

template <typename T>
Status activation_forward(T* out, const T* in, size_t n, float slope, cudaStream_t stream) {
  if (n == 0) return Status::Ok();
  if (!out || !in) return bad_launch("activation_forward", "null pointer");
  activation_forward_kernel<T>
      <<<elementwise_blocks((int64_t)n, kThreads), kThreads, 0, stream>>>(out, in, (int64_t)n, slope);
  GOLF_CUDA_CHECK(cudaGetLastError());
  return Status::Ok();
}

template <typename T>
Status activation_backward(T* din, const T* dout, const T* in, size_t n, float slope, cudaStream_t stream) {
  if (n == 0) return Status::Ok();
  if (!din || !dout || !in) return bad_launch("activation_backward", "null pointer");
  activation_backward_kernel<T><<<elementwise_blocks((int64_t)n, kThreads), kThreads, 0, stream>>>(
      din, dout, in, (int64_t)n, activation_neg_factor(slope));
  GOLF_CUDA_CHECK(cudaGetLastError());
  return Status::Ok();
}

template Status activation_forward<float>(float*, const float*, size_t, float, cudaStream_t);
template Status activation_forward<bf16>(bf16*, const bf16*, size_t, float, cudaStream_t);
template Status activation_backward<float>(float*, const float*, const float*, size_t, float, cudaStream_t);
template Status activation_backward<bf16>(bf16*, const bf16*, const bf16*, size_t, float, cudaStream_t);

}  // namespace golf::train_cuda
