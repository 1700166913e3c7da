// cuda_common.h: what every file of the CUDA trainer shares: the activation types (fp32 for the parity mode, bf16
// for training, as the challenge), CUDA and cuBLAS errors turned into golf::Status with the file and line, and
// launch arithmetic. Host code (g++) and kernels (nvcc) both include it.
#pragma once
#include <cublasLt.h>
#include <cuda_bf16.h>
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "status.h"  // defines: Status

namespace golf::train_cuda {

using bf16 = __nv_bfloat16;

// Activation precision of a run: every kernel is a template on its activation type T, float or bf16. Master
// weights, gradients, optimizer state and all statistics (norm rstd, lse, losses) are fp32 in both modes.
enum class Precision { fp32, bf16 };
const char* precision_name(Precision p);
// "fp32" / "bf16"; anything else is invalid_argument naming the accepted values.
Status precision_parse(const std::string& text, Precision* out);

// Errors: the failing expression, file:line and the library's own message. An out-of-memory error says how much
// was free; callers prefix what they were allocating and which flag lowers it.
Status cuda_error_status(cudaError_t e, const char* expr, const char* file, int line);
Status cublas_error_status(cublasStatus_t s, const char* expr, const char* file, int line);

constexpr int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
// Sizes in the device arena are rounded up to this many bytes: cuBLASLt wants 16-byte aligned pointers, and 256
// keeps every buffer on its own cache-line group.
constexpr size_t kDeviceAlign = 256;
constexpr size_t align_up(size_t n, size_t a = kDeviceAlign) { return (n + a - 1) / a * a; }

}  // namespace golf::train_cuda

// Return a Status from the enclosing function when a CUDA runtime / cuBLAS(Lt) call fails. Kernel launches are
// checked with GOLF_CUDA_CHECK(cudaGetLastError()), which does not synchronise.
#define GOLF_CUDA_CHECK(expr)                                                                   \
  do {                                                                                          \
    cudaError_t golf_cuda_err_ = (expr);                                                        \
    if (golf_cuda_err_ != cudaSuccess)                                                          \
      return ::golf::train_cuda::cuda_error_status(golf_cuda_err_, #expr, __FILE__, __LINE__);  \
  } while (0)
#define GOLF_CUBLAS_CHECK(expr)                                                                 \
  do {                                                                                          \
    cublasStatus_t golf_cublas_st_ = (expr);                                                    \
    if (golf_cublas_st_ != CUBLAS_STATUS_SUCCESS)                                               \
      return ::golf::train_cuda::cublas_error_status(golf_cublas_st_, #expr, __FILE__, __LINE__); \
  } while (0)
