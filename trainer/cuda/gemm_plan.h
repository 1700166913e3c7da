// gemm_plan.h: every matrix product one training step of the CUDA trainer issues, as a pure function of the model
// config and the micro-batch rows: the linear layers of the forward and backward (the twins of the
// train_cpu::linear_forward/linear_backward calls in trainer/cpu/model.cpp) and Muon's Newton–Schulz products.
// GemmContext (gemm.h) builds one cuBLASLt plan per distinct shape from it at setup, the GPU self-test times every
// shape of it, and tests/trainer/cuda checks it in CI against the GEMMs the CPU model really issues. Host code only
// (no CUDA header), so CI builds it with or without CUDA.
#pragma once
#include <string>
#include <vector>

#include "model_config.h"  // defines: ModelConfig
#include "status.h"        // defines: Status

namespace golf::train_cuda {

// What a product writes, which fixes its C/D element type: activations and Newton–Schulz iterates are the run's
// activation type (fp32 or bf16); weight gradients are fp32 in both precisions, accumulated with beta = 1.
enum class GemmOut { activation, grad };
const char* gemm_out_name(GemmOut o);

// One row-major product as cblas_sgemm spells it (and train_cpu::gemm): C (M, N) = alpha·op(A)·op(B) + beta·C with
// op(A) (M, K), op(B) (K, N); lda/ldb/ldc are the row strides of A, B, C as stored. The key of a cuBLASLt plan is
// every field except alpha and the value of a nonzero beta (cuBLASLt takes those at call time).
struct GemmShape {
  bool trans_a = false, trans_b = false;
  int M = 0, N = 0, K = 0;
  int lda = 0, ldb = 0, ldc = 0;
  float alpha = 1.0f, beta = 0.0f;
  GemmOut out = GemmOut::activation;

  bool same_plan(const GemmShape& o) const;  // equal keys: one cuBLASLt plan serves both
  double flops() const { return 2.0 * M * N * K; }
  // "M=65536 N=1024 K=512 NT lda=512 ldb=512 ldc=1024 beta=0 out=activation": errors and tables name shapes so.
  std::string text() const;
};

// A row-major GemmShape as the column-major product cuBLASLt runs: row-major C = op(A)·op(B) is column-major
// Cᵀ = op(B)ᵀ·op(A)ᵀ, so cuBLASLt's first operand is our B and its second our A; nothing moves in memory (a
// row-major matrix with row stride ld is the column-major transpose with the same ld). Each stored operand is
// described as cuBLASLt's matrix layout wants it (rows, cols, ld of the column-major storage, before the op).
// gemm.cpp builds its descriptors from this; CI emulates it against train_cpu::gemm.
struct ColumnMajorGemm {
  bool trans_first = false, trans_second = false;  // CUBLASLT_MATMUL_DESC_TRANSA / TRANSB
  int m = 0, n = 0, k = 0;                          // D (m, n) = op(first) (m, k) · op(second) (k, n)
  int first_rows = 0, first_cols = 0, first_ld = 0;    // our B
  int second_rows = 0, second_cols = 0, second_ld = 0;  // our A
  int d_rows = 0, d_cols = 0, d_ld = 0;                 // C and D
};
ColumnMajorGemm column_major_gemm(const GemmShape& s);

// Which product of a layer a GEMM is.
enum class GemmRole { forward, backward_dx, backward_dw, ns_gram, ns_poly, ns_update };
const char* gemm_role_name(GemmRole r);

// One GEMM of the step, in issue order.
struct GemmStep {
  std::string weight;  // the parameter tensor it reads or whose gradient it accumulates ("blocks.3.mlp.fc.weight";
                       // for the fused QKV product, c_q's name: c_q, c_k, c_v are one [q+2kv, d] matrix there)
  GemmRole role = GemmRole::forward;
  int layer = -1;      // block index; -1 for the head
  GemmShape shape;
  int repeat = 1;      // identical issues in a row (Newton–Schulz: steps × the matrices of this shape)
};

struct GemmPlan {
  ModelConfig config;
  int rows = 0;                   // N = B·T tokens of one micro-batch
  bool qkv_fused = false;         // c_q, c_k, c_v consecutive in the flat layout: the forward issues one QKV GEMM
  int ns_steps = 0;               // Newton–Schulz iterations per Muon matrix
  std::vector<GemmStep> model;    // one micro-batch's forward then backward, in model.cpp's order
  std::vector<GemmStep> muon;     // one optimizer step's Newton–Schulz products, grouped by matrix shape

  double model_flops() const;     // per micro-batch
  double muon_flops() const;      // per optimizer step
  // Every distinct plan key (GemmShape::same_plan), first occurrence order: what GemmContext builds at setup.
  std::vector<GemmShape> distinct_shapes() const;
  // "dW blocks.0.mlp.fc.weight": the role and tensor of the first GEMM planned with `shape`'s key ("" if none).
  std::string first_use(const GemmShape& shape) const;
  // Issues with `shape`'s key per micro-batch (model) and per optimizer step (Newton–Schulz), counting repeats.
  int model_uses(const GemmShape& shape) const;
  int muon_uses(const GemmShape& shape) const;
};

// c_q, c_k and c_v of every block follow one another with no padding in the flat parameter (and gradient) layout
// (trainer/cpu/params.cpp rounds every tensor to 16 floats), so [c_q; c_k; c_v] is one [d + 2·kv, d] matrix. The
// bf16 working copy of the weights keeps the same element offsets, so the same holds there.
bool qkv_weights_contiguous(const ModelConfig& cfg);

// The GEMMs of one train_cpu::linear_forward / linear_backward call (the twins GemmContext implements), with their
// cblas arguments: out (N, out_dim) = in (N, in_dim) · W (out_dim, in_dim)ᵀ; din (N, in_dim) = dout·W (beta 1 when
// accumulate_din, none when has_din is false); dW (out_dim, in_dim) += doutᵀ·in.
GemmShape linear_forward_shape(int N, int in_dim, int out_dim);
GemmShape linear_backward_dx_shape(int N, int in_dim, int out_dim, bool accumulate_din);
GemmShape linear_backward_dw_shape(int N, int in_dim, int out_dim);

// Newton–Schulz (NS5) on a (rows, cols) matrix X: with m = min(rows, cols), per iteration
//   gram:   A (m, m) = X·Xᵀ (wide) or Xᵀ·X (tall)                              alpha 1, beta 0
//   poly:   B (m, m) = c·A·A + b·A   (C = A, D = B)                          alpha c, beta b
//   update: X' = B·X + a·X (wide) or X·B + a·X (tall)   (C = X, D = X')        alpha 1, beta a
// Tall matrices use the transposed flags of the wide case; nothing is copied (train_cpu::newton_schulz5).
// Index 0, 1, 2 = gram, poly, update; coefficients from muon_math.h.
GemmShape ns_gemm_shape(int rows, int cols, int which);

// The plan of one step. rows ≥ 1; ns_steps ≥ 0. invalid_argument when the config does not validate. With
// backward = false, only the forward's GEMMs (validation and evaluation batches, which have their own rows).
Status gemm_plan_build(const ModelConfig& cfg, int rows, int ns_steps, GemmPlan* out, bool backward = true);

}  // namespace golf::train_cuda
