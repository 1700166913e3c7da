// muon_math.h: the scalar arithmetic of Muon's update that the CUDA trainer shares with the host tests: the
// Newton–Schulz quintic's coefficients and how they fold into the alpha/beta of the three GEMMs of an iteration,
// the Frobenius normalisation and the shape-dependent step scale. CI runs these on the host against
// train_cpu::muon_update / newton_schulz5 (tests/trainer/cuda/test_gemm_plan.cpp); muon.cu and gemm_plan.cpp use
// them for the device. Includes only device_math.h.
#pragma once
#include <math.h>  // sqrt, sqrtf, fmaxf: the same names on the host and the device

#include "device_math.h"  // defines: GOLF_HD

namespace golf::train_cuda {

// The challenge's quintic (train_gpt.py zeropower_via_newtonschulz5): X ← a·X + (b·A + c·A²)·X with A = X·Xᵀ.
constexpr float kNsA = 3.4445f, kNsB = -4.7750f, kNsC = 2.0315f;
// Added to ‖u‖_F before dividing, as the challenge.
constexpr float kMuonNormEps = 1e-7f;

// The GEMMs of one iteration (gemm_plan.h ns_gemm_shape): 0 gram A = X·Xᵀ, 1 poly B = c·A·A + b·A,
// 2 update X' = B·X + a·X. The linear combinations ride on cuBLASLt's alpha and beta with C ≠ D.
constexpr int kNsGram = 0, kNsPoly = 1, kNsUpdate = 2;
GOLF_HD float ns_alpha(int which) { return which == kNsPoly ? kNsC : 1.0f; }
GOLF_HD float ns_beta(int which) { return which == kNsGram ? 0.0f : which == kNsPoly ? kNsB : kNsA; }

// Tall matrices (rows > cols) iterate on their transpose: A = Xᵀ·X, X ← X·B + a·X.
GOLF_HD bool ns_tall(int rows, int cols) { return rows > cols; }

// Relative Frobenius error allowed between the bf16 NS5 (bf16 operands, fp32 accumulation, bf16 outputs) and the
// fp32 NS5 of train_cpu, for a normalised input: CI checks an emulation of the bf16 GEMMs against it
// (test_gemm_plan.cpp: 1.3-2.0e-2 on its small shapes; the same emulation gives 1.0-1.1e-2 at 256 × 512, 512 × 512,
// 512 × 1024 and 1024 × 512), and the GPU self-test holds the device's bf16 NS to it.
constexpr double kNsBf16Tolerance = 0.05;

// 1 / (‖u‖_F + eps) from the fp32 sum of squares accumulated in double, in train_cpu::muon_update's order.
GOLF_HD float muon_inv_norm(double sum_squares) {
  return 1.0f / ((float)sqrt(sum_squares) + kMuonNormEps);
}

// lr·√max(1, rows/cols): the step applied to the orthogonalised update.
GOLF_HD float muon_step_scale(float lr, int rows, int cols) {
  return lr * sqrtf(fmaxf(1.0f, (float)rows / (float)cols));
}

}  // namespace golf::train_cuda
