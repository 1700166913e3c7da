// attention_fp32.cu: the fp32 attention kernels (--precision fp32) on CUDA cores, for 1e-5 parity with the CPU twin.
// The loop structure of attention_bf16.cu (the same blocks and row ownership, causal tile ranges, online softmax
// and masks from attention_math.h) with 32-row tiles: a block of 128 threads gives each row of its tile a quad (4
// consecutive lanes); thread `part` of the quad computes the scores of columns part, part + 4, ... and owns output
// columns part, part + 4, ..., so a row's maximum and sum are reduced inside the quad by two shuffles. Tiles are
// padded to hd + 1 floats per row, so the walks down a column hit 32 different banks.
#include "attention_kernels.h"  // defines: the launch declarations, kAttnTileFp32
#include "attention_math.h"     // defines: attn_* (causal tiles, online softmax, dot)

namespace golf::train_cuda {
namespace {

constexpr int kTile = kAttnTileFp32;  // query rows and key rows of a tile
constexpr int kParts = 4;             // threads per row
constexpr int kThreads = kTile * kParts;
constexpr int kCols = kTile / kParts;  // scores of a tile each thread computes
constexpr int kPLd = kTile + 1;        // row stride of the probability / dS tiles
constexpr unsigned kFullMask = 0xffffffffu;

// Copies rows [row0, row0 + kTile) of a token-major tensor (rows `ld` apart; `g` at the head's first column) into a
// tile with rows HD + 1 floats apart; rows ≥ T become zeros.
template <int HD>
__device__ __forceinline__ void tile_load(float* tile, const float* g, int64_t ld, int row0, int T) {
  static_assert(kTile * HD % kThreads == 0, "whole elements per thread");
#pragma unroll
  for (int i = 0; i < kTile * HD / kThreads; i++) {
    const int id = i * kThreads + threadIdx.x, r = id / HD, c = id % HD, t = row0 + r;
    tile[r * (HD + 1) + c] = t < T ? g[(int64_t)t * ld + c] : 0.0f;
  }
}

// Replaces the block's K and V tiles by rows [k0, k0 + kTile), between barriers: the previous tiles' readers are
// done before, and the new tiles are visible to the whole block after.
template <int HD>
__device__ __forceinline__ void kv_tiles_load(float* sK, float* sV, const float* K, const float* V, int64_t ldk, int k0,
                                              int T) {
  __syncthreads();
  tile_load<HD>(sK, K, ldk, k0, T);
  tile_load<HD>(sV, V, ldk, k0, T);
  __syncthreads();
}

// Reductions over the quad sharing a row (lanes 4i..4i+3): the order matches attn_quad_sum.
__device__ __forceinline__ float quad_max(float x) {
  x = fmaxf(x, __shfl_xor_sync(kFullMask, x, 1));
  return fmaxf(x, __shfl_xor_sync(kFullMask, x, 2));
}
__device__ __forceinline__ float quad_sum(float x) {
  x += __shfl_xor_sync(kFullMask, x, 1);
  return x + __shfl_xor_sync(kFullMask, x, 2);
}

// Writes this thread's output columns part, part + 4, ... of one row, times `mul`.
template <int HD>
__device__ __forceinline__ void store_row(float* dst, const float (&acc)[HD / kParts], float mul, int part) {
#pragma unroll
  for (int c = 0; c < HD / kParts; c++) dst[part + kParts * c] = acc[c] * mul;
}

// block = (batch, query head, query tile); streams key tiles 0..diagonal.
template <int HD>
__global__ void __launch_bounds__(kThreads)
    attention_forward_kernel(float* out, float* lse, const float* q, const float* k, const float* v,
                             const AttentionShape s) {
  constexpr int LD = HD + 1;
  __shared__ float sQ[kTile * LD], sK[kTile * LD], sV[kTile * LD], sP[kTile * kPLd];
  const int T = s.T, H = s.H, group = s.H / s.KV;
  const int b = blockIdx.x / H, h = blockIdx.x % H, kh = h / group;
  const int q0 = (gridDim.y - 1 - blockIdx.y) * kTile;  // the longest query tiles are scheduled first
  const int64_t ldq = (int64_t)H * HD, ldk = (int64_t)s.KV * HD;
  const float* K = k + (int64_t)b * T * ldk + kh * HD;  // (T, HD), stride ldk
  const float* V = v + (int64_t)b * T * ldk + kh * HD;
  const int r = threadIdx.x / kParts, part = threadIdx.x % kParts, row = q0 + r;
  const float scale_log2 = s.scale * kAttnLog2e;
  const int kend = attn_key_tiles_end(q0, kTile, kTile, T);

  tile_load<HD>(sQ, q + (int64_t)b * T * ldq + h * HD, ldq, q0, T);
  float o[HD / kParts] = {};
  float m = -INFINITY, l = 0.0f;  // l: this thread's share of the row sum
  for (int kt = 0; kt < kend; kt++) {
    const int k0 = kt * kTile;
    kv_tiles_load<HD>(sK, sV, K, V, ldk, k0, T);  // also: nobody still reads the previous P
    const bool mask = attn_tile_needs_mask(q0, kTile, k0, kTile, T);
    float sc[kCols];
    float mx = -INFINITY;
#pragma unroll
    for (int i = 0; i < kCols; i++) {
      const int j = part + kParts * i;
      sc[i] = mask && !attn_visible(row, k0 + j, T) ? -INFINITY : attn_dot(0.0f, sQ + r * LD, sK + j * LD, HD);
      mx = fmaxf(mx, sc[i]);
    }
    float base;
    const float alpha = attn_softmax_advance(&m, quad_max(mx), scale_log2, &base);
    l *= alpha;
#pragma unroll
    for (int c = 0; c < HD / kParts; c++) o[c] *= alpha;
#pragma unroll
    for (int i = 0; i < kCols; i++) {
      const float p = attn_prob(sc[i], scale_log2, base);
      l += p;
      sP[r * kPLd + part + kParts * i] = p;
    }
    __syncwarp();  // row r's probabilities, written by its quad, are visible to the quad
#pragma unroll 4
    for (int j = 0; j < kTile; j++) {
      const float p = sP[r * kPLd + j];
#pragma unroll
      for (int c = 0; c < HD / kParts; c++) o[c] += p * sV[j * LD + part + kParts * c];
    }
  }
  l = quad_sum(l);
  if (row < T) {
    store_row<HD>(out + ((int64_t)b * T + row) * ldq + h * HD, o, attn_row_norm(l), part);
    if (lse != nullptr && part == 0) lse[((int64_t)b * H + h) * T + row] = attn_lse_finish(m, l);
  }
}

// block = (batch, KV head, key tile), the owner of those dK/dV rows; streams every (query head of the group, query
// tile at or below the diagonal).
template <int HD>
__global__ void __launch_bounds__(kThreads)
    attention_backward_dkdv_kernel(float* dk, float* dv, const float* dout, const float* q, const float* k,
                                   const float* v, const float* lse, const float* D, const AttentionShape s) {
  constexpr int LD = HD + 1;
  __shared__ float sK[kTile * LD], sV[kTile * LD], sQ[kTile * LD], sdO[kTile * LD];
  __shared__ float sPt[kTile * kPLd], sdSt[kTile * kPLd], sL[kTile], sD[kTile];
  const int T = s.T, H = s.H, KV = s.KV, group = s.H / s.KV;
  const int b = blockIdx.x / KV, kh = blockIdx.x % KV;
  const int k0 = blockIdx.y * kTile;  // key tile 0 has the most work and is scheduled first
  const int64_t ldq = (int64_t)H * HD, ldk = (int64_t)KV * HD, koff = (int64_t)b * T * ldk + kh * HD;
  const int r = threadIdx.x / kParts, part = threadIdx.x % kParts, key = k0 + r;
  const float scale_log2 = s.scale * kAttnLog2e;
  const int qt0 = attn_query_tiles_begin(k0, kTile), nqt = attn_tiles(T, kTile);

  tile_load<HD>(sK, k + koff, ldk, k0, T);
  tile_load<HD>(sV, v + koff, ldk, k0, T);
  float dka[HD / kParts] = {}, dva[HD / kParts] = {};
  for (int h = kh * group; h < (kh + 1) * group; h++) {
    const int64_t qoff = (int64_t)b * T * ldq + h * HD, soff = ((int64_t)b * H + h) * T;
    for (int qt = qt0; qt < nqt; qt++) {
      const int q0 = qt * kTile;
      __syncthreads();  // nobody still reads the previous Q, dO, P, dS
      tile_load<HD>(sQ, q + qoff, ldq, q0, T);
      tile_load<HD>(sdO, dout + qoff, ldq, q0, T);
      if (threadIdx.x < kTile) {
        const int t = q0 + threadIdx.x;
        sL[threadIdx.x] = t < T ? lse[soff + t] : 0.0f;
        sD[threadIdx.x] = t < T ? D[soff + t] : 0.0f;
      }
      __syncthreads();
      const bool mask = attn_tile_needs_mask(q0, kTile, k0, kTile, T);
#pragma unroll
      for (int i = 0; i < kCols; i++) {
        const int qi = part + kParts * i;  // query q0 + qi
        const float p = mask && !attn_visible(q0 + qi, key, T)
                            ? 0.0f
                            : attn_prob_lse(attn_dot(0.0f, sK + r * LD, sQ + qi * LD, HD), scale_log2, sL[qi]);
        const float dp = attn_dot(0.0f, sV + r * LD, sdO + qi * LD, HD);
        sPt[r * kPLd + qi] = p;
        sdSt[r * kPLd + qi] = attn_dscore(p, dp, sD[qi]);
      }
      __syncwarp();  // key row r's Pᵀ and dSᵀ, written by its quad, are visible to the quad
#pragma unroll 4
      for (int qi = 0; qi < kTile; qi++) {
        const float p = sPt[r * kPLd + qi], ds = sdSt[r * kPLd + qi];
#pragma unroll
        for (int c = 0; c < HD / kParts; c++) {
          dva[c] += p * sdO[qi * LD + part + kParts * c];  // dV += Pᵀ·dO
          dka[c] += ds * sQ[qi * LD + part + kParts * c];  // dK += dSᵀ·Q
        }
      }
    }
  }
  if (key < T) {
    store_row<HD>(dk + koff + (int64_t)key * ldk, dka, s.scale, part);
    store_row<HD>(dv + koff + (int64_t)key * ldk, dva, 1.0f, part);
  }
}

// block = (batch, query head, query tile), the owner of those dQ rows; streams key tiles 0..diagonal.
template <int HD>
__global__ void __launch_bounds__(kThreads)
    attention_backward_dq_kernel(float* dq, const float* dout, const float* q, const float* k, const float* v,
                                 const float* lse, const float* D, const AttentionShape s) {
  constexpr int LD = HD + 1;
  __shared__ float sQ[kTile * LD], sdO[kTile * LD], sK[kTile * LD], sV[kTile * LD], sdS[kTile * kPLd];
  const int T = s.T, H = s.H, group = s.H / s.KV;
  const int b = blockIdx.x / H, h = blockIdx.x % H, kh = h / group;
  const int q0 = (gridDim.y - 1 - blockIdx.y) * kTile;  // the longest query tiles are scheduled first
  const int64_t ldq = (int64_t)H * HD, ldk = (int64_t)s.KV * HD, qoff = (int64_t)b * T * ldq + h * HD;
  const float* K = k + (int64_t)b * T * ldk + kh * HD;
  const float* V = v + (int64_t)b * T * ldk + kh * HD;
  const int r = threadIdx.x / kParts, part = threadIdx.x % kParts, row = q0 + r;
  const float scale_log2 = s.scale * kAttnLog2e;
  const int kend = attn_key_tiles_end(q0, kTile, kTile, T);
  const int64_t at = ((int64_t)b * H + h) * T + row;
  const float row_lse = row < T ? lse[at] : 0.0f, row_D = row < T ? D[at] : 0.0f;

  tile_load<HD>(sQ, q + qoff, ldq, q0, T);
  tile_load<HD>(sdO, dout + qoff, ldq, q0, T);
  float dqa[HD / kParts] = {};
  for (int kt = 0; kt < kend; kt++) {
    const int k0 = kt * kTile;
    kv_tiles_load<HD>(sK, sV, K, V, ldk, k0, T);  // also: nobody still reads the previous dS
    const bool mask = attn_tile_needs_mask(q0, kTile, k0, kTile, T);
#pragma unroll
    for (int i = 0; i < kCols; i++) {
      const int j = part + kParts * i;  // key k0 + j
      const float p = mask && !attn_visible(row, k0 + j, T)
                          ? 0.0f
                          : attn_prob_lse(attn_dot(0.0f, sQ + r * LD, sK + j * LD, HD), scale_log2, row_lse);
      const float dp = attn_dot(0.0f, sdO + r * LD, sV + j * LD, HD);
      sdS[r * kPLd + j] = attn_dscore(p, dp, row_D);
    }
    __syncwarp();  // row r's dS, written by its quad, is visible to the quad
#pragma unroll 4
    for (int j = 0; j < kTile; j++) {
      const float ds = sdS[r * kPLd + j];
#pragma unroll
      for (int c = 0; c < HD / kParts; c++) dqa[c] += ds * sK[j * LD + part + kParts * c];  // dQ += dS·K
    }
  }
  if (row < T) store_row<HD>(dq + qoff + (int64_t)row * ldq, dqa, s.scale, part);
}

template <typename... Params, typename... Args>
cudaError_t launch(void (*kernel)(Params...), dim3 grid, cudaStream_t stream, Args... args) {
  kernel<<<grid, kThreads, 0, stream>>>(args...);
  return cudaGetLastError();
}

}  // namespace

cudaError_t attention_forward_fp32(float* out, float* lse, const float* q, const float* k, const float* v,
                                   const AttentionShape& s, cudaStream_t stream) {
  const dim3 grid(s.B * s.H, attn_tiles(s.T, kTile));
  if (s.hd == 32) return launch(attention_forward_kernel<32>, grid, stream, out, lse, q, k, v, s);
  return launch(attention_forward_kernel<64>, grid, stream, out, lse, q, k, v, s);
}

cudaError_t attention_backward_dkdv_fp32(float* dk, float* dv, const float* dout, const float* q, const float* k,
                                         const float* v, const float* lse, const float* D, const AttentionShape& s,
                                         cudaStream_t stream) {
  const dim3 grid(s.B * s.KV, attn_tiles(s.T, kTile));
  if (s.hd == 32) return launch(attention_backward_dkdv_kernel<32>, grid, stream, dk, dv, dout, q, k, v, lse, D, s);
  return launch(attention_backward_dkdv_kernel<64>, grid, stream, dk, dv, dout, q, k, v, lse, D, s);
}

cudaError_t attention_backward_dq_fp32(float* dq, const float* dout, const float* q, const float* k, const float* v,
                                       const float* lse, const float* D, const AttentionShape& s, cudaStream_t stream) {
  const dim3 grid(s.B * s.H, attn_tiles(s.T, kTile));
  if (s.hd == 32) return launch(attention_backward_dq_kernel<32>, grid, stream, dq, dout, q, k, v, lse, D, s);
  return launch(attention_backward_dq_kernel<64>, grid, stream, dq, dout, q, k, v, lse, D, s);
}

}  // namespace golf::train_cuda
