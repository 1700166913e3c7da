// attention_past.cu: attention over the KV cache (attention_past.h), the arithmetic of attention_past_math.h. One
// warp per (query, head): each lane takes every 32nd key with an online softmax of its own (running max, sum and the
// weighted sum of values, in fp32 registers), then the lanes merge in a fixed butterfly order, so the same inputs
// give the same bits.
#include "attention_past.h"

#include "attention_past_math.h"  // defines: past_score, past_lane_step, past_lane_weight, kPastLanes

namespace golf::runtime_cuda {
namespace {

template <typename T, int HD>
__global__ void __launch_bounds__(kPastLanes)
    attention_past_kernel(T* out, const T* q, const T* k, const T* v, int past, int H, int KV, float scale) {
  const int i = blockIdx.x, h = blockIdx.y, lane = threadIdx.x;
  const int g = h / (H / KV), qd = H * HD, kd = KV * HD, n_keys = past + i + 1;
  __shared__ float qs[HD];
  for (int e = lane; e < HD; e += kPastLanes) qs[e] = (float)q[(size_t)i * qd + (size_t)h * HD + e];
  __syncwarp();
  float m = -INFINITY, l = 0.0f, acc[HD];
#pragma unroll
  for (int e = 0; e < HD; e++) acc[e] = 0.0f;
  for (int j = lane; j < n_keys; j += kPastLanes) {
    const size_t row = (size_t)j * kd + (size_t)g * HD;
    past_lane_step<T, HD>(past_score<T, HD>(qs, k + row, scale), v + row, &m, &l, acc);
  }
  float m_all = m;
  for (int o = kPastLanes / 2; o > 0; o /= 2) m_all = fmaxf(m_all, __shfl_xor_sync(0xffffffffu, m_all, o));
  const float w = past_lane_weight(m, m_all);
  float l_all = l * w;
  for (int o = kPastLanes / 2; o > 0; o /= 2) l_all += __shfl_xor_sync(0xffffffffu, l_all, o);
  T* oi = out + (size_t)i * qd + (size_t)h * HD;
#pragma unroll
  for (int e = 0; e < HD; e++) {
    float a = acc[e] * w;
    for (int o = kPastLanes / 2; o > 0; o /= 2) a += __shfl_xor_sync(0xffffffffu, a, o);
    if (lane == e % kPastLanes) oi[e] = (T)(a / l_all);
  }
}

}  // namespace

template <typename T>
Status attention_past(T* out, const T* q, const T* k, const T* v, int past, int M, int H, int KV, int hd, float scale,
                      cudaStream_t stream) {
  if (M <= 0) return Status::Ok();
  if (past < 0 || H <= 0 || KV <= 0 || H % KV != 0 || (hd != 32 && hd != 64))
    return Status(StatusCode::invalid_argument, "attention_past: needs past >= 0, KV dividing H and head_dim 32 or 64");
  const dim3 grid((unsigned)M, (unsigned)H);
  if (hd == 32)
    attention_past_kernel<T, 32><<<grid, kPastLanes, 0, stream>>>(out, q, k, v, past, H, KV, scale);
  else
    attention_past_kernel<T, 64><<<grid, kPastLanes, 0, stream>>>(out, q, k, v, past, H, KV, scale);
  GOLF_CUDA_CHECK(cudaGetLastError());
  return Status::Ok();
}

template Status attention_past<float>(float*, const float*, const float*, const float*, int, int, int, int, int, float,
                                      cudaStream_t);
template Status attention_past<train_cuda::bf16>(train_cuda::bf16*, const train_cuda::bf16*, const train_cuda::bf16*,
                                                 const train_cuda::bf16*, int, int, int, int, int, float, cudaStream_t);

}  // namespace golf::runtime_cuda
