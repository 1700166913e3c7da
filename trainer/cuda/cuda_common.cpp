// cuda_common.cpp: CUDA/cuBLAS errors as golf::Status, and the precision names.
#include "cuda_common.h"

namespace golf::train_cuda {

const char* precision_name(Precision p) { return p == Precision::fp32 ? "fp32" : "bf16"; }

Status precision_parse(const std::string& text, Precision* out) {
  if (text == "fp32") *out = Precision::fp32;
  else if (text == "bf16") *out = Precision::bf16;
  else return Status(StatusCode::invalid_argument, "precision '" + text + "': expected bf16 or fp32");
  return Status::Ok();
}

Status cuda_error_status(cudaError_t e, const char* expr, const char* file, int line) {
  std::string msg = std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e) + " (" + expr + " at " + file +
                    ":" + std::to_string(line) + ")";
  if (e == cudaErrorMemoryAllocation) {
    size_t free_b = 0, total_b = 0;
    cudaGetLastError();  // clear the sticky-free allocation error before asking
    if (cudaMemGetInfo(&free_b, &total_b) == cudaSuccess)
      msg += "; the device has " + std::to_string(free_b >> 20) + " MiB free of " + std::to_string(total_b >> 20);
    return Status(StatusCode::out_of_memory, msg);
  }
  return Status(StatusCode::io_error, "CUDA " + msg);
}

Status cublas_error_status(cublasStatus_t s, const char* expr, const char* file, int line) {
  return Status(StatusCode::io_error, std::string("cuBLAS ") + cublasGetStatusName(s) + ": " +
                                          cublasGetStatusString(s) + " (" + expr + " at " + file + ":" +
                                          std::to_string(line) + ")");
}

}  // namespace golf::train_cuda
