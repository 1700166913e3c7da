// dequant.cu: CUDA kernel that dequantizes int8-held .golf weights to fp32; one thread per element, the scale index
// computed as in the CPU reference (dequant_ref.cpp), which the tests check since CI has no GPU.
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include "dequant.h"

namespace golf {

namespace {
__global__ void dequantize_int8_rows_kernel(const int8_t* codes, const uint16_t* scales, int64_t rows, int64_t cols,
                                            int group, float* out) {
  int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= rows * cols) return;
  int64_t r = i / cols, c = i % cols;
  int64_t n_groups = group == 0 ? 1 : cols / group;
  int64_t g = group == 0 ? 0 : c / group;
  __half_raw h;
  h.x = scales[r * n_groups + g];
  out[i] = (float)codes[i] * __half2float(__half(h));
}
}  // namespace

int dequantize_int8_rows_cuda(const int8_t* codes, const uint16_t* scales, int64_t rows, int64_t cols, int group,
                              float* out, void* stream) {
  int64_t n = rows * cols;
  if (n == 0) return 0;
  int threads = 256;
  int64_t blocks = (n + threads - 1) / threads;
  dequantize_int8_rows_kernel<<<(unsigned)blocks, threads, 0, (cudaStream_t)stream>>>(codes, scales, rows, cols, group, out);
  return (int)cudaGetLastError();
}

}  // namespace golf
