// attention_bf16.cu: the bf16 attention kernels on tensor cores, in the FlashAttention-2 scheme. A block of 4 warps
// owns a 64-row tile; each warp owns 16 of its rows and keeps its scores, probabilities and accumulators in mma
// registers (m16n8k16, bf16 in, fp32 accumulate), so scores never leave the warp. Tiles of 64 rows × hd live in
// shared memory, swizzled for conflict-free ldmatrix, and the tiles streamed through a loop are double-buffered
// with cp.async so the next tile loads while this one is used.
//   forward: block = (batch, query head, query tile); streams key tiles 0..diagonal, online softmax in fp32.
//   dK/dV:   block = (batch, KV head, key tile), which owns those dK/dV rows; streams every (query head of the
//            group, query tile at or below the diagonal) pair, so no other block writes its rows.
//   dQ:      block = (batch, query head, query tile), which owns those dQ rows; streams key tiles as the forward.
// All index rules and softmax arithmetic are the GOLF_HD functions of attention_math.h (host-tested in CI).
#include "attention_kernels.h"  // defines: the launch declarations, kAttnTileBf16
#include "attention_math.h"     // defines: attn_* (causal tiles, online softmax), ldsm_*/mma_* fragment indices
#include "mma_sm80.cuh"         // defines: cp_async_*, ldsm_x4, ldsm_x4_trans, mma_bf16_16816, pack_bf16x2

