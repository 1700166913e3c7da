// softcap.cu: the softcap kernel (softcap.h); one thread per logit.
#include "softcap.h"

#include "fast_math.h"  // defines: tanh_approx (host and device)

namespace golf::runtime_cuda {
namespace {

template <typename T>
__global__ void softcap_kernel(float* out, const T* in, size_t n, float c) {
  const size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const float z = (float)in[i];
  out[i] = c > 0.0f ? c * golf::tanh_approx(z / c) : z;
}

}  // namespace

template <typename T>
Status softcap_row(float* out, const T* in, size_t n, float c, cudaStream_t stream) {
  if (n == 0) return Status::Ok();
  const int threads = 256;
  const size_t blocks = (n + threads - 1) / threads;
  softcap_kernel<T><<<(unsigned)blocks, threads, 0, stream>>>(out, in, n, c);
  GOLF_CUDA_CHECK(cudaGetLastError());
  return Status::Ok();
}

template Status softcap_row<float>(float*, const float*, size_t, float, cudaStream_t);
template Status softcap_row<train_cuda::bf16>(float*, const train_cuda::bf16*, size_t, float,
                                                          cudaStream_t);

}  // namespace golf::runtime_cuda
