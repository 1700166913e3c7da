// encoder.h: the token embedding on the GPU, the twins of train_cpu::encoder_forward/backward (layers.h): a gather
// from the fp32 table into activations of type T, and a deterministic backward from a host-made bucket plan
// (encoder_math.h: encoder_buckets_plan), so no two threads ever add into the same element. Pointers are device
// memory; launchers only enqueue work.
#pragma once
#include <cstdint>

#include "cuda_common.h"  // defines: bf16, Status, cudaStream_t

namespace golf::train_cuda {

// out (N, d) of T = tok_emb (V, d)[ids (N)] (rounded to T). ids must lie in [0, V): the backend checks the batch on
// the host while it plans the buckets.
template <typename T>
Status encoder_forward(T* out, const int32_t* ids, const float* tok_emb, int N, int d, cudaStream_t stream);

// The embedding and the first RMSNorm in one pass, one warp per token: out (N, d) of T = rms_norm(tok_emb[ids]),
// rstd (N). The twin is the CPU model's encoder_forward → rms_norm_forward (in place, model.cpp); the norm reads the
// fp32 table row, so nothing un-normalised is stored.
template <typename T>
Status encoder_rms_norm_forward(T* out, float* rstd, const int32_t* ids, const float* tok_emb, int N, int d, float eps,
                                cudaStream_t stream);

// The device copy of encoder_buckets_plan's output for the same ids.
struct EncoderBuckets {
  const int32_t* order = nullptr;  // (N)
  const int32_t* start = nullptr;  // (count + 1)
  int count = 0;                   // the plan's return value
};

// dtok_emb (V, d) [ids[n]] += dout (N, d)[n], in increasing n for each id (the CPU twin's order).
template <typename T>
Status encoder_backward(float* dtok_emb, const T* dout, const int32_t* ids, int N, int d, const EncoderBuckets& buckets,
                        cudaStream_t stream);

}  // namespace golf::train_cuda
