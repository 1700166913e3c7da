// matmul.h: the runtime's matrix products y = x · Wᵀ (W in PyTorch Linear layout [out = N][in = K]): quantized W
// straight from a .golf raw layout against int8 block-quantized activations or against fp32 activations, and an
// fp32 reference/float-model path. Work is split over the pool's threads along N; the SIMD path is the one
// kernel_paths.h reports.
#pragma once
#include <cstddef>

#include "quant_matrix.h"
#include "status.h"
#include "thread_pool.h"

namespace golf::kernels {

// y [x.rows][w.rows] (row stride ldy >= w.rows floats) = x · Wᵀ, where each 32-column block contributes
// x.scale · w.scale · (exact int32 dot product of the codes). pool may be null (single thread). Fails, writing
// nothing, on mismatched or invalid shapes.
Status matmul_quant(const QuantActs& x, const QuantMatrix& w, float* y, size_t ldy, ThreadPool* pool);

// One product of matmul_quant_many: y [x.rows][w->rows] (row stride ldy >= w->rows) = x · Wᵀ.
struct QuantMatmulOut {
  const QuantMatrix* w = nullptr;
  float* y = nullptr;
  size_t ldy = 0;
};

// Several products of the same activations (attention q, k, v) in one parallel pass, so the threads meet once
// instead of once per matrix. Checks everything before computing anything.
Status matmul_quant_many(const QuantActs& x, const QuantMatmulOut* outs, int count, ThreadPool* pool);

// y [M][w.rows] (row stride ldy >= w.rows) = x [M][K] · Wᵀ with x fp32 (densely packed rows, K == w.cols) and W
// quantized, read in place (1 byte or half a byte per weight). Each weight becomes code · scale in fp32 (exact) and
// meets x unrounded: for layers whose input has outlier channels (the LM head: quantizing its input to int8 in
// blocks of 32 flattens the small channels next to an outlier). Small M streams the codes once through registers;
// larger M dequantizes panels of W into a stack tile and runs the fp32 GEMM on them. Fails, writing nothing, on
// mismatched or invalid shapes.
Status matmul_quant_f32act(const float* x, int M, int K, const QuantMatrix& w, float* y, size_t ldy,
                           ThreadPool* pool);

// y [M][N] (row stride ldy >= N) = x [M][K] · Wᵀ with W [N][K], all fp32 and densely packed rows.
Status matmul_f32(const float* x, int M, int K, const float* w, int N, float* y, size_t ldy, ThreadPool* pool);

}  // namespace golf::kernels
