// residual.cu: the kernels of residual.h. Element kernels: one thread per element (grid-stride), the channel c =
// i mod d. Column sums: stage 1, block (128 columns, chunk of kColsumChunkRows rows), each thread sums its column
// over the chunk's rows in order, in double; stage 2, one thread per column adds the chunks in order into the fp32
// gradient (stage 1 in colsum.cuh). Arithmetic in residual_math.h.
#include "residual.h"

#include "colsum.cuh"       // defines: colsum_partial, kColsumColumns
#include "residual_math.h"  // defines: resid_mix_value, scaled_add_value, channel_scale_grad*, colsum_*
#include "row_util.cuh"     // defines: to_float, from_float, bad_launch, elementwise_blocks

namespace golf::train_cuda {
namespace {

constexpr int kThreads = 256;

__global__ void __launch_bounds__(kColsumColumns)
    colsum_finish_kernel(float* acc, const double* partial, int chunks, int cols) {
  const int c = blockIdx.x * kColsumColumns + threadIdx.x;
  if (c >= cols) return;
  double s = 0;
  for (int k = 0; k < chunks; k++) s = dadd_rn(s, partial[(int64_t)k * cols + c]);
  acc[c] = colsum_finish(acc[c], s);
}

template <typename T>
__global__ void __launch_bounds__(kThreads)
    resid_mix_forward_kernel(T* out, const T* x, const T* x0, const float* mix, int64_t n, int d) {
  for (int64_t i = (int64_t)blockIdx.x * kThreads + threadIdx.x; i < n; i += (int64_t)gridDim.x * kThreads) {
    const int c = (int)(i % d);
    out[i] = from_float<T>(resid_mix_value(mix[c], to_float(x[i]), mix[d + c], to_float(x0[i])));
  }
}

// resid_mix's backward in one pass over the rows: both column sums (Σ dout·x into partial[0], Σ dout·x0 into
// partial[1], each (chunks, cols)) and the element gradients dx0 += dout·mix1, dx = dout·mix0.
template <typename T>
__global__ void __launch_bounds__(kColsumColumns)
    resid_mix_backward_kernel(double* partial, T* dx, T* dx0, const T* dout, const T* x, const T* x0, const float* mix,
                              int rows, int cols) {
  const int c = blockIdx.x * kColsumColumns + threadIdx.x;
  if (c >= cols) return;
  const int r0 = blockIdx.y * kColsumChunkRows, r1 = min(rows, r0 + kColsumChunkRows);
  const float m0 = mix[c], m1 = mix[cols + c];
  double s0 = 0, s1 = 0;
  for (int r = r0; r < r1; r++) {
    const int64_t i = (int64_t)r * cols + c;
    const float g = to_float(dout[i]);
    s0 = dadd_rn(s0, colsum_term(g, to_float(x[i])));
    s1 = dadd_rn(s1, colsum_term(g, to_float(x0[i])));
    dx0[i] = from_float<T>(channel_scale_grad_add(to_float(dx0[i]), g, m1));
    dx[i] = from_float<T>(channel_scale_grad(g, m0));  // dx may alias dout: g has been read
  }
  partial[(int64_t)blockIdx.y * cols + c] = s0;
  partial[((int64_t)gridDim.y + blockIdx.y) * cols + c] = s1;
}

// scaled_add's element gradient, run inside the column sum of dscale.
template <typename T>
struct ScaledAddGrad {
  T* dy;
  const float* scale;
  bool accumulate;
  __device__ void operator()(int64_t i, int c, float g) const {
    dy[i] = from_float<T>(accumulate ? channel_scale_grad_add(to_float(dy[i]), g, scale[c])
                                     : channel_scale_grad(g, scale[c]));
  }
};

template <typename T>
__global__ void __launch_bounds__(kThreads)
    scaled_add_forward_kernel(T* out, const T* x, const float* scale, const T* y, int64_t n, int d) {
  for (int64_t i = (int64_t)blockIdx.x * kThreads + threadIdx.x; i < n; i += (int64_t)gridDim.x * kThreads)
    out[i] = from_float<T>(scaled_add_value(to_float(x[i]), scale[i % d], to_float(y[i])));
}

Status check_shape(const char* fn, int rows, int cols) {
  if (rows < 0 || cols < 1) return bad_launch(fn, "rows must be >= 0 and cols >= 1");
  if (colsum_chunks(rows) > 65535) return bad_launch(fn, "rows exceed the column sum's grid limit (65535 chunks)");
  return Status::Ok();
}

bool all(std::initializer_list<const void*> ps) {
  for (const void* p : ps)
    if (!p) return false;
  return true;
}

}  // namespace

size_t colsum_scratch_doubles(int rows, int cols) {
  return rows <= 0 || cols <= 0 ? 1 : 2 * (size_t)colsum_chunks(rows) * (size_t)cols;
}

template <typename T>
Status colsum_mul_add(float* acc, const T* a, const T* b, int rows, int cols, double* scratch, cudaStream_t stream) {
  GOLF_RETURN_IF_ERROR(check_shape("colsum_mul_add", rows, cols));
  if (rows == 0) return Status::Ok();
  if (!all({acc, a, b, scratch})) return bad_launch("colsum_mul_add", "null pointer");
  const int chunks = colsum_chunks(rows);
  const unsigned col_blocks = (unsigned)ceil_div(cols, kColsumColumns);
  GOLF_RETURN_IF_ERROR(colsum_partial<T>(scratch, a, b, rows, cols, stream));
  colsum_finish_kernel<<<col_blocks, kColsumColumns, 0, stream>>>(acc, scratch, chunks, cols);
  GOLF_CUDA_CHECK(cudaGetLastError());
  return Status::Ok();
}

template <typename T>
Status resid_mix_forward(T* out, const T* x, const T* x0, const float* mix, int N, int d, cudaStream_t stream) {
  GOLF_RETURN_IF_ERROR(check_shape("resid_mix_forward", N, d));
  if (N == 0) return Status::Ok();
  if (!all({out, x, x0, mix})) return bad_launch("resid_mix_forward", "null pointer");
  const int64_t n = (int64_t)N * d;
  resid_mix_forward_kernel<T><<<elementwise_blocks(n, kThreads), kThreads, 0, stream>>>(out, x, x0, mix, n, d);
  GOLF_CUDA_CHECK(cudaGetLastError());
  return Status::Ok();
}

template <typename T>
Status resid_mix_backward(T* dx, T* dx0, float* dmix, const T* dout, const T* x, const T* x0, const float* mix, int N,
                          int d, double* scratch, cudaStream_t stream) {
  GOLF_RETURN_IF_ERROR(check_shape("resid_mix_backward", N, d));
  if (N == 0) return Status::Ok();
  if (!all({dx, dx0, dmix, dout, x, x0, mix, scratch})) return bad_launch("resid_mix_backward", "null pointer");
  const int chunks = colsum_chunks(N);
  const unsigned col_blocks = (unsigned)ceil_div(d, kColsumColumns);
  resid_mix_backward_kernel<T>
      <<<dim3(col_blocks, (unsigned)chunks), kColsumColumns, 0, stream>>>(scratch, dx, dx0, dout, x, x0, mix, N, d);
  GOLF_CUDA_CHECK(cudaGetLastError());
  colsum_finish_kernel<<<col_blocks, kColsumColumns, 0, stream>>>(dmix, scratch, chunks, d);
  GOLF_CUDA_CHECK(cudaGetLastError());
  colsum_finish_kernel<<<col_blocks, kColsumColumns, 0, stream>>>(dmix + d, scratch + (size_t)chunks * d, chunks, d);
  GOLF_CUDA_CHECK(cudaGetLastError());
  return Status::Ok();
}

template <typename T>
Status scaled_add_forward(T* out, const T* x, const float* scale, const T* y, int N, int d, cudaStream_t stream) {
  GOLF_RETURN_IF_ERROR(check_shape("scaled_add_forward", N, d));
  if (N == 0) return Status::Ok();
  if (!all({out, x, scale, y})) return bad_launch("scaled_add_forward", "null pointer");
  const int64_t n = (int64_t)N * d;
  scaled_add_forward_kernel<T><<<elementwise_blocks(n, kThreads), kThreads, 0, stream>>>(out, x, scale, y, n, d);
  GOLF_CUDA_CHECK(cudaGetLastError());
  return Status::Ok();
}

template <typename T>
Status scaled_add_backward(T* dy, float* dscale, const T* dout, const T* y, const float* scale, int N, int d,
                           bool accumulate_dy, double* scratch, cudaStream_t stream) {
  GOLF_RETURN_IF_ERROR(check_shape("scaled_add_backward", N, d));
  if (N == 0) return Status::Ok();
  if (!all({dy, dscale, dout, y, scale, scratch})) return bad_launch("scaled_add_backward", "null pointer");
  const int chunks = colsum_chunks(N);
  GOLF_RETURN_IF_ERROR(colsum_partial<T>(scratch, dout, y, N, d, stream, ScaledAddGrad<T>{dy, scale, accumulate_dy}));
  colsum_finish_kernel<<<(unsigned)ceil_div(d, kColsumColumns), kColsumColumns, 0, stream>>>(dscale, scratch, chunks,
                                                                                             d);
  GOLF_CUDA_CHECK(cudaGetLastError());
  return Status::Ok();
}

#define GOLF_RESIDUAL_INSTANTIATE(T)                                                                                   \
  template Status colsum_mul_add<T>(float*, const T*, const T*, int, int, double*, cudaStream_t);                      \
  template Status resid_mix_forward<T>(T*, const T*, const T*, const float*, int, int, cudaStream_t);                  \
  template Status resid_mix_backward<T>(T*, T*, float*, const T*, const T*, const T*, const float*, int, int, double*, \
                                        cudaStream_t);                                                                 \
  template Status scaled_add_forward<T>(T*, const T*, const float*, const T*, int, int, cudaStream_t);                 \
  template Status scaled_add_backward<T>(T*, float*, const T*, const T*, const float*, int, int, bool, double*,        \
                                         cudaStream_t);
GOLF_RESIDUAL_INSTANTIATE(float)
GOLF_RESIDUAL_INSTANTIATE(bf16)

}  // namespace golf::train_cuda
