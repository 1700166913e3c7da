// fast_math.h: exp and tanh for the model's vector loops: plain arithmetic (no libm calls, no branches) so the
// compiler vectorizes the loops that use them, accurate to a few ulp. Functions are `static inline` so that the
// copies compiled with different instruction-set flags (attention_avx2.cpp) never merge with the generic ones.
#pragma once
#include <cstdint>
#include <cstring>

// Under nvcc the same functions also compile for the device: the CUDA runtime's softcap kernel (runtime/cuda) calls
// tanh_approx itself, so GPU and CPU logits round alike.
#ifdef __CUDACC__
#define GOLF_FAST_MATH_FN static inline __host__ __device__
#else
#define GOLF_FAST_MATH_FN static inline
#endif

namespace golf {

// e^x = 2^n · e^r with n = round(x / ln 2), r = x − n·ln 2 in [−ln2/2, ln2/2]; e^r − 1 by Cephes' expf
// polynomial.
// x must lie in [−87, 0] (callers clamp): then 2^n is a normal float.
GOLF_FAST_MATH_FN float expm1_reduced(float x, int* n_out) {
  const float y = x * 1.44269504088896341f;
  const int n = (int)(y - 0.5f);  // y <= 0: truncation of y − 0.5 rounds to nearest
  const float fn = (float)n;
  float r = x - fn * 0.693359375f;
  r = r - fn * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  *n_out = n;
  return p * (r * r) + r;  // e^r − 1
}

GOLF_FAST_MATH_FN float pow2i(int n) {  // 2^n for n in [−126, 127]
  const uint32_t bits = (uint32_t)(n + 127) << 23;
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

// e^x for x <= 0 (values below −87 give e^−87 ≈ 1.6e−38, i.e. 0 for any softmax).
GOLF_FAST_MATH_FN float exp_nonpositive(float x) {
  x = x < -87.0f ? -87.0f : x;
  int n;
  const float em1 = expm1_reduced(x, &n);
  return (em1 + 1.0f) * pow2i(n);
}

// e^x − 1 for x in [−87, 0], without cancellation near 0.
GOLF_FAST_MATH_FN float expm1_nonpositive(float x) {
  x = x < -87.0f ? -87.0f : x;
  int n;
  const float em1 = expm1_reduced(x, &n);
  return n == 0 ? em1 : (em1 + 1.0f) * pow2i(n) - 1.0f;
}

// tanh(v) = −m / (2 + m) with m = e^(−2|v|) − 1, sign restored.
GOLF_FAST_MATH_FN float tanh_approx(float v) {
  const float a = v < 0.0f ? -v : v;
  const float m = expm1_nonpositive(-2.0f * a);
  const float t = -m / (2.0f + m);
  return v < 0.0f ? -t : t;
}

}  // namespace golf
