// device_buffers.h: device memory for the self-test's GEMM parts (ops_gemm.cpp, speed_gemm.cpp): an owning device
// array, host floats to and from fp32 or bf16 device elements, and CUDA-event timing. Header-only so each part
// stays one file.
#pragma once
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "cuda/cuda_common.h"  // defines: bf16, GOLF_CUDA_CHECK, Status
#include "cuda/device_math.h"  // defines: bf16_round, float_bits, bits_float

namespace golf::gpu_test {

struct DeviceBuffer {
  void* p = nullptr;
  size_t bytes = 0;
  DeviceBuffer() = default;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  ~DeviceBuffer() {
    if (p) cudaFree(p);
  }
  Status alloc(size_t n) {
    if (p) cudaFree(p);
    p = nullptr;
    bytes = n;
    GOLF_CUDA_CHECK(cudaMalloc(&p, std::max<size_t>(n, 256)));
    return Status::Ok();
  }
  // All bits set: NaN in fp32 and bf16, so an element a product fails to write fails the comparison.
  Status poison() {
    GOLF_CUDA_CHECK(cudaMemset(p, 0xff, bytes));
    return Status::Ok();
  }
  template <typename T>
  T* as() const {
    return static_cast<T*>(p);
  }
};

// Host floats into device elements of type T (float, or bf16 rounded to nearest even as bf16_round).
template <typename T>
Status to_device(DeviceBuffer* d, const std::vector<float>& x) {
  GOLF_RETURN_IF_ERROR(d->alloc(x.size() * sizeof(T)));
  if constexpr (std::is_same_v<T, float>) {
    GOLF_CUDA_CHECK(cudaMemcpy(d->p, x.data(), d->bytes, cudaMemcpyHostToDevice));
  } else {
    std::vector<uint16_t> bits(x.size());
    for (size_t i = 0; i < x.size(); i++)
      bits[i] = (uint16_t)(train_cuda::float_bits(train_cuda::bf16_round(x[i])) >> 16);
    GOLF_CUDA_CHECK(cudaMemcpy(d->p, bits.data(), d->bytes, cudaMemcpyHostToDevice));
  }
  return Status::Ok();
}

// `count` device elements of type T at p back as floats, and their raw bytes (for the equal-bits checks).
template <typename T>
Status to_host(const void* p, size_t count, std::vector<float>* x, std::vector<unsigned char>* raw) {
  raw->resize(count * sizeof(T));
  GOLF_CUDA_CHECK(cudaMemcpy(raw->data(), p, raw->size(), cudaMemcpyDeviceToHost));
  x->resize(count);
  for (size_t i = 0; i < count; i++) {
    if constexpr (std::is_same_v<T, float>) {
      std::memcpy(&(*x)[i], raw->data() + 4 * i, 4);
    } else {
      uint16_t b;
      std::memcpy(&b, raw->data() + 2 * i, 2);
      (*x)[i] = train_cuda::bits_float((uint32_t)b << 16);
    }
  }
  return Status::Ok();
}
template <typename T>
Status to_host(const DeviceBuffer& d, std::vector<float>* x, std::vector<unsigned char>* raw) {
  return to_host<T>(d.p, d.bytes / sizeof(T), x, raw);
}

// Device ms per call of `fn` (which enqueues on the default stream) over `reps` calls, after one warm-up call.
template <typename Fn>
Status time_calls(int reps, double* ms, Fn fn) {
  cudaEvent_t start = nullptr, stop = nullptr;
  auto body = [&]() -> Status {
    GOLF_CUDA_CHECK(cudaEventCreate(&start));
    GOLF_CUDA_CHECK(cudaEventCreate(&stop));
    GOLF_RETURN_IF_ERROR(fn());
    GOLF_CUDA_CHECK(cudaEventRecord(start, 0));
    for (int i = 0; i < reps; i++) GOLF_RETURN_IF_ERROR(fn());
    GOLF_CUDA_CHECK(cudaEventRecord(stop, 0));
    GOLF_CUDA_CHECK(cudaEventSynchronize(stop));
    float elapsed = 0;
    GOLF_CUDA_CHECK(cudaEventElapsedTime(&elapsed, start, stop));
    *ms = elapsed / reps;
    return Status::Ok();
  };
  Status st = body();
  if (start) cudaEventDestroy(start);
  if (stop) cudaEventDestroy(stop);
  return st;
}

}  // namespace golf::gpu_test
