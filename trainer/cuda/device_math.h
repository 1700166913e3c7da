// device_math.h: the qualifier and the few helpers that let one function body serve both a CUDA kernel and the
// host. A kernel's per-element or per-row arithmetic (norm statistics, RoPE pairs, softcap, cross-entropy rows,
// Adam, Muon's momentum) is written once as a GOLF_HD function: the kernel calls it on the device, and the host
// tests in CI (no GPU there) call the very same code and compare it with the independent trainer/cpu twin.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

#if defined(__CUDACC__)
#define GOLF_HD __host__ __device__ __forceinline__
#else
#define GOLF_HD inline
#endif

namespace golf::train_cuda {

// fp32 -> bf16 -> fp32 with round-to-nearest-even (what __float2bfloat16_rn does on the device; NaN stays NaN), so
// host tests can reproduce the rounding of bf16 activations exactly.
GOLF_HD uint32_t float_bits(float x) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(x);
#else
  uint32_t u;
  std::memcpy(&u, &x, 4);
  return u;
#endif
}
GOLF_HD float bits_float(uint32_t u) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(u);
#else
  float x;
  std::memcpy(&x, &u, 4);
  return x;
#endif
}
GOLF_HD float bf16_round(float x) {
  uint32_t u = float_bits(x);
  if ((u & 0x7f800000u) == 0x7f800000u && (u & 0x007fffffu)) return x;  // NaN
  u += 0x7fffu + ((u >> 16) & 1u);
  return bits_float(u & 0xffff0000u);
}

}  // namespace golf::train_cuda
