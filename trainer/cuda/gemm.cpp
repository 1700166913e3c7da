// gemm.cpp: GemmContext (cuBLASLt handle, workspace, one plan per shape) and the linear layers on it. Host code:
// it only calls cuBLASLt, so g++ compiles it (no nvcc time on 2 cores).
#include "gemm.h"

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>

namespace golf::train_cuda {

namespace {

Status named(Status s, const GemmShape& shape) { return s.prefix("gemm " + shape.text() + ": "); }

bool aligned(const void* p) { return reinterpret_cast<uintptr_t>(p) % kGemmPointerAlign == 0; }

}  // namespace

struct GemmContext::Plan {
  GemmShape shape;
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, cd = nullptr;  // cuBLASLt's A (our B), B (our A), C = D
  cublasLtMatmulAlgo_t algo{};
  size_t workspace = 0;
  ~Plan() {
    if (cd) cublasLtMatrixLayoutDestroy(cd);
    if (b) cublasLtMatrixLayoutDestroy(b);
    if (a) cublasLtMatrixLayoutDestroy(a);
    if (desc) cublasLtMatmulDescDestroy(desc);
  }
};

GemmContext::~GemmContext() {
  for (Plan* p : plans_) delete p;
  if (own_workspace_ && workspace_) cudaFree(workspace_);
  if (handle_) cublasLtDestroy(handle_);
}

Status GemmContext::init(Precision precision, const std::vector<GemmShape>& shapes, void* workspace,
                         size_t workspace_bytes) {
  if (handle_) return Status(StatusCode::invalid_argument, "gemm context: init called twice");
  precision_ = precision;
  GOLF_CUBLAS_CHECK(cublasLtCreate(&handle_));
  if (workspace) {
    if (workspace_bytes < kGemmWorkspaceBytes || reinterpret_cast<uintptr_t>(workspace) % kDeviceAlign != 0)
      return Status(StatusCode::invalid_argument, "gemm context: the workspace must be at least 32 MiB, 256-byte aligned");
    workspace_ = workspace;
    workspace_bytes_ = workspace_bytes;
  } else {
    Status st = [&]() -> Status {
      GOLF_CUDA_CHECK(cudaMalloc(&workspace_, kGemmWorkspaceBytes));
      return Status::Ok();
    }();
    if (!st.ok()) return st.prefix("gemm context: allocating the 32 MiB cuBLASLt workspace: ");
    own_workspace_ = true;
    workspace_bytes_ = kGemmWorkspaceBytes;
  }
  for (const GemmShape& s : shapes) GOLF_RETURN_IF_ERROR(add(s));
  return Status::Ok();
}

const GemmContext::Plan* GemmContext::find(const GemmShape& shape) const {
  for (const Plan* p : plans_)
    if (p->shape.same_plan(shape)) return p;
  return nullptr;
}

long long GemmContext::workspace_need(const GemmShape& shape) const {
  const Plan* p = find(shape);
  return p ? (long long)p->workspace : -1;
}

bool GemmContext::same_algorithms(const GemmContext& other) const {
  for (const Plan* p : plans_) {
    const Plan* q = other.find(p->shape);
    if (!q || std::memcmp(&p->algo, &q->algo, sizeof p->algo) != 0) return false;
  }
  return true;
}

Status GemmContext::add(const GemmShape& s) {
  if (!handle_) return Status(StatusCode::invalid_argument, "gemm context: add before init");
  if (find(s)) return Status::Ok();
  const std::string where = "gemm " + s.text() + ": ";
  if (s.M < 1 || s.N < 1 || s.K < 1 || s.lda < (s.trans_a ? s.M : s.K) || s.ldb < (s.trans_b ? s.K : s.N) ||
      s.ldc < s.N)
    return Status(StatusCode::invalid_argument, where + "sizes must be >= 1 and each ld at least its row length");
  const bool fp32 = precision_ == Precision::fp32;
  const cudaDataType_t ab_type = fp32 ? CUDA_R_32F : CUDA_R_16BF;
  const cudaDataType_t cd_type = fp32 || s.out == GemmOut::grad ? CUDA_R_32F : CUDA_R_16BF;
  auto plan = std::make_unique<Plan>();
  plan->shape = s;
  // Column-major Cᵀ = op(B)ᵀ·op(A)ᵀ: cuBLASLt's first operand is our B (gemm_plan.h column_major_gemm).
  const ColumnMajorGemm cm = column_major_gemm(s);
  const cublasOperation_t op_a = cm.trans_first ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t op_b = cm.trans_second ? CUBLAS_OP_T : CUBLAS_OP_N;
  // A half-built plan is released by its destructor when a step fails.
  Status built = [&]() -> Status {
    GOLF_CUBLAS_CHECK(cublasLtMatmulDescCreate(&plan->desc, CUBLAS_COMPUTE_32F, CUDA_R_32F));
    GOLF_CUBLAS_CHECK(
        cublasLtMatmulDescSetAttribute(plan->desc, CUBLASLT_MATMUL_DESC_TRANSA, &op_a, sizeof op_a));
    GOLF_CUBLAS_CHECK(
        cublasLtMatmulDescSetAttribute(plan->desc, CUBLASLT_MATMUL_DESC_TRANSB, &op_b, sizeof op_b));
    GOLF_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&plan->a, ab_type, cm.first_rows, cm.first_cols, cm.first_ld));
    GOLF_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&plan->b, ab_type, cm.second_rows, cm.second_cols, cm.second_ld));
    GOLF_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&plan->cd, cd_type, cm.d_rows, cm.d_cols, cm.d_ld));
    return Status::Ok();
  }();
  if (!built.ok()) return built.prefix(where);
  // Preferences: our workspace, and pointers aligned to 16 bytes only (the layout's tensors are 32- or 64-byte
  // aligned, not 256 as the heuristic assumes by default), so every chosen kernel is valid for every call.
  cublasLtMatmulPreference_t pref = nullptr;
  cublasLtMatmulHeuristicResult_t result{};
  int found = 0;
  Status st = [&]() -> Status {
    GOLF_CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&pref));
    const uint64_t ws = workspace_bytes_;
    GOLF_CUBLAS_CHECK(
        cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof ws));
    const uint32_t align = kGemmPointerAlign;
    for (cublasLtMatmulPreferenceAttributes_t attr :
         {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES,
          CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES})
      GOLF_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(pref, attr, &align, sizeof align));
    // Split-K partial sums are added in fp32 (the compute type), never in a bf16 output type: the INPLACE and
    // OUTPUT_TYPE schemes would round every partial sum of a bf16 activation to bf16. fp32 outputs allow all three
    // (INPLACE orders its additions by counters, so it stays deterministic).
    const uint32_t reduction = cd_type == CUDA_R_32F ? (uint32_t)CUBLASLT_REDUCTION_SCHEME_MASK
                                                     : (uint32_t)(CUBLASLT_REDUCTION_SCHEME_NONE |
                                                                  CUBLASLT_REDUCTION_SCHEME_COMPUTE_TYPE);
    GOLF_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_REDUCTION_SCHEME_MASK,
                                                           &reduction, sizeof reduction));
    GOLF_CUBLAS_CHECK(cublasLtMatmulAlgoGetHeuristic(handle_, plan->desc, plan->a, plan->b, plan->cd, plan->cd,
                                                     pref, 1, &result, &found));
    return Status::Ok();
  }();
  if (pref) cublasLtMatmulPreferenceDestroy(pref);
  if (!st.ok()) return st.prefix(where);
  if (found < 1 || result.state != CUBLAS_STATUS_SUCCESS)
    return Status(StatusCode::unsupported, where + "cuBLASLt has no algorithm for this shape (" +
                                               precision_name(precision_) + ")");
  plan->algo = result.algo;
  plan->workspace = result.workspaceSize;
  plans_.push_back(plan.release());
  return Status::Ok();
}

