// muon.h: Muon's Newton–Schulz orthogonalisation on the GPU, the twin of train_cpu::newton_schulz5
// (trainer/cpu/muon.h): NS5 as cuBLASLt GEMMs, 3 per iteration with the quintic's linear combinations folded into
// alpha and beta and C ≠ D (gemm_plan.h ns_gemm_shape, coefficients in muon_math.h):
//   A = X·Xᵀ;  B = c·A·A + b·A;  X' = B·X + a·X      (tall matrices: A = Xᵀ·X, X' = X·B + a·X, by the GEMMs'
// transpose flags, never a copy). bf16 runs bf16 iterates with fp32 accumulation, as the challenge's bf16 NS
// (each product rounded once, after its linear combination); fp32 runs fp32 GEMMs for parity with the CPU.
// The input is the momentum-updated, Frobenius-normalised matrix u / (‖u‖_F + 1e-7), which the fused momentum
// kernel writes into the scratch's x (muon_math.h muon_inv_norm is its scale); the step lr·√max(1, rows/cols)
// (muon_step_scale) is applied by the update kernel that reads the result.
#pragma once
#include <cstddef>

#include "cuda_common.h"  // defines: Precision, Status, cudaStream_t
#include "gemm.h"         // defines: GemmContext

namespace golf::train_cuda {

// Device work buffers for matrices up to max_numel elements whose smaller side is at most max_side, of the
// context's activation type (T): x and xn (max_numel each), a and b (max_side² each), each 256-byte aligned.
struct MuonNsScratch {
  void* x = nullptr;
  void* xn = nullptr;
  void* a = nullptr;
  void* b = nullptr;
  size_t max_numel = 0, max_side = 0;
};
// Bytes of arena the scratch needs, and its pointers carved from `base` (device, 256-byte aligned).
size_t muon_ns_scratch_bytes(Precision p, size_t max_numel, size_t max_side);
void muon_ns_scratch_point(void* base, Precision p, size_t max_numel, size_t max_side, MuonNsScratch* s);

// X (rows, cols) ← NS5(X), X in s->x on entry; *result is s->x or s->xn, whichever holds the result (as the CPU
// twin's return value). The three shapes of (rows, cols) must be planned in ctx (GemmPlan::muon does it for every
// Muon matrix of the model). Only enqueues work on `stream`.
template <typename T>
Status newton_schulz5(int rows, int cols, int steps, MuonNsScratch* s, T** result, const GemmContext& ctx,
                      cudaStream_t stream);

}  // namespace golf::train_cuda
