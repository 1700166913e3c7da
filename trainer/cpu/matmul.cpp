// matmul.cpp: sgemm split across OpenMP threads; linear layer forward/backward.
#include "matmul.h"

#include <cblas.h>  // OpenBLAS: cblas_sgemm, openblas_set_num_threads
#include <omp.h>

#include <algorithm>

namespace golf::train_cpu {

void threads_init(int num_threads) {
  if (num_threads > 0) omp_set_num_threads(num_threads);
  openblas_set_num_threads(1);
}

int threads_count() { return omp_get_max_threads(); }

static void sgemm1(bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda, const float* B, int ldb,
                   float beta, float* C, int ldc) {
  if (M <= 0 || N <= 0) return;
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda, B,
              ldb, beta, C, ldc);
}

void gemm(bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda, const float* B, int ldb,
          float beta, float* C, int ldc, bool parallel) {
  // Small products are not worth waking the pool (about 2 MFLOP per slice is the break-even seen on 2 cores).
  if (!parallel || omp_in_parallel() || (double)M * N * K < 1e6 || omp_get_max_threads() == 1) {
    sgemm1(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  // Two slices per thread (multiples of 16 rows, at least 32), handed out dynamically: a thread that the OS
  // preempts (cores shared with other jobs) then delays the product by half its share, not all of it. Each slice
  // re-packs B inside OpenBLAS; measured on 2 cores, 2 slices per thread cost 2-5% against 1 (one thread ~100
  // GFLOP/s, two ~200), 4 per thread 5-20%.
  const int nt = omp_get_max_threads();
  int rows = ((M + 2 * nt - 1) / (2 * nt) + 15) / 16 * 16;
  rows = std::max(rows, 32);
  const int nslices = (M + rows - 1) / rows;
#pragma omp parallel for schedule(dynamic, 1)
  for (int sl = 0; sl < nslices; sl++) {
    int m0 = sl * rows, m1 = std::min(M, m0 + rows);
    // Row m of op(A) is row m of A (NoTrans) or column m of A (Trans).
    const float* a = ta ? A + m0 : A + (size_t)m0 * lda;
    sgemm1(ta, tb, m1 - m0, N, K, alpha, a, lda, B, ldb, beta, C + (size_t)m0 * ldc, ldc);
  }
}

void syrk_upper(bool ta, int M, int K, float alpha, const float* A, int lda, float beta, float* C, int ldc) {
  // Upper triangle by row blocks: block [i0, i1) computes C[i0:i1, i0:M] = op(A)[i0:i1]·op(A)[i0:M]ᵀ, about half
  // of a full product; blocks are dynamic and the first (largest) ones start first.
  constexpr int kRows = 64;
  const int nblocks = (M + kRows - 1) / kRows;
#pragma omp parallel for schedule(dynamic, 1) if (!omp_in_parallel() && (double)M * M * K > 2e6)
  for (int blk = 0; blk < nblocks; blk++) {
    int i0 = blk * kRows, i1 = std::min(M, i0 + kRows);
    const float* a = ta ? A + i0 : A + (size_t)i0 * lda;  // rows i0.. of op(A)
    sgemm1(ta, !ta, i1 - i0, M - i0, K, alpha, a, lda, a, lda, beta, C + (size_t)i0 * ldc + i0, ldc);
  }
  // Mirror into the lower triangle.
#pragma omp parallel for schedule(static) if (!omp_in_parallel() && M >= 256)
  for (int i = 1; i < M; i++)
    for (int j = 0; j < i; j++) C[(size_t)i * ldc + j] = C[(size_t)j * ldc + i];
}

static LinearGemmHook g_linear_hook = nullptr;
static void* g_linear_hook_user = nullptr;

void linear_gemm_hook_set(LinearGemmHook hook, void* user) {
  g_linear_hook = hook;
  g_linear_hook_user = user;
}

// The gemm of a linear layer, reported to the test hook first.
static void linear_gemm(bool ta, bool tb, int M, int N, int K, const float* A, int lda, const float* B, int ldb,
                        float beta, float* C, int ldc) {
  if (g_linear_hook) g_linear_hook({ta, tb, M, N, K, lda, ldb, ldc, 1.0f, beta, A, B, C}, g_linear_hook_user);
  gemm(ta, tb, M, N, K, 1.0f, A, lda, B, ldb, beta, C, ldc);
}

void linear_forward(float* out, const float* in, const float* weight, int N, int in_dim, int out_dim) {
  linear_gemm(false, true, N, out_dim, in_dim, in, in_dim, weight, in_dim, 0.0f, out, out_dim);
}

void linear_backward(float* din, float* dweight, const float* dout, const float* in, const float* weight, int N,
                     int in_dim, int out_dim, bool accumulate_din) {
  if (din) linear_gemm(false, false, N, in_dim, out_dim, dout, out_dim, weight, in_dim, accumulate_din ? 1.0f : 0.0f,
                       din, in_dim);
  // dweight = doutᵀ (out_dim, N) · in (N, in_dim): split over out_dim rows.
  linear_gemm(true, false, out_dim, in_dim, N, dout, out_dim, in, in_dim, 1.0f, dweight, in_dim);
}

}  // namespace golf::train_cpu
