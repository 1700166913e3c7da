// attention_kernels.h: the kernel launches behind attention.h, one translation unit per precision so the two
// compile in parallel: attention_bf16.cu (tensor cores) and attention_fp32.cu (CUDA cores). attention.cu checks
// the shape and pointers, computes the backward's row terms D, and calls these. Each returns the launch's error
// (cudaGetLastError, no synchronisation). Shapes and layouts as in attention.h; hd is 32 or 64 (checked before).
#pragma once
#include "attention.h"  // defines: AttentionShape, bf16

namespace golf::train_cuda {

// Tile sizes (query rows × key rows) of the two kernel families; the host tests emulate both tilings.
constexpr int kAttnTileBf16 = 64;
constexpr int kAttnTileFp32 = 32;

cudaError_t attention_forward_bf16(bf16* out, float* lse, const bf16* q, const bf16* k, const bf16* v,
                                   const AttentionShape& s, cudaStream_t stream);
// dk, dv (B·T, KV·hd); D (B, H, T) the row terms.
cudaError_t attention_backward_dkdv_bf16(bf16* dk, bf16* dv, const bf16* dout, const bf16* q, const bf16* k,
                                         const bf16* v, const float* lse, const float* D, const AttentionShape& s,
                                         cudaStream_t stream);
cudaError_t attention_backward_dq_bf16(bf16* dq, const bf16* dout, const bf16* q, const bf16* k, const bf16* v,
                                       const float* lse, const float* D, const AttentionShape& s, cudaStream_t stream);

cudaError_t attention_forward_fp32(float* out, float* lse, const float* q, const float* k, const float* v,
                                   const AttentionShape& s, cudaStream_t stream);
cudaError_t attention_backward_dkdv_fp32(float* dk, float* dv, const float* dout, const float* q, const float* k,
                                         const float* v, const float* lse, const float* D, const AttentionShape& s,
                                         cudaStream_t stream);
cudaError_t attention_backward_dq_fp32(float* dq, const float* dout, const float* q, const float* k, const float* v,
                                       const float* lse, const float* D, const AttentionShape& s, cudaStream_t stream);

}  // namespace golf::train_cuda
