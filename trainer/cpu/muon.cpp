// muon.cpp: Muon for one matrix; Newton-Schulz via the row-split sgemm/syrk of matmul.h (the two symmetric
// products of each iteration cost half a gemm each, so one NS step is about 2/3 of PyTorch's three full matmuls).
#include "muon.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

#include "matmul.h"  // defines: gemm, syrk_upper

namespace golf::train_cpu {

Status muon_scratch_init(MuonScratch* s, size_t max_numel, size_t max_side) {
  size_t xs = (max_numel + 15) & ~size_t(15), as = (max_side * max_side + 15) & ~size_t(15);
  if (!s->mem.allocate((2 * xs + 2 * as) * sizeof(float)))
    return Status(StatusCode::out_of_memory, "muon: cannot allocate scratch");
  float* base = (float*)s->mem.data();
  s->x = base;
  s->xn = base + xs;
  s->a = base + 2 * xs;
  s->b = base + 2 * xs + as;
  s->max_numel = max_numel;
  s->max_side = max_side;
  return Status::Ok();
}

float* newton_schulz5(int rows, int cols, int steps, MuonScratch* s) {
  const bool tall = rows > cols;
  const int m = tall ? cols : rows;  // side of A
  const size_t numel = (size_t)rows * cols;
  float* X = s->x;
  float* Xn = s->xn;
  float* A = s->a;  // (m, m)
  float* B = s->b;  // (m, m)
  for (int it = 0; it < steps; it++) {
    // A = X Xᵀ (wide) or Xᵀ X (tall): symmetric, so only its upper triangle is computed.
    syrk_upper(tall, m, tall ? rows : cols, 1.0f, X, cols, 0.0f, A, m);
    // B = b·A + c·A·A, and A·A = A·Aᵀ for symmetric A: the same half-cost product.
    std::memcpy(B, A, (size_t)m * m * sizeof(float));
    syrk_upper(false, m, m, kMuonNsC, A, m, kMuonNsB, B, m);
    // X ← a·X + B·X (wide) or a·X + X·B (tall, the transpose of the wide update with B symmetric)
    std::memcpy(Xn, X, numel * sizeof(float));
    if (tall)
      gemm(false, false, rows, cols, cols, 1.0f, X, cols, B, m, kMuonNsA, Xn, cols);
    else
      gemm(false, false, rows, cols, rows, 1.0f, B, m, X, cols, kMuonNsA, Xn, cols);
    std::swap(X, Xn);
  }
  return X;
}

const float* muon_direction(float* buf, const float* grad, int rows, int cols, float momentum, int steps,
                            MuonScratch* s) {
  const size_t n = (size_t)rows * cols;
  float* u = s->x;  // (rows, cols)
  double ss = 0;
#pragma omp parallel for simd schedule(static) reduction(+ : ss) if (!omp_in_parallel())
  for (size_t i = 0; i < n; i++) {
    float b = momentum * buf[i] + grad[i];
    buf[i] = b;
    float v = grad[i] + momentum * b;  // Nesterov
    u[i] = v;
    ss += (double)v * v;
  }
  const float inv = 1.0f / ((float)std::sqrt(ss) + kMuonNormEps);
#pragma omp parallel for simd schedule(static) if (!omp_in_parallel())
  for (size_t i = 0; i < n; i++) u[i] *= inv;
  return newton_schulz5(rows, cols, steps, s);
}

void muon_apply(float* param, const float* X, int rows, int cols, float lr) {
  const size_t n = (size_t)rows * cols;
  const float step = lr * std::sqrt(std::max(1.0f, (float)rows / (float)cols));
#pragma omp parallel for simd schedule(static) if (!omp_in_parallel())
  for (size_t i = 0; i < n; i++) param[i] -= step * X[i];
}

void muon_update(float* param, float* buf, const float* grad, int rows, int cols, float lr, float momentum, int steps,
                 MuonScratch* s) {
  muon_apply(param, muon_direction(buf, grad, rows, cols, momentum, steps, s), rows, cols, lr);
}

}  // namespace golf::train_cpu
