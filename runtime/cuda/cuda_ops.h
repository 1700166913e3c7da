// cuda_ops.h: the Ops backend of forward_graph.h on the GPU: each op is the CUDA trainer's kernel of that name
// (trainer/cuda; linked, not copied) or this directory's softcap, enqueued on one stream; the GEMMs go through the
// session's GemmContext (cuBLASLt, shapes planned before the pass).
#pragma once
#include <cuda_runtime_api.h>

#include "cuda/activation.h"
#include "cuda/attention.h"
#include "cuda/encoder.h"
#include "cuda/gemm.h"
#include "cuda/qk_norm_rope.h"
#include "cuda/residual.h"
#include "cuda/rms_norm.h"
#include "cuda/rope.h"
#include "attention_past.h"
#include "forward_graph.h"
#include "softcap.h"

namespace golf::runtime_cuda {

template <typename T>
struct CudaOps {
  const train_cuda::GemmContext& gemm;
  cudaStream_t stream;

  Status encoder(T* out, const int32_t* ids, const float* tok_emb, int N, int d) {
    return train_cuda::encoder_forward<T>(out, ids, tok_emb, N, d, stream);
  }
  Status rms_norm(T* out, float* rstd, const T* in, int rows, int cols, float eps) {
    return train_cuda::rms_norm_forward<T>(out, rstd, in, rows, cols, eps, stream);
  }
  Status copy(T* dst, const T* src, size_t n) {
    GOLF_CUDA_CHECK(cudaMemcpyAsync(dst, src, n * sizeof(T), cudaMemcpyDeviceToDevice, stream));
    return Status::Ok();
  }
  Status scaled_add(T* out, const T* x, const float* scale, const T* y, int N, int d) {
    return train_cuda::scaled_add_forward<T>(out, x, scale, y, N, d, stream);
  }
  Status resid_mix(T* out, const T* x, const T* x0, const float* mix, int N, int d) {
    return train_cuda::resid_mix_forward<T>(out, x, x0, mix, N, d, stream);
  }
  Status linear(T* out, const T* in, const T* weight, int N, int in_dim, int out_dim) {
    return train_cuda::linear_forward<T>(out, in, weight, N, in_dim, out_dim, gemm, stream);
  }
  Status qk_norm_rope(T* out, T* y, float* rstd, const T* in, const float* gain, const float* cos_t,
                      const float* sin_t, int N, int T_, int heads, int hd, int rd, float eps) {
    return train_cuda::qk_norm_rope_forward<T>(out, y, rstd, in, gain, cos_t, sin_t, N, T_, heads, hd, rd, eps,
                                               stream);
  }
  Status rope(T* out, const T* in, const float* cos_t, const float* sin_t, int N, int T_, int heads, int hd, int rd) {
    return train_cuda::rope_forward<T>(out, in, cos_t, sin_t, N, T_, heads, hd, rd, stream);
  }
  Status head_gain(T* out, const T* in, const float* gain, int N, int heads, int hd) {
    return train_cuda::head_gain_forward<T>(out, in, gain, N, heads, hd, stream);
  }
  Status attention(T* out, const T* q, const T* k, const T* v, const GraphAttention& s) {
    const train_cuda::AttentionShape shape{s.B, s.T, s.H, s.KV, s.hd, s.scale};
    return train_cuda::attention_forward<T>(out, nullptr, q, k, v, shape, stream);
  }
  Status attention_past(T* out, const T* q, const T* k, const T* v, int past, const GraphAttention& s) {
    return runtime_cuda::attention_past<T>(out, q, k, v, past, s.T, s.H, s.KV, s.hd, s.scale, stream);
  }
  Status activation(T* out, const T* in, size_t n, float slope) {
    return train_cuda::activation_forward<T>(out, in, n, slope, stream);
  }
  Status softcap(float* out, const T* in, size_t n, float cap) { return softcap_row<T>(out, in, n, cap, stream); }
};

}  // namespace golf::runtime_cuda
