// fast_math.h: a vectorizable expf for the softmax loops (attention, cross-entropy). glibc's expf is a scalar call,
// which would make the O(T²) attention softmax slower than the matmuls around it; this one is plain arithmetic that
// `#pragma omp simd` loops turn into SIMD code.
#pragma once
#include <cstdint>
#include <cstring>

namespace golf::train_cpu {

// exp(x) for x <= 88.3, relative error below 2e-7 (Cephes expf polynomial on [-ln2/2, ln2/2], 2^n scaling by
// exponent bits). Inputs below -87.3 are clamped (result ~1e-38, not 0): callers that need exact zeros (masked
// attention) write them explicitly.
static inline float exp_approx(float x) {
  x = x < -87.3f ? -87.3f : x;
  x = x > 88.3f ? 88.3f : x;
  // Round x·log2(e) to nearest with the 1.5·2^23 trick (plain adds, so the loop stays vectorizable without SSE4.1).
  float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  float r = x - n * 0.693359375f;  // ln2 split in a hi part exact in fp32 and a lo part (Cody-Waite)
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  int32_t e = ((int32_t)n + 127) << 23;
  float scale;
  std::memcpy(&scale, &e, sizeof scale);
  return p * scale;
}

}  // namespace golf::train_cpu
