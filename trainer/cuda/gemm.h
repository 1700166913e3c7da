// gemm.h: the CUDA trainer's matrix products through cuBLASLt, and the linear layers built on them, the twins of
// train_cpu::linear_forward / linear_backward (trainer/cpu/matmul.h): same names, same argument order, then the
// GemmContext and a trailing stream.
//
// GemmContext holds the cuBLASLt handle, a 32 MiB workspace (what cuBLASLt wants on Hopper for split-K) and one
// plan per GEMM shape (matmul descriptor, the four layouts, the heuristic's algorithm), all built at setup from
// the GemmPlan (gemm_plan.h); a product whose shape was not planned is refused, so no step ever runs the heuristic.
// One algorithm per shape, one stream, our own workspace: the same inputs give the same bits (cuBLAS's
// reproducibility rule for one architecture and SM count; the GPU self-test checks it for every shape).
//
// Precision: bf16 runs bf16 A and B with fp32 accumulation (CUBLAS_COMPUTE_32F) into bf16 activations or fp32
// weight gradients (GemmOut::grad, accumulated with beta = 1). fp32 runs everything in fp32 with CUBLAS_COMPUTE_32F,
// which never uses TF32 (that is CUBLAS_COMPUTE_32F_FAST_TF32), for 1e-5 parity with the CPU.
//
// Shapes are row-major as cblas_sgemm (GemmShape); cuBLASLt is column-major, so a row-major C = op(A)·op(B) runs as
// the column-major Cᵀ = op(B)ᵀ·op(A)ᵀ: the operands swap, nothing is transposed in memory. Every pointer is device
// memory aligned to 16 bytes (the parameter layout aligns tensors to 64 bytes in fp32, 32 in bf16). Calls only
// enqueue work on the stream: no host synchronisation.
#pragma once
#include <cstddef>
#include <vector>

#include "cuda_common.h"  // defines: Precision, bf16, Status, GOLF_CUBLAS_CHECK
#include "gemm_plan.h"    // defines: GemmShape, GemmPlan

namespace golf::train_cuda {

constexpr size_t kGemmWorkspaceBytes = size_t(32) << 20;
constexpr size_t kGemmPointerAlign = 16;

class GemmContext {
 public:
  GemmContext() = default;
  GemmContext(const GemmContext&) = delete;
  GemmContext& operator=(const GemmContext&) = delete;
  ~GemmContext();

  // Creates the handle and plans every shape. `workspace` (device, kGemmWorkspaceBytes or more, 256-byte aligned)
  // comes from the backend's arena; null: the context allocates its own. The current device is the one used.
  Status init(Precision precision, const std::vector<GemmShape>& shapes, void* workspace = nullptr,
              size_t workspace_bytes = kGemmWorkspaceBytes);
  // Plans one more shape (at setup: the self-test's extra shapes). A shape already planned is a no-op.
  Status add(const GemmShape& shape);

  // D = alpha·op(A)·op(B) + beta·C with the shape's alpha and beta, enqueued on `stream`. The workspace is shared
  // by every call: use one stream at a time (the trainer's compute stream). C may equal D (in place)
  // or differ (Newton–Schulz's linear combinations); C is not read when beta is 0 (pass D or null). Element types:
  // the context's precision for A and B; for C and D also, except GemmOut::grad, which is fp32 in both.
  // invalid_argument naming the shape when it was not planned or a pointer is null or misaligned.
  Status run(const GemmShape& shape, const void* A, const void* B, const void* C, void* D, cudaStream_t stream) const;

  Precision precision() const { return precision_; }
  size_t plan_count() const { return plans_.size(); }
  // The heuristic's workspace need of a planned shape (bytes), for the self-test's table; -1 when not planned.
  long long workspace_need(const GemmShape& shape) const;
  // Every shape planned here is planned in `other` with the same algorithm (its opaque bytes): a resumed run, which
  // plans again at setup, then computes the same bits. The self-test checks it.
  bool same_algorithms(const GemmContext& other) const;

 private:
  struct Plan;
  const Plan* find(const GemmShape& shape) const;
  Precision precision_ = Precision::bf16;
  cublasLtHandle_t handle_ = nullptr;
  void* workspace_ = nullptr;
  size_t workspace_bytes_ = 0;
  bool own_workspace_ = false;
  std::vector<Plan*> plans_;
};

// out (N, out_dim) = in (N, in_dim) · weight (out_dim, in_dim)ᵀ. T is float (fp32 context) or bf16 (bf16 context).
// For the fused QKV projection, weight is c_q's address and out_dim = d + 2·kv (gemm_plan.h).
template <typename T>
Status linear_forward(T* out, const T* in, const T* weight, int N, int in_dim, int out_dim, const GemmContext& ctx,
                      cudaStream_t stream);

// din (N, in_dim) = dout·W (+= when accumulate_din; din may be null to skip it); dweight (out_dim, in_dim) fp32
// += doutᵀ·in (always accumulates: the fp32 gradient of gradient accumulation).
template <typename T>
Status linear_backward(T* din, float* dweight, const T* dout, const T* in, const T* weight, int N, int in_dim,
                       int out_dim, bool accumulate_din, const GemmContext& ctx, cudaStream_t stream);

}  // namespace golf::train_cuda
