// rms_norm.cu: the weightless RMSNorm kernels of rms_norm.h. One warp per row, 8 rows per block: lane l reads the
// columns l, l + 32, ... (coalesced), sums its terms in double, and the warp's butterfly gives every lane the row's
// statistic; the second pass re-reads the row (from L1/L2) and writes it. Arithmetic in rms_norm_math.h.
#include "rms_norm.h"

#include "rms_norm_math.h"  // defines: rms_term, rms_rstd, rms_mean_dot, rms_backward_value
#include "row_util.cuh"     // defines: to_float, from_float, warp_sum, bad_launch

namespace golf::train_cuda {
namespace {

constexpr int kWarpsPerBlock = 8;

template <typename T>
__global__ void __launch_bounds__(kWarpsPerBlock* kRowLanes)
    rms_norm_forward_kernel(T* out, float* rstd, const T* in, int rows, int cols, float eps) {
  const int64_t row = (int64_t)blockIdx.x * kWarpsPerBlock + threadIdx.x / kRowLanes;
  const int lane = threadIdx.x % kRowLanes;
  if (row >= rows) return;  // whole warps leave together, so the shuffles below see all 32 lanes
  const T* x = in + row * cols;
  double ss = 0;
  for (int c = lane; c < cols; c += kRowLanes) {
    const float v = to_float(x[c]);
    ss = dadd_rn(ss, rms_term(v, v));
  }
  const float s = rms_rstd(warp_sum(ss), cols, eps);
  if (lane == 0) rstd[row] = s;
  T* y = out + row * cols;
  for (int c = lane; c < cols; c += kRowLanes) y[c] = from_float<T>(mul_rn(to_float(x[c]), s));
}

template <typename T>
__global__ void __launch_bounds__(kWarpsPerBlock* kRowLanes)
    rms_norm_backward_kernel(T* din, const T* dout, const T* y, const float* rstd, int rows, int cols,
                             bool accumulate) {
  const int64_t row = (int64_t)blockIdx.x * kWarpsPerBlock + threadIdx.x / kRowLanes;
  const int lane = threadIdx.x % kRowLanes;
  if (row >= rows) return;
  const T* dy = dout + row * cols;
  const T* yr = y + row * cols;
  double dot = 0;
  for (int c = lane; c < cols; c += kRowLanes) dot = dadd_rn(dot, rms_term(to_float(dy[c]), to_float(yr[c])));
  const float m = rms_mean_dot(warp_sum(dot), cols), s = rstd[row];
  T* dx = din + row * cols;
  for (int c = lane; c < cols; c += kRowLanes) {
    const float v = rms_backward_value(to_float(dy[c]), to_float(yr[c]), m, s);
    dx[c] = from_float<T>(accumulate ? add_rn(to_float(dx[c]), v) : v);
  }
}

Status check(const char* fn, const void* a, const void* b, const void* c, int rows, int cols) {
  if (rows < 0 || cols < 1) return bad_launch(fn, "rows must be >= 0 and cols >= 1");
  if (rows > 0 && (!a || !b || !c)) return bad_launch(fn, "null pointer");
  return Status::Ok();
}

}  // namespace

template <typename T>
Status rms_norm_forward(T* out, float* rstd, const T* in, int rows, int cols, float eps, cudaStream_t stream) {
  GOLF_RETURN_IF_ERROR(check("rms_norm_forward", out, rstd, in, rows, cols));
  if (rows == 0) return Status::Ok();
  rms_norm_forward_kernel<T><<<(unsigned)ceil_div(rows, kWarpsPerBlock), kWarpsPerBlock * kRowLanes, 0, stream>>>(
      out, rstd, in, rows, cols, eps);
  GOLF_CUDA_CHECK(cudaGetLastError());
  return Status::Ok();
}

template <typename T>
Status rms_norm_backward(T* din, const T* dout, const T* y, const float* rstd, int rows, int cols, bool accumulate,
                         cudaStream_t stream) {
  GOLF_RETURN_IF_ERROR(check("rms_norm_backward", din, dout, y, rows, cols));
  if (rows > 0 && !rstd) return bad_launch("rms_norm_backward", "null pointer");
  if (rows == 0) return Status::Ok();
  rms_norm_backward_kernel<T><<<(unsigned)ceil_div(rows, kWarpsPerBlock), kWarpsPerBlock * kRowLanes, 0, stream>>>(
      din, dout, y, rstd, rows, cols, accumulate);
  GOLF_CUDA_CHECK(cudaGetLastError());
  return Status::Ok();
}

template Status rms_norm_forward<float>(float*, float*, const float*, int, int, float, cudaStream_t);
template Status rms_norm_forward<bf16>(bf16*, float*, const bf16*, int, int, float, cudaStream_t);
template Status rms_norm_backward<float>(float*, const float*, const float*, const float*, int, int, bool,
                                         cudaStream_t);
template Status rms_norm_backward<bf16>(bf16*, const bf16*, const bf16*, const float*, int, int, bool, cudaStream_t);

}  // namespace golf::train_cuda