namespace golf::train_cuda {
namespace {

constexpr int kTile = kAttnTileBf16;  // query rows and key rows of a tile
constexpr int kWarps = kTile / 16;    // each warp owns 16 rows of the block's tile
constexpr int kThreads = kWarps * 32;
constexpr int kScoreTiles = kTile / 8;  // n-tiles of a warp's 16 × kTile scores
constexpr unsigned kFullMask = 0xffffffffu;
static_assert(kThreads == 2 * kTile, "the dK/dV kernel loads one statistic per thread");

// Starts copying rows [row0, row0 + kTile) of a token-major tensor (rows `ld` elements apart; `g` points at the
// head's first column) into a swizzled tile; rows ≥ T become zeros.
template <int HD>
__device__ __forceinline__ void tile_load_async(bf16* tile, const bf16* g, int64_t ld, int row0, int T) {
  constexpr int kChunks = HD / 8;
  static_assert(kTile * kChunks % kThreads == 0, "whole chunks per thread");
#pragma unroll
  for (int i = 0; i < kTile * kChunks / kThreads; i++) {
    const int id = i * kThreads + threadIdx.x, r = id / kChunks, c = id % kChunks, t = row0 + r;
    cp_async_16(tile + attn_smem_offset(r, c, kChunks), g + (int64_t)(t < T ? t : 0) * ld + c * 8, t < T ? 16 : 0);
  }
}

// The head of iteration kt of a loop that streams K and V tiles 0..kend−1 through two buffers: waits until tile kt
// has landed and is visible to the block, then starts copying tile kt + 1 into the other buffer, whose readers
// (iteration kt − 1) have all passed the barrier.
template <int HD>
__device__ __forceinline__ void kv_stream_step(bf16* sK, bf16* sV, const bf16* K, const bf16* V, int64_t ldk, int kt,
                                               int kend, int T) {
  cp_async_wait_all();
  __syncthreads();
  if (kt + 1 < kend) {
    const int next = ((kt + 1) & 1) * kTile * HD;
    tile_load_async<HD>(sK + next, K, ldk, (kt + 1) * kTile, T);
    tile_load_async<HD>(sV + next, V, ldk, (kt + 1) * kTile, T);
    cp_async_commit();
  }
}

// The A operand of k-step kk (columns 16kk..16kk+15) of the 16 tile rows starting at row0.
template <int HD>
__device__ __forceinline__ void frag_a(uint32_t (&a)[4], const bf16* tile, int row0, int kk, int lane) {
  ldsm_x4(a, tile + attn_smem_offset(row0 + ldsm_a_row(lane), 2 * kk + ldsm_a_chunk(lane), HD / 8));
}

// acc (16 × 8·NT) += A · tileᵀ, A = 16 × HD in fragments a[HD/16], tile rows 0..8·NT−1 as the n index:
// S = Q·Kᵀ, dP = dO·Vᵀ (dQ kernel), Sᵀ = K·Qᵀ, dPᵀ = V·dOᵀ (dK/dV kernel).
template <int HD, int NT>
__device__ __forceinline__ void mma_a_tile_t(float (&acc)[NT][4], const uint32_t (&a)[HD / 16][4], const bf16* tile,
                                             int lane) {
#pragma unroll
  for (int kk = 0; kk < HD / 16; kk++) {
#pragma unroll
    for (int np = 0; np < NT / 2; np++) {
      uint32_t bf[4];
      ldsm_x4(bf, tile + attn_smem_offset(16 * np + ldsm_b_row(lane), 2 * kk + ldsm_b_chunk(lane), HD / 8));
      mma_bf16_16816(acc[2 * np], a[kk], bf[0], bf[1]);
      mma_bf16_16816(acc[2 * np + 1], a[kk], bf[2], bf[3]);
    }
  }
}

// acc (16 × HD) += C · tile, C = the 16 × kTile accumulators c (rounded to bf16 as the A operand), tile rows as
// the k index: O += P·V (forward), dV += Pᵀ·dO, dK += dSᵀ·Q, dQ += dS·K.
template <int HD>
__device__ __forceinline__ void mma_c_tile(float (&acc)[HD / 8][4], const float (&c)[kScoreTiles][4], const bf16* tile,
                                           int lane) {
#pragma unroll
  for (int kk = 0; kk < kTile / 16; kk++) {
    uint32_t a[4];
#pragma unroll
    for (int r = 0; r < 4; r++) {
      const float* src = c[attn_a_from_c_tile(kk, r)] + attn_a_from_c_reg(r);
      a[r] = pack_bf16x2(src[0], src[1]);
    }
#pragma unroll
    for (int np = 0; np < HD / 16; np++) {
      uint32_t bf[4];
      ldsm_x4_trans(bf, tile + attn_smem_offset(16 * kk + ldsm_a_row(lane), 2 * np + ldsm_a_chunk(lane), HD / 8));
      mma_bf16_16816(acc[2 * np], a, bf[0], bf[1]);
      mma_bf16_16816(acc[2 * np + 1], a, bf[2], bf[3]);
    }
  }
}

// Writes a warp's 16 × HD accumulators, times `mul`, as bf16 rows row_lo (c[0], c[1]) and row_lo + 8 (c[2], c[3])
// of a token-major tensor (`g` at the head's first column); rows ≥ T are padding and are not written.
template <int HD>
__device__ __forceinline__ void store_rows(bf16* g, int64_t ld, int row_lo, int T, const float (&acc)[HD / 8][4],
                                           float mul, int lane) {
#pragma unroll
  for (int half = 0; half < 2; half++) {
    const int row = row_lo + 8 * half;
    if (row >= T) continue;
    bf16* dst = g + (int64_t)row * ld + mma_c_col(lane, 2 * half);
#pragma unroll
    for (int n = 0; n < HD / 8; n++)
      *reinterpret_cast<__nv_bfloat162*>(dst + 8 * n) =
          __floats2bfloat162_rn(acc[n][2 * half] * mul, acc[n][2 * half + 1] * mul);
  }
}

// ---- forward ---------------------------------------------------------------------------------------------------

// Shared memory: Q tile, K and V tiles double-buffered.
template <int HD>
constexpr size_t forward_smem_bytes() {
  return 5 * kTile * HD * sizeof(bf16);
}

template <int HD>
__global__ void __launch_bounds__(kThreads)
    attention_forward_kernel(bf16* out, float* lse, const bf16* q, const bf16* k, const bf16* v,
                             const AttentionShape s) {
  constexpr int kTileElems = kTile * HD;
  extern __shared__ __align__(128) unsigned char smem[];
  bf16* sQ = reinterpret_cast<bf16*>(smem);
  bf16* sK = sQ + kTileElems;      // [2][kTile × HD]
  bf16* sV = sK + 2 * kTileElems;  // [2][kTile × HD]

  const int T = s.T, H = s.H, group = s.H / s.KV;
  const int b = blockIdx.x / H, h = blockIdx.x % H, kh = h / group;
  const int q0 = (gridDim.y - 1 - blockIdx.y) * kTile;  // the longest query tiles are scheduled first
  const int64_t ldq = (int64_t)H * HD, ldk = (int64_t)s.KV * HD;
  const bf16* Q = q + (int64_t)b * T * ldq + h * HD;   // (T, HD), stride ldq
  const bf16* K = k + (int64_t)b * T * ldk + kh * HD;  // (T, HD), stride ldk
  const bf16* V = v + (int64_t)b * T * ldk + kh * HD;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int row_base = q0 + warp * 16;  // the warp's rows; c[i] of any n-tile is row row_base + mma_c_row(lane, i)
  const float scale_log2 = s.scale * kAttnLog2e;
  const int kend = attn_key_tiles_end(q0, kTile, kTile, T);

  tile_load_async<HD>(sQ, Q, ldq, q0, T);
  tile_load_async<HD>(sK, K, ldk, 0, T);
  tile_load_async<HD>(sV, V, ldk, 0, T);
  cp_async_commit();

  uint32_t qa[HD / 16][4];
  float o[HD / 8][4] = {};
  float m[2] = {-INFINITY, -INFINITY}, l[2] = {0.0f, 0.0f};  // rows mma_c_row(lane, 0) and + 8
  for (int kt = 0; kt < kend; kt++) {
    kv_stream_step<HD>(sK, sV, K, V, ldk, kt, kend, T);
    if (kt == 0) {
#pragma unroll
      for (int kk = 0; kk < HD / 16; kk++) frag_a<HD>(qa[kk], sQ, warp * 16, kk, lane);
    }
    const int k0 = kt * kTile;
    float sc[kScoreTiles][4] = {};
    mma_a_tile_t<HD, kScoreTiles>(sc, qa, sK + (kt & 1) * kTileElems, lane);  // S = Q·Kᵀ (raw)
    if (attn_tile_needs_mask(q0, kTile, k0, kTile, T)) {
#pragma unroll
      for (int n = 0; n < kScoreTiles; n++)
#pragma unroll
        for (int i = 0; i < 4; i++)
          if (!attn_visible(row_base + mma_c_row(lane, i), k0 + 8 * n + mma_c_col(lane, i), T)) sc[n][i] = -INFINITY;
    }
#pragma unroll
    for (int half = 0; half < 2; half++) {
      float mx = -INFINITY;
#pragma unroll
      for (int n = 0; n < kScoreTiles; n++) mx = fmaxf(mx, fmaxf(sc[n][2 * half], sc[n][2 * half + 1]));
      mx = fmaxf(mx, __shfl_xor_sync(kFullMask, mx, 1));  // the quad holding the row
      mx = fmaxf(mx, __shfl_xor_sync(kFullMask, mx, 2));
      float base;
      const float alpha = attn_softmax_advance(&m[half], mx, scale_log2, &base);
      l[half] *= alpha;
#pragma unroll
      for (int n = 0; n < HD / 8; n++) {
        o[n][2 * half] *= alpha;
        o[n][2 * half + 1] *= alpha;
      }
#pragma unroll
      for (int n = 0; n < kScoreTiles; n++)
#pragma unroll
        for (int e = 0; e < 2; e++) {
          const float p = attn_prob(sc[n][2 * half + e], scale_log2, base);
          sc[n][2 * half + e] = p;
          l[half] += p;
        }
    }
    mma_c_tile<HD>(o, sc, sV + (kt & 1) * kTileElems, lane);  // O += P·V
  }

  float inv_l[2];
#pragma unroll
  for (int half = 0; half < 2; half++) {
    float lt = l[half];
    lt += __shfl_xor_sync(kFullMask, lt, 1);  // = attn_quad_sum of the quad's shares, on every lane
    lt += __shfl_xor_sync(kFullMask, lt, 2);
    inv_l[half] = attn_row_norm(lt);
    const int row = row_base + mma_c_row(lane, 2 * half);
    if (lse != nullptr && row < T && (lane & 3) == 0)
      lse[((int64_t)b * H + h) * T + row] = attn_lse_finish(m[half], lt);
  }
#pragma unroll
  for (int n = 0; n < HD / 8; n++)
#pragma unroll
    for (int i = 0; i < 4; i++) o[n][i] *= inv_l[i >> 1];
  store_rows<HD>(out + (int64_t)b * T * ldq + h * HD, ldq, row_base + mma_c_row(lane, 0), T, o, 1.0f, lane);
}

// ---- backward: dK, dV ------------------------------------------------------------------------------------------

// Shared memory: K and V tiles; Q and dO tiles and the lse and D of their rows, double-buffered.
template <int HD>
constexpr size_t dkdv_smem_bytes() {
  return 6 * kTile * HD * sizeof(bf16) + 4 * kTile * sizeof(float);
}

template <int HD>
__global__ void __launch_bounds__(kThreads)
    attention_backward_dkdv_kernel(bf16* dk, bf16* dv, const bf16* dout, const bf16* q, const bf16* k, const bf16* v,
                                   const float* lse, const float* D, const AttentionShape s) {
  constexpr int kTileElems = kTile * HD;
  extern __shared__ __align__(128) unsigned char smem[];
  bf16* sK = reinterpret_cast<bf16*>(smem);
  bf16* sV = sK + kTileElems;
  bf16* sQ = sV + kTileElems;                                  // [2][kTile × HD]
  bf16* sdO = sQ + 2 * kTileElems;                             // [2][kTile × HD]
  float* sL = reinterpret_cast<float*>(sdO + 2 * kTileElems);  // [2][kTile] lse of the tile's queries
  float* sD = sL + 2 * kTile;                                  // [2][kTile] D of the tile's queries

  const int T = s.T, H = s.H, KV = s.KV, group = s.H / s.KV;
  const int b = blockIdx.x / KV, kh = blockIdx.x % KV;
  const int k0 = blockIdx.y * kTile;  // key tile 0 has the most work and is scheduled first
  const int64_t ldq = (int64_t)H * HD, ldk = (int64_t)KV * HD;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int key_base = k0 + warp * 16;  // the warp's keys: c[i] of any n-tile is key key_base + mma_c_row(lane, i)
  const float scale_log2 = s.scale * kAttnLog2e;
  // Iteration `it` handles query head kh·group + it / per_head and query tile qt0 + it % per_head.
  const int qt0 = attn_query_tiles_begin(k0, kTile), per_head = attn_tiles(T, kTile) - qt0;
  const int iters = group * per_head;
  auto load_iteration = [&](int it, int buf) {
    const int h = kh * group + it / per_head, q0 = (qt0 + it % per_head) * kTile;
    const int64_t off = (int64_t)b * T * ldq + h * HD;
    tile_load_async<HD>(sQ + buf * kTileElems, q + off, ldq, q0, T);
    tile_load_async<HD>(sdO + buf * kTileElems, dout + off, ldq, q0, T);
    const int i = threadIdx.x % kTile, t = q0 + i;  // threads 0..63 load lse, 64..127 load D
    const float* src = (threadIdx.x < kTile ? lse : D) + ((int64_t)b * H + h) * T + (t < T ? t : 0);
    cp_async_4((threadIdx.x < kTile ? sL : sD) + buf * kTile + i, src, t < T ? 4 : 0);
  };

  tile_load_async<HD>(sK, k + (int64_t)b * T * ldk + kh * HD, ldk, k0, T);
  tile_load_async<HD>(sV, v + (int64_t)b * T * ldk + kh * HD, ldk, k0, T);
  load_iteration(0, 0);
  cp_async_commit();

  uint32_t ka[HD / 16][4], va[HD / 16][4];
  float dka[HD / 8][4] = {}, dva[HD / 8][4] = {};
  for (int it = 0; it < iters; it++) {
    cp_async_wait_all();
    __syncthreads();  // iteration it's tiles are visible; nobody still reads the buffer the next load overwrites
    if (it + 1 < iters) {
      load_iteration(it + 1, (it + 1) & 1);
      cp_async_commit();
    }
    if (it == 0) {
#pragma unroll
      for (int kk = 0; kk < HD / 16; kk++) {
        frag_a<HD>(ka[kk], sK, warp * 16, kk, lane);
        frag_a<HD>(va[kk], sV, warp * 16, kk, lane);
      }
    }
    const int buf = it & 1, q0 = (qt0 + it % per_head) * kTile;
    const bf16* tQ = sQ + buf * kTileElems;
    const bf16* tdO = sdO + buf * kTileElems;
    const float* tL = sL + buf * kTile;
    const float* tD = sD + buf * kTile;
    float st[kScoreTiles][4] = {}, dpt[kScoreTiles][4] = {};
    mma_a_tile_t<HD, kScoreTiles>(st, ka, tQ, lane);    // Sᵀ = K·Qᵀ: rows keys, columns the tile's queries
    mma_a_tile_t<HD, kScoreTiles>(dpt, va, tdO, lane);  // dPᵀ = V·dOᵀ
    const bool mask = attn_tile_needs_mask(q0, kTile, k0, kTile, T);
#pragma unroll
    for (int n = 0; n < kScoreTiles; n++)
#pragma unroll
      for (int i = 0; i < 4; i++) {
        const int col = 8 * n + mma_c_col(lane, i);  // query q0 + col
        const float p = mask && !attn_visible(q0 + col, key_base + mma_c_row(lane, i), T)
                            ? 0.0f
                            : attn_prob_lse(st[n][i], scale_log2, tL[col]);
        st[n][i] = p;
        dpt[n][i] = attn_dscore(p, dpt[n][i], tD[col]);  // dSᵀ
      }
    mma_c_tile<HD>(dva, st, tdO, lane);  // dV += Pᵀ·dO
    mma_c_tile<HD>(dka, dpt, tQ, lane);  // dK += dSᵀ·Q
  }
  const int64_t off = (int64_t)b * T * ldk + kh * HD;
  store_rows<HD>(dk + off, ldk, key_base + mma_c_row(lane, 0), T, dka, s.scale, lane);
  store_rows<HD>(dv + off, ldk, key_base + mma_c_row(lane, 0), T, dva, 1.0f, lane);
}

// ---- backward: dQ ----------------------------------------------------------------------------------------------

// Shared memory: Q and dO tiles; K and V tiles double-buffered.
template <int HD>
constexpr size_t dq_smem_bytes() {
  return 6 * kTile * HD * sizeof(bf16);
}

template <int HD>
__global__ void __launch_bounds__(kThreads)
    attention_backward_dq_kernel(bf16* dq, const bf16* dout, const bf16* q, const bf16* k, const bf16* v,
                                 const float* lse, const float* D, const AttentionShape s) {
  constexpr int kTileElems = kTile * HD;
  extern __shared__ __align__(128) unsigned char smem[];
  bf16* sQ = reinterpret_cast<bf16*>(smem);
  bf16* sdO = sQ + kTileElems;
  bf16* sK = sdO + kTileElems;     // [2][kTile × HD]
  bf16* sV = sK + 2 * kTileElems;  // [2][kTile × HD]

  const int T = s.T, H = s.H, group = s.H / s.KV;
  const int b = blockIdx.x / H, h = blockIdx.x % H, kh = h / group;
  const int q0 = (gridDim.y - 1 - blockIdx.y) * kTile;  // the longest query tiles are scheduled first
  const int64_t ldq = (int64_t)H * HD, ldk = (int64_t)s.KV * HD;
  const int64_t qoff = (int64_t)b * T * ldq + h * HD;
  const bf16* K = k + (int64_t)b * T * ldk + kh * HD;
  const bf16* V = v + (int64_t)b * T * ldk + kh * HD;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int row_base = q0 + warp * 16;
  const float scale_log2 = s.scale * kAttnLog2e;
  const int kend = attn_key_tiles_end(q0, kTile, kTile, T);

  tile_load_async<HD>(sQ, q + qoff, ldq, q0, T);
  tile_load_async<HD>(sdO, dout + qoff, ldq, q0, T);
  tile_load_async<HD>(sK, K, ldk, 0, T);
  tile_load_async<HD>(sV, V, ldk, 0, T);
  cp_async_commit();

  float row_lse[2], row_D[2];  // of rows mma_c_row(lane, 0) and + 8; padding rows read nothing
#pragma unroll
  for (int half = 0; half < 2; half++) {
    const int row = row_base + mma_c_row(lane, 2 * half);
    const int64_t at = ((int64_t)b * H + h) * T + row;
    row_lse[half] = row < T ? lse[at] : 0.0f;
    row_D[half] = row < T ? D[at] : 0.0f;
  }
  uint32_t qa[HD / 16][4], oa[HD / 16][4];
  float dqa[HD / 8][4] = {};
  for (int kt = 0; kt < kend; kt++) {
    kv_stream_step<HD>(sK, sV, K, V, ldk, kt, kend, T);
    if (kt == 0) {
#pragma unroll
      for (int kk = 0; kk < HD / 16; kk++) {
        frag_a<HD>(qa[kk], sQ, warp * 16, kk, lane);
        frag_a<HD>(oa[kk], sdO, warp * 16, kk, lane);
      }
    }
    const int k0 = kt * kTile;
    const bf16* tK = sK + (kt & 1) * kTileElems;
    float sc[kScoreTiles][4] = {}, dp[kScoreTiles][4] = {};
    mma_a_tile_t<HD, kScoreTiles>(sc, qa, tK, lane);                          // S = Q·Kᵀ
    mma_a_tile_t<HD, kScoreTiles>(dp, oa, sV + (kt & 1) * kTileElems, lane);  // dP = dO·Vᵀ
    const bool mask = attn_tile_needs_mask(q0, kTile, k0, kTile, T);
#pragma unroll
    for (int n = 0; n < kScoreTiles; n++)
#pragma unroll
      for (int i = 0; i < 4; i++) {
        const float p = mask && !attn_visible(row_base + mma_c_row(lane, i), k0 + 8 * n + mma_c_col(lane, i), T)
                            ? 0.0f
                            : attn_prob_lse(sc[n][i], scale_log2, row_lse[i >> 1]);
        dp[n][i] = attn_dscore(p, dp[n][i], row_D[i >> 1]);  // dS
      }
    mma_c_tile<HD>(dqa, dp, tK, lane);  // dQ += dS·K
  }
  store_rows<HD>(dq + qoff, ldq, row_base + mma_c_row(lane, 0), T, dqa, s.scale, lane);
}

// Launches `kernel` with `smem` bytes of dynamic shared memory, first raising the kernel's limit when it needs
// more than the default 48 KiB (a per-function attribute; no synchronisation).
template <typename... Params, typename... Args>
cudaError_t launch(void (*kernel)(Params...), dim3 grid, size_t smem, cudaStream_t stream, Args... args) {
  if (smem > 48 * 1024) {
    const cudaError_t e = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem);
    if (e != cudaSuccess) return e;
  }
  kernel<<<grid, kThreads, smem, stream>>>(args...);
  return cudaGetLastError();
}

}  // namespace

