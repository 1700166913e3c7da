// colsum.cuh: stage 1 of the fixed-order column sums (rows_math.h), shared by residual.cu (per-channel gradients)
// and rope.cu (q_gain's per-head gradient): block (128 columns, chunk of kColsumChunkRows rows); each thread sums
// a[r, c]·b[r, c] over its chunk's rows in order, in double, into partial (chunks, cols), and may do the backward's
// element work on the same pass. Included by .cu files only.
#pragma once
#include "residual_math.h"  // defines: colsum_term
#include "row_util.cuh"     // defines: to_float

namespace golf::train_cuda {

constexpr int kColsumColumns = 128;

// The element work a backward does on the same rows, run inside stage 1 on the element the thread has just read
// (index i, column c, g = a[i]), so the gradient is read once: none for a plain column sum.
struct NoElementWork {
  __device__ void operator()(int64_t, int, float) const {}
};

template <typename T, typename Work>
__global__ void __launch_bounds__(kColsumColumns)
    colsum_partial_kernel(double* partial, const T* a, const T* b, int rows, int cols, Work work) {
  const int c = blockIdx.x * kColsumColumns + threadIdx.x;
  if (c >= cols) return;
  const int r0 = blockIdx.y * kColsumChunkRows, r1 = min(rows, r0 + kColsumChunkRows);
  double s = 0;
  for (int r = r0; r < r1; r++) {
    const int64_t i = (int64_t)r * cols + c;
    const float g = to_float(a[i]);
    s = dadd_rn(s, colsum_term(g, to_float(b[i])));
    work(i, c, g);  // may overwrite a[i] (an in-place gradient): it has been read
  }
  partial[(int64_t)blockIdx.y * cols + c] = s;
}

// Enqueues stage 1 for (rows, cols), with `work` on every element; partial: colsum_chunks(rows)·cols doubles.
template <typename T, typename Work = NoElementWork>
Status colsum_partial(double* partial, const T* a, const T* b, int rows, int cols, cudaStream_t stream,
                      Work work = Work()) {
  const dim3 grid((unsigned)ceil_div(cols, kColsumColumns), (unsigned)colsum_chunks(rows));
  colsum_partial_kernel<T, Work><<<grid, kColsumColumns, 0, stream>>>(partial, a, b, rows, cols, work);
  GOLF_CUDA_CHECK(cudaGetLastError());
  return Status::Ok();
}

}  // namespace golf::train_cuda
