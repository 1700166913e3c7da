// muon.cpp: Newton–Schulz on cuBLASLt (muon.h). Host code that only issues GEMMs, so g++ compiles it.
#include "muon.h"

#include <algorithm>
#include <string>
#include <type_traits>
#include <utility>

#include "gemm_plan.h"  // defines: ns_gemm_shape
#include "muon_math.h"  // defines: kNsGram, kNsPoly, kNsUpdate, ns_tall

namespace golf::train_cuda {

size_t muon_ns_scratch_bytes(Precision p, size_t max_numel, size_t max_side) {
  const size_t e = p == Precision::fp32 ? 4 : 2;
  return 2 * align_up(max_numel * e) + 2 * align_up(max_side * max_side * e);
}

void muon_ns_scratch_point(void* base, Precision p, size_t max_numel, size_t max_side, MuonNsScratch* s) {
  const size_t e = p == Precision::fp32 ? 4 : 2;
  char* c = static_cast<char*>(base);
  s->x = c;
  s->xn = c + align_up(max_numel * e);
  s->a = c + 2 * align_up(max_numel * e);
  s->b = c + 2 * align_up(max_numel * e) + align_up(max_side * max_side * e);
  s->max_numel = max_numel;
  s->max_side = max_side;
}

template <typename T>
Status newton_schulz5(int rows, int cols, int steps, MuonNsScratch* s, T** result, const GemmContext& ctx,
                      cudaStream_t stream) {
  const std::string where = "newton_schulz5 (" + std::to_string(rows) + " x " + std::to_string(cols) + "): ";
  if ((std::is_same_v<T, float>) != (ctx.precision() == Precision::fp32))
    return Status(StatusCode::invalid_argument, where + "element type and GEMM context precision differ");
  if (rows < 1 || cols < 1 || steps < 0 || (size_t)rows * cols > s->max_numel ||
      (size_t)std::min(rows, cols) > s->max_side)
    return Status(StatusCode::invalid_argument, where + "empty, or larger than the scratch");
  T* X = static_cast<T*>(s->x);
  T* Xn = static_cast<T*>(s->xn);
  T* A = static_cast<T*>(s->a);
  T* B = static_cast<T*>(s->b);
  const GemmShape gram = ns_gemm_shape(rows, cols, kNsGram), poly = ns_gemm_shape(rows, cols, kNsPoly),
                  update = ns_gemm_shape(rows, cols, kNsUpdate);
  const bool tall = ns_tall(rows, cols);
  for (int it = 0; it < steps; it++) {
    // A = X·Xᵀ (wide) or Xᵀ·X (tall): both operands are X, the flags say which side is contracted.
    GOLF_RETURN_IF_ERROR(ctx.run(gram, X, X, nullptr, A, stream).prefix(where));
    // B = c·A·A + b·A: C = A, D = B.
    GOLF_RETURN_IF_ERROR(ctx.run(poly, A, A, A, B, stream).prefix(where));
    // X' = B·X + a·X (wide) or X·B + a·X (tall): C = X, D = X'.
    if (tall)
      GOLF_RETURN_IF_ERROR(ctx.run(update, X, B, X, Xn, stream).prefix(where));
    else
      GOLF_RETURN_IF_ERROR(ctx.run(update, B, X, X, Xn, stream).prefix(where));
    std::swap(X, Xn);
  }
  *result = X;
  return Status::Ok();
}

template Status newton_schulz5<float>(int, int, int, MuonNsScratch*, float**, const GemmContext&, cudaStream_t);
template Status newton_schulz5<bf16>(int, int, int, MuonNsScratch*, bf16**, const GemmContext&, cudaStream_t);

}  // namespace golf::train_cuda
