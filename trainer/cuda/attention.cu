// attention.cu: the launchers of attention.h: the shape and pointer checks, the backward's row-term pass
// D = Σ dO·O (one thread per query row), and the dispatch to the tensor-core kernels (bf16, attention_bf16.cu) or
// the CUDA-core ones (fp32, attention_fp32.cu).
#include "attention.h"

#include <climits>
#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>

#include "attention_kernels.h"  // defines: attention_{forward,backward_dkdv,backward_dq}_{bf16,fp32}
#include "attention_math.h"     // defines: attn_dot, attn_tiles

namespace golf::train_cuda {
namespace {

constexpr int kRowTermThreads = 256;

// 8 consecutive elements as floats: one 16-byte load for bf16, two for float.
__device__ __forceinline__ void load8(const bf16* p, float (&x)[8]) {
  const uint4 u = *reinterpret_cast<const uint4*>(p);
  const __nv_bfloat162* pairs = reinterpret_cast<const __nv_bfloat162*>(&u);
#pragma unroll
  for (int i = 0; i < 4; i++) {
    const float2 f = __bfloat1622float2(pairs[i]);
    x[2 * i] = f.x;
    x[2 * i + 1] = f.y;
  }
}
__device__ __forceinline__ void load8(const float* p, float (&x)[8]) {
  const float4 a = reinterpret_cast<const float4*>(p)[0], b = reinterpret_cast<const float4*>(p)[1];
  x[0] = a.x, x[1] = a.y, x[2] = a.z, x[3] = a.w, x[4] = b.x, x[5] = b.y, x[6] = b.z, x[7] = b.w;
}

// D (B, H, T)[b, h, t] = Σ_c dout·out over the hd columns of (token b·T + t, head h), in column order. Thread i
// takes row i of the (B·T·H, hd) view, so a warp reads 32 consecutive rows.
template <typename T>
__global__ void __launch_bounds__(kRowTermThreads)
    attention_row_terms_kernel(float* D, const T* dout, const T* out, const AttentionShape s) {
  const int64_t row = (int64_t)blockIdx.x * kRowTermThreads + threadIdx.x;  // token·H + head
  if (row >= (int64_t)s.B * s.T * s.H) return;
  const int64_t token = row / s.H;
  const int h = (int)(row % s.H), b = (int)(token / s.T), t = (int)(token % s.T);
  const T* g = dout + row * s.hd;
  const T* o = out + row * s.hd;
  float acc = 0.0f;
  for (int c = 0; c < s.hd; c += 8) {
    float gx[8], ox[8];
    load8(g + c, gx);
    load8(o + c, ox);
    acc = attn_dot(acc, gx, ox, 8);
  }
  D[((int64_t)b * s.H + h) * s.T + t] = acc;
}

bool aligned(const void* p, uintptr_t bytes) { return p != nullptr && reinterpret_cast<uintptr_t>(p) % bytes == 0; }
bool aligned16(const void* p) { return aligned(p, 16); }

Status bad_pointer(const char* fn, const char* names) {
  return Status(StatusCode::invalid_argument,
                std::string(fn) + ": " + names + " must be non-null device pointers (16-byte aligned; lse and " +
                    "scratch 4-byte aligned)");
}

}  // namespace

Status attention_check_shape(const AttentionShape& s) {
  const auto bad = [](const std::string& what) { return Status(StatusCode::invalid_argument, "attention: " + what); };
  if (s.B < 1 || s.T < 1)
    return bad("batch " + std::to_string(s.B) + " and sequence length " + std::to_string(s.T) + " must be >= 1");
  if (s.T > 65535 * kAttnTileFp32)
    return bad("sequence length " + std::to_string(s.T) + " exceeds the kernels' grid limit of " +
               std::to_string(65535 * kAttnTileFp32));
  if (s.H < 1 || s.KV < 1 || s.H % s.KV != 0)
    return bad(std::to_string(s.H) + " query heads and " + std::to_string(s.KV) +
               " KV heads: both must be >= 1 and the KV heads must divide the query heads");
  if ((int64_t)s.B * s.H > INT_MAX) return bad("batch x heads exceeds the grid limit");
  if (s.hd != 32 && s.hd != 64)
    return bad("head dim " + std::to_string(s.hd) +
               " is not supported by the CUDA kernels, which take 32 or 64 (model_dim / num_heads); change "
               "--num-heads or --model-dim, or train with --backend cpu");
  if (!(s.scale > 0.0f) || !std::isfinite(s.scale))
    return bad("score scale " + std::to_string(s.scale) + " must be finite and > 0");
  return Status::Ok();
}

size_t attention_backward_scratch_floats(const AttentionShape& s) { return (size_t)s.B * s.H * s.T; }

template <typename T>
Status attention_forward(T* out, float* lse, const T* q, const T* k, const T* v, const AttentionShape& s,
                         cudaStream_t stream) {
  GOLF_RETURN_IF_ERROR(attention_check_shape(s));
  if (!aligned16(out) || !aligned16(q) || !aligned16(k) || !aligned16(v) || (lse && !aligned(lse, 4)))
    return bad_pointer("attention_forward", "out, q, k, v (and lse when given)");
  if constexpr (std::is_same_v<T, bf16>) {
    GOLF_CUDA_CHECK(attention_forward_bf16(out, lse, q, k, v, s, stream));
  } else {
    GOLF_CUDA_CHECK(attention_forward_fp32(out, lse, q, k, v, s, stream));
  }
  return Status::Ok();
}

template <typename T>
Status attention_backward(T* dq, T* dk, T* dv, const T* dout, const T* out, const T* q, const T* k, const T* v,
                          const float* lse, const AttentionShape& s, float* scratch, cudaStream_t stream) {
  GOLF_RETURN_IF_ERROR(attention_check_shape(s));
  if (!aligned16(dq) || !aligned16(dk) || !aligned16(dv) || !aligned16(dout) || !aligned16(out) || !aligned16(q) ||
      !aligned16(k) || !aligned16(v) || !aligned(lse, 4) || !aligned(scratch, 4))
    return bad_pointer("attention_backward", "dq, dk, dv, dout, out, q, k, v, lse and scratch");
  float* D = scratch;  // (B, H, T)
  const int64_t rows = (int64_t)s.B * s.T * s.H;
  attention_row_terms_kernel<T>
      <<<(unsigned)ceil_div(rows, kRowTermThreads), kRowTermThreads, 0, stream>>>(D, dout, out, s);
  GOLF_CUDA_CHECK(cudaGetLastError());
  if constexpr (std::is_same_v<T, bf16>) {
    GOLF_CUDA_CHECK(attention_backward_dkdv_bf16(dk, dv, dout, q, k, v, lse, D, s, stream));
    GOLF_CUDA_CHECK(attention_backward_dq_bf16(dq, dout, q, k, v, lse, D, s, stream));
  } else {
    GOLF_CUDA_CHECK(attention_backward_dkdv_fp32(dk, dv, dout, q, k, v, lse, D, s, stream));
    GOLF_CUDA_CHECK(attention_backward_dq_fp32(dq, dout, q, k, v, lse, D, s, stream));
  }
  return Status::Ok();
}

template Status attention_forward<float>(float*, float*, const float*, const float*, const float*,
                                         const AttentionShape&, cudaStream_t);
template Status attention_forward<bf16>(bf16*, float*, const bf16*, const bf16*, const bf16*, const AttentionShape&,
                                        cudaStream_t);
template Status attention_backward<float>(float*, float*, float*, const float*, const float*, const float*,
                                          const float*, const float*, const float*, const AttentionShape&, float*,
                                          cudaStream_t);
template Status attention_backward<bf16>(bf16*, bf16*, bf16*, const bf16*, const bf16*, const bf16*, const bf16*,
                                         const bf16*, const float*, const AttentionShape&, float*, cudaStream_t);

}  // namespace golf::train_cuda
