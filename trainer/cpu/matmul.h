// matmul.h: the CPU trainer's matrix products, all through OpenBLAS cblas_sgemm, and the thread setup.
// Threading model: ONE pool, OpenMP's. OpenBLAS is pinned to 1 thread and each product is split into row slices,
// one sgemm per OpenMP thread; this keeps OpenBLAS's own pthread pool from spinning against OpenMP's on few cores,
// and lets attention call single-threaded sgemm from inside its (batch x head) OpenMP loop. Results are bitwise
// reproducible for a fixed thread count; another thread count changes the slices, so OpenBLAS may pick other
// kernels and the low bits of the products change (parity tests allow for it).
#pragma once

namespace golf::train_cpu {

// Sets the OpenMP thread count (<= 0: leave OpenMP's default) and pins OpenBLAS to one thread.
void threads_init(int num_threads);
int threads_count();

// C (M, N) = alpha·op(A)·op(B) + beta·C, row-major, op = transpose when the flag is set, as cblas_sgemm. With
// `parallel`, M is split into one slice per OpenMP thread (call it outside parallel regions); otherwise one
// single-threaded call (for use inside a parallel region).
void gemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A, int lda, const float* B,
          int ldb, float beta, float* C, int ldc, bool parallel = true);

// Symmetric product C (M, M) = alpha·op(A)·op(A)ᵀ + beta·C (op = transpose when ta; A is (M, K), or (K, M) with
// ta), computing only the upper triangle (half the FLOPs of gemm) and mirroring it, with beta applied to the upper
// triangle's old values (so C must be symmetric on entry when beta != 0). Parallel over row blocks, or
// single-threaded when called inside a parallel region.
void syrk_upper(bool ta, int M, int K, float alpha, const float* A, int lda, float beta, float* C, int ldc);

// A linear layer y = x·Wᵀ, W stored [out, in] as in PyTorch.
// out (N, out_dim) = in (N, in_dim) · weight (out_dim, in_dim)ᵀ
void linear_forward(float* out, const float* in, const float* weight, int N, int in_dim, int out_dim);
// din (N, in_dim) = dout·W (+= when accumulate_din; din may be nullptr to skip it);
// dweight (out_dim, in_dim) += doutᵀ·in (always accumulates, for gradient accumulation).
void linear_backward(float* din, float* dweight, const float* dout, const float* in, const float* weight, int N,
                     int in_dim, int out_dim, bool accumulate_din);

// Test hook: when set, linear_forward and linear_backward report every gemm they issue, with its cblas arguments,
// before running it (tests/trainer/cuda checks the CUDA trainer's GEMM plan against the calls model.cpp makes).
// Not thread-safe; null (the default) costs one branch per linear call.
struct LinearGemmCall {
  bool trans_a, trans_b;
  int M, N, K, lda, ldb, ldc;
  float alpha, beta;
  const float* A;
  const float* B;
  float* C;
};
using LinearGemmHook = void (*)(const LinearGemmCall& call, void* user);
void linear_gemm_hook_set(LinearGemmHook hook, void* user);

}  // namespace golf::train_cpu
