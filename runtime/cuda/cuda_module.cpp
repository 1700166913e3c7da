// cuda_module.cpp: the entry point of libgolf-cuda.so, the CUDA backend module libgolf dlopens when a session asks
// for a GPU (runtime/model/device.h). It answers how many devices there are (and why none) and makes CudaSessions.
#include <cuda_runtime_api.h>

#include "cuda_session.h"
#include "device_module.h"

namespace golf::runtime_cuda {
namespace {

int device_count(std::string* why) {
  int n = 0;
  const cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    if (why) *why = std::string("cudaGetDeviceCount: ") + cudaGetErrorString(e);
    cudaGetLastError();
    return 0;
  }
  if (n <= 0 && why) *why = "cudaGetDeviceCount found none";
  return n;
}

Status create_session(const Model& model, const DeviceSessionOptions& options, std::unique_ptr<InferenceSession>* out) {
  return CudaSession::create(model, options, out);
}

const DeviceModule kModule = {kDeviceModuleAbi, "cuda", device_count, create_session};

}  // namespace
}  // namespace golf::runtime_cuda

extern "C" __attribute__((visibility("default"))) const golf::DeviceModule* golf_device_module(int abi) {
  return abi == golf::kDeviceModuleAbi ? &golf::runtime_cuda::kModule : nullptr;
}
