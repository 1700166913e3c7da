// classifier.cu: the kernels of classifier.h. One block of kClsThreads per row; the row's z lives in dynamic
// shared memory (V floats). Max and sum: per-thread partials in column order, the warp butterfly, then the warps in
// order (classifier_math.h). The loss: one block, fixed order, double.
#include "classifier.h"

#include "classifier_math.h"  // defines: softcap_*, ce_*, kCls*
#include "row_util.cuh"       // defines: to_float, from_float, warp_sum, warp_max, bad_launch

namespace golf::train_cuda {
namespace {

// Every thread gets the block's reduction of v: warp butterfly, then the warps' values in warp order.
template <bool kMax>
__device__ __forceinline__ float block_reduce(float v, float* shared) {
  v = kMax ? warp_max(v) : warp_sum(v);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  __syncthreads();  // `shared` may still be read by a previous reduction
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  float r = shared[0];
  for (int w = 1; w < kClsWarps; w++) r = kMax ? fmaxf(r, shared[w]) : add_rn(r, shared[w]);
  return r;
}

// mode: 0 forward (z and lse out), 1 backward (z in, d raw out), 2 fused (raw in, d raw out).
template <typename T, int kMode>
__global__ void __launch_bounds__(kClsThreads)
    classifier_kernel(T* logits, float* lse_out, const float* lse_in, float* nll, const int32_t* targets, int V,
                      float cap, float dloss) {
  extern __shared__ float z[];
  __shared__ float red[kClsWarps];
  const int64_t row = blockIdx.x;
  T* x = logits + row * V;
  const float inv = softcap_inv(cap);
  float lse;
  if constexpr (kMode == 1) {
    lse = lse_in[row];
    for (int v = threadIdx.x; v < V; v += kClsThreads) z[v] = to_float(x[v]);
  } else {
    float m = -INFINITY;
    for (int v = threadIdx.x; v < V; v += kClsThreads) {
      const float zv = softcap_value(to_float(x[v]), cap, inv);
      z[v] = zv;
      m = fmaxf(m, zv);
    }
    m = block_reduce<true>(m, red);
    float s = 0.0f;
    for (int v = threadIdx.x; v < V; v += kClsThreads) s = add_rn(s, ce_exp(z[v], m));
    lse = ce_lse(m, block_reduce<false>(s, red));
    if (threadIdx.x == 0) lse_out[row] = lse;
  }
  __syncthreads();  // z complete before any thread reads the target's entry
  const int t = targets ? targets[row] : -1;
  if (kMode != 1 && t >= 0 && threadIdx.x == 0 && nll) nll[row] = ce_nll(lse, z[t]);
  if constexpr (kMode == 0) {
    for (int v = threadIdx.x; v < V; v += kClsThreads) x[v] = from_float<T>(z[v]);
  } else {
    for (int v = threadIdx.x; v < V; v += kClsThreads) {
      float g = ce_grad(z[v], lse, cap, inv, dloss);
      if (v == t) g = sub_rn(g, ce_target_term(z[v], cap, dloss));
      x[v] = from_float<T>(g);
    }
  }
}

__global__ void __launch_bounds__(kClsLossThreads) classifier_loss_kernel(double* loss, const float* nll, int N) {
  __shared__ double part[kClsLossThreads];
  double s = 0;
  for (int i = threadIdx.x; i < N; i += kClsLossThreads) s = dadd_rn(s, (double)nll[i]);
  part[threadIdx.x] = s;
  __syncthreads();
  if (threadIdx.x != 0) return;
  double total = 0;
  for (int k = 0; k < kClsLossThreads; k++) total = dadd_rn(total, part[k]);
  *loss = total / N;
}

template <typename T, int kMode>
Status classifier_launch(const char* fn, T* logits, float* lse_out, const float* lse_in, float* nll, double* loss,
                         const int32_t* targets, int N, int V, float cap, float dloss, cudaStream_t stream) {
  if (N < 0 || V < 1 || V > kClsMaxVocab)
    return bad_launch(fn, "N must be >= 0 and V in [1, " + std::to_string(kClsMaxVocab) + "]");
  if (!(cap >= 0.0f)) return bad_launch(fn, "cap must be >= 0");
  if (N == 0) return Status::Ok();
  if (!logits || (kMode == 1 ? !lse_in : !lse_out)) return bad_launch(fn, "null pointer");
  if (kMode != 0 && !targets) return bad_launch(fn, "targets are required");
  if (loss && (!nll || !targets)) return bad_launch(fn, "the loss needs targets and nll");
  classifier_kernel<T, kMode><<<(unsigned)N, kClsThreads, (size_t)V * sizeof(float), stream>>>(
      logits, lse_out, lse_in, nll, targets, V, cap, dloss);
  GOLF_CUDA_CHECK(cudaGetLastError());
  if (loss) {
    classifier_loss_kernel<<<1, kClsLossThreads, 0, stream>>>(loss, nll, N);
    GOLF_CUDA_CHECK(cudaGetLastError());
  }
  return Status::Ok();
}

}  // namespace

template <typename T>
Status softcap_cross_entropy_forward(T* logits, float* lse, float* nll, double* loss, const int32_t* targets, int N,
                                     int V, float cap, cudaStream_t stream) {
  return classifier_launch<T, 0>("softcap_cross_entropy_forward", logits, lse, nullptr, targets ? nll : nullptr, loss,
                                 targets, N, V, cap, 0.0f, stream);
}

template <typename T>
Status softcap_cross_entropy_backward(T* logits, const float* lse, const int32_t* targets, int N, int V, float cap,
                                      float dloss, cudaStream_t stream) {
  return classifier_launch<T, 1>("softcap_cross_entropy_backward", logits, nullptr, lse, nullptr, nullptr, targets, N,
                                 V, cap, dloss, stream);
}

template <typename T>
Status softcap_cross_entropy_fused(T* logits, float* lse, float* nll, double* loss, const int32_t* targets, int N,
                                   int V, float cap, float dloss, cudaStream_t stream) {
  return classifier_launch<T, 2>("softcap_cross_entropy_fused", logits, lse, nullptr, nll, loss, targets, N, V, cap,
                                 dloss, stream);
}

#define GOLF_CLASSIFIER_INSTANTIATE(T)                                                                                \
  template Status softcap_cross_entropy_forward<T>(T*, float*, float*, double*, const int32_t*, int, int, float,      \
                                                   cudaStream_t);                                                     \
  template Status softcap_cross_entropy_backward<T>(T*, const float*, const int32_t*, int, int, float, float,         \
                                                    cudaStream_t);                                                    \
  template Status softcap_cross_entropy_fused<T>(T*, float*, float*, double*, const int32_t*, int, int, float, float, \
                                                 cudaStream_t);
GOLF_CLASSIFIER_INSTANTIATE(float)
GOLF_CLASSIFIER_INSTANTIATE(bf16)

}  // namespace golf::train_cuda
