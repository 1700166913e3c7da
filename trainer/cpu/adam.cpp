// adam.cpp: Adam with PyTorch's bias correction.
#include "adam.h"

#include <cmath>

namespace golf::train_cpu {

void adam_update(float* p, float* m, float* v, const float* g, size_t n, float lr, float beta1, float beta2, float eps,
                 int64_t t) {
  // Bias corrections in double, as Python floats in torch.optim.Adam, then used as fp32 scalars.
  const double bc1 = 1.0 - std::pow((double)beta1, (double)t);
  const double bc2 = 1.0 - std::pow((double)beta2, (double)t);
  const float step_size = (float)(lr / bc1);
  const float bc2_sqrt = (float)std::sqrt(bc2);
  const float one_m_b1 = 1.0f - beta1, one_m_b2 = 1.0f - beta2;
#pragma omp parallel for simd schedule(static) if (n > 16384)
  for (size_t i = 0; i < n; i++) {
    float gi = g[i];
    float mi = beta1 * m[i] + one_m_b1 * gi;
    float vi = beta2 * v[i] + one_m_b2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    float denom = std::sqrt(vi) / bc2_sqrt + eps;
    p[i] -= step_size * (mi / denom);
  }
}

}  // namespace golf::train_cpu