Status GemmContext::run(const GemmShape& s, const void* A, const void* B, const void* C, void* D,
                        cudaStream_t stream) const {
  const Plan* p = find(s);
  if (!p)
    return named(Status(StatusCode::invalid_argument, "not planned at setup (GemmContext::init/add)"), s);
  if (s.beta == 0.0f) C = D;  // not read; cuBLASLt still wants a valid pointer
  if (!A || !B || !C || !D || !aligned(A) || !aligned(B) || !aligned(C) || !aligned(D))
    return named(Status(StatusCode::invalid_argument, "a null pointer or one not aligned to 16 bytes"), s);
  const float alpha = s.alpha, beta = s.beta;
  Status st = [&]() -> Status {
    GOLF_CUBLAS_CHECK(cublasLtMatmul(handle_, p->desc, &alpha, B, p->a, A, p->b, &beta, C, p->cd, D, p->cd,
                                     &p->algo, workspace_, workspace_bytes_, stream));
    return Status::Ok();
  }();
  return named(st, s);
}

// ---- the linear layers ----------------------------------------------------------------------------------------------

namespace {

template <typename T>
Status check_type(const GemmContext& ctx, const char* fn) {
  const bool want_fp32 = std::is_same_v<T, float>;
  if (want_fp32 != (ctx.precision() == Precision::fp32))
    return Status(StatusCode::invalid_argument, std::string(fn) + ": " + (want_fp32 ? "fp32" : "bf16") +
                                                    " tensors with a " + precision_name(ctx.precision()) +
                                                    " GEMM context");
  return Status::Ok();
}

}  // namespace

template <typename T>
Status linear_forward(T* out, const T* in, const T* weight, int N, int in_dim, int out_dim, const GemmContext& ctx,
                      cudaStream_t stream) {
  GOLF_RETURN_IF_ERROR(check_type<T>(ctx, "linear_forward"));
  return ctx.run(linear_forward_shape(N, in_dim, out_dim), in, weight, nullptr, out, stream).prefix("linear_forward: ");
}

template <typename T>
Status linear_backward(T* din, float* dweight, const T* dout, const T* in, const T* weight, int N, int in_dim,
                       int out_dim, bool accumulate_din, const GemmContext& ctx, cudaStream_t stream) {
  GOLF_RETURN_IF_ERROR(check_type<T>(ctx, "linear_backward"));
  if (din)
    GOLF_RETURN_IF_ERROR(ctx.run(linear_backward_dx_shape(N, in_dim, out_dim, accumulate_din), dout, weight, din, din,
                                 stream)
                             .prefix("linear_backward dX: "));
  return ctx.run(linear_backward_dw_shape(N, in_dim, out_dim), dout, in, dweight, dweight, stream)
      .prefix("linear_backward dW: ");
}

template Status linear_forward<float>(float*, const float*, const float*, int, int, int, const GemmContext&,
                                      cudaStream_t);
template Status linear_forward<bf16>(bf16*, const bf16*, const bf16*, int, int, int, const GemmContext&,
                                     cudaStream_t);
template Status linear_backward<float>(float*, float*, const float*, const float*, const float*, int, int, int, bool,
                                       const GemmContext&, cudaStream_t);
template Status linear_backward<bf16>(bf16*, float*, const bf16*, const bf16*, const bf16*, int, int, int, bool,
                                      const GemmContext&, cudaStream_t);

}  // namespace golf::train_cuda