cudaError_t attention_forward_bf16(bf16* out, float* lse, const bf16* q, const bf16* k, const bf16* v,
                                   const AttentionShape& s, cudaStream_t stream) {
  const dim3 grid(s.B * s.H, attn_tiles(s.T, kTile));
  if (s.hd == 32)
    return launch(attention_forward_kernel<32>, grid, forward_smem_bytes<32>(), stream, out, lse, q, k, v, s);
  return launch(attention_forward_kernel<64>, grid, forward_smem_bytes<64>(), stream, out, lse, q, k, v, s);
}

cudaError_t attention_backward_dkdv_bf16(bf16* dk, bf16* dv, const bf16* dout, const bf16* q, const bf16* k,
                                         const bf16* v, const float* lse, const float* D, const AttentionShape& s,
                                         cudaStream_t stream) {
  const dim3 grid(s.B * s.KV, attn_tiles(s.T, kTile));
  if (s.hd == 32)
    return launch(attention_backward_dkdv_kernel<32>, grid, dkdv_smem_bytes<32>(), stream, dk, dv, dout, q, k, v, lse,
                  D, s);
  return launch(attention_backward_dkdv_kernel<64>, grid, dkdv_smem_bytes<64>(), stream, dk, dv, dout, q, k, v, lse, D,
                s);
}

cudaError_t attention_backward_dq_bf16(bf16* dq, const bf16* dout, const bf16* q, const bf16* k, const bf16* v,
                                       const float* lse, const float* D, const AttentionShape& s, cudaStream_t stream) {
  const dim3 grid(s.B * s.H, attn_tiles(s.T, kTile));
  if (s.hd == 32)
    return launch(attention_backward_dq_kernel<32>, grid, dq_smem_bytes<32>(), stream, dq, dout, q, k, v, lse, D, s);
  return launch(attention_backward_dq_kernel<64>, grid, dq_smem_bytes<64>(), stream, dq, dout, q, k, v, lse, D, s);
}

}  // namespace golf::train_cuda
