// golf-cuda-info: prints the CUDA runtime, cuBLAS and NCCL versions and the visible GPUs. It links every CUDA
// library golf uses, so building it proves the toolchain works; on a machine without a GPU it says so and exits 0.
#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime.h>
#if GOLF_HAVE_NCCL
#include <nccl.h>
#endif

#include <cstdio>

#include "args.h"  // defines: golf::cli::ArgParser

int main(int argc, char** argv) {
  golf::cli::ArgParser args("golf-cuda-info", "", "Prints the CUDA runtime, cuBLASLt and NCCL versions and the visible "
                            "GPUs (exit 0 without a GPU).");
  if (int rc = args.parse(argc, argv); rc >= 0) return rc;
  int runtime = 0, nccl = 0;
  cudaRuntimeGetVersion(&runtime);
#if GOLF_HAVE_NCCL
  ncclGetVersion(&nccl);
#endif
  std::printf("CUDA runtime %d, cuBLASLt %zu, NCCL %d\n", runtime, cublasLtGetVersion(), nccl);
  int n = 0;
  cudaError_t err = cudaGetDeviceCount(&n);
  if (err != cudaSuccess || n == 0) {
    std::printf("no CUDA device visible (%s)\n", err == cudaSuccess ? "0 devices" : cudaGetErrorString(err));
    return 0;
  }
  for (int i = 0; i < n; i++) {
    cudaDeviceProp p;
    cudaGetDeviceProperties(&p, i);
    std::printf("GPU %d: %s, sm_%d%d, %.1f GiB\n", i, p.name, p.major, p.minor, (double)p.totalGlobalMem / (1 << 30));
  }
  return 0;
}
