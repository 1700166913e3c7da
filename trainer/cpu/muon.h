// muon.h: the Muon optimizer update of one matrix (momentum, Nesterov, Newton-Schulz orthogonalization), as the
// challenge's train_gpt.py Muon does it, with the NS iteration through cblas_sgemm.
// Precision: the challenge runs Newton-Schulz in bf16 on the GPU; on the CPU we run it in fp32 (bf16 sgemm is not
// available in OpenBLAS 0.3.21 for all CPUs, and fp32 keeps the parity tests tight). The PyTorch reference
// (tests/reference/golf_gpt.py) takes the NS dtype as an argument, fp32 for parity with this code.
#pragma once
#include <cstddef>

#include "aligned_buffer.h"  // defines: AlignedBuffer
#include "status.h"          // defines: Status

namespace golf::train_cpu {

// The quintic's coefficients (a, b, c) from the challenge: X ← a·X + (b·A + c·A²)·X with A = X·Xᵀ.
constexpr float kMuonNsA = 3.4445f, kMuonNsB = -4.7750f, kMuonNsC = 2.0315f;
constexpr float kMuonNormEps = 1e-7f;

// Work buffers for matrices up to max_numel elements whose smaller side is at most max_side.
struct MuonScratch {
  AlignedBuffer mem;
  float* x = nullptr;   // (max_numel)
  float* xn = nullptr;  // (max_numel)
  float* a = nullptr;   // (max_side, max_side)
  float* b = nullptr;   // (max_side, max_side)
  size_t max_numel = 0, max_side = 0;
};
Status muon_scratch_init(MuonScratch* s, size_t max_numel, size_t max_side);

// X (rows, cols) ← NS5 orthogonalization of X, which must already be Frobenius-normalized. Tall matrices are
// handled as their transpose (A = XᵀX, X ← a·X + X·B), which is what `X = X.T ... X.T` computes, without copies.
// Returns the buffer holding the result (s->x or s->xn; X must be s->x on entry).
float* newton_schulz5(int rows, int cols, int steps, MuonScratch* s);

// The two halves of muon_update, for sharded Muon (the owner rank computes the direction, every rank applies it):
// momentum and the NS direction X of (rows, cols), returned in s->x or s->xn; then p −= lr·√max(1, rows/cols)·X.
const float* muon_direction(float* buf, const float* grad, int rows, int cols, float momentum, int steps,
                            MuonScratch* s);
void muon_apply(float* param, const float* X, int rows, int cols, float lr);

// One Muon step for a matrix param (rows, cols) with gradient grad and momentum buffer buf (same shape):
//   buf = μ·buf + g;  u = g + μ·buf;  X = NS(u / (‖u‖_F + 1e-7));  p −= lr·√max(1, rows/cols)·X
// Called outside a parallel region it splits its products over the OpenMP threads; inside one it runs
// single-threaded. optimizer_step always uses the latter (one matrix per thread), so Muon's result bits do not
// depend on the thread count.
void muon_update(float* param, float* buf, const float* grad, int rows, int cols, float lr, float momentum, int steps,
                 MuonScratch* s);

}  // namespace golf::train_cpu
