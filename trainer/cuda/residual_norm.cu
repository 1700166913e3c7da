// residual_norm.cu: the fused kernels of residual_norm.h. One warp per row, 8 rows per block: lane l computes the
// residual value of the columns l, l + 32, ... (residual_math.h), stores it and sums its square in double; the warp
// butterfly gives rstd; a second pass recomputes the same values from the inputs (the same bits, from L1/L2, so
// the norm sees the fp32 value in bf16 mode too) and writes the normalised row.
#include "residual_norm.h"

#include "residual_math.h"  // defines: resid_mix_value, scaled_add_value
#include "rms_norm_math.h"  // defines: rms_term, rms_rstd
#include "row_util.cuh"     // defines: to_float, from_float, warp_sum, bad_launch

namespace golf::train_cuda {
namespace {

constexpr int kWarps = 8;

// The residual value of element (row, c) for each op.
template <typename T>
struct ResidMix {
  const T* x;
  const T* x0;
  const float* mix;
  int d;
  __device__ float operator()(int64_t i, int c) const {
    return resid_mix_value(mix[c], to_float(x[i]), mix[d + c], to_float(x0[i]));
  }
};
template <typename T>
struct ScaledAdd {
  const T* x;
  const float* scale;
  const T* y;
  __device__ float operator()(int64_t i, int c) const {
    return scaled_add_value(to_float(x[i]), scale[c], to_float(y[i]));
  }
};

template <typename T, typename Op>
__global__ void __launch_bounds__(kWarps * 32)
    residual_norm_kernel(T* res, T* xn, float* rstd, Op op, int rows, int d, float eps) {
  const int64_t row = (int64_t)blockIdx.x * kWarps + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (row >= rows) return;  // whole warps leave together
  const int64_t base = row * d;
  double ss = 0;
  for (int c = lane; c < d; c += 32) {
    const float v = op(base + c, c);
    ss = dadd_rn(ss, rms_term(v, v));
  }
  const float s = rms_rstd(warp_sum(ss), d, eps);
  if (lane == 0) rstd[row] = s;
  // Recompute, then write: `res` may alias an input (out = x + ...), so nothing is stored before every lane of the
  // row has read it, and each lane rereads only the elements it alone writes.
  for (int c = lane; c < d; c += 32) {
    const float v = op(base + c, c);
    res[base + c] = from_float<T>(v);
    xn[base + c] = from_float<T>(mul_rn(v, s));
  }
}

Status check(const char* fn, int N, int d, std::initializer_list<const void*> ptrs) {
  if (N < 0 || d < 1) return bad_launch(fn, "N must be >= 0 and d >= 1");
  if (N > 0)
    for (const void* p : ptrs)
      if (!p) return bad_launch(fn, "null pointer");
  return Status::Ok();
}

}  // namespace

template <typename T>
Status resid_mix_rms_norm_forward(T* xm, T* xn, float* rstd, const T* x, const T* x0, const float* mix, int N, int d,
                                  float eps, cudaStream_t stream) {
  GOLF_RETURN_IF_ERROR(check("resid_mix_rms_norm_forward", N, d, {xm, xn, rstd, x, x0, mix}));
  if (N == 0) return Status::Ok();
  residual_norm_kernel<T>
      <<<(unsigned)ceil_div(N, kWarps), kWarps * 32, 0, stream>>>(xm, xn, rstd, ResidMix<T>{x, x0, mix, d}, N, d, eps);
  GOLF_CUDA_CHECK(cudaGetLastError());
  return Status::Ok();
}

template <typename T>
Status scaled_add_rms_norm_forward(T* out, T* xn, float* rstd, const T* x, const float* scale, const T* y, int N, int d,
                                   float eps, cudaStream_t stream) {
  GOLF_RETURN_IF_ERROR(check("scaled_add_rms_norm_forward", N, d, {out, xn, rstd, x, scale, y}));
  if (N == 0) return Status::Ok();
  residual_norm_kernel<T>
      <<<(unsigned)ceil_div(N, kWarps), kWarps * 32, 0, stream>>>(out, xn, rstd, ScaledAdd<T>{x, scale, y}, N, d, eps);
  GOLF_CUDA_CHECK(cudaGetLastError());
  return Status::Ok();
}

#define GOLF_RESIDUAL_NORM_INSTANTIATE(T)                                                                           \
  template Status resid_mix_rms_norm_forward<T>(T*, T*, float*, const T*, const T*, const float*, int, int, float,  \
                                                cudaStream_t);                                                      \
  template Status scaled_add_rms_norm_forward<T>(T*, T*, float*, const T*, const float*, const T*, int, int, float, \
                                                 cudaStream_t);
GOLF_RESIDUAL_NORM_INSTANTIATE(float)
GOLF_RESIDUAL_NORM_INSTANTIATE(bf16)

}  // namespace golf::train_cuda
