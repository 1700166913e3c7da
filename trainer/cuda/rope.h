// rope.h: rotary position embedding (NeoX half split on the first rd dims of each head) and the per-head q gain on
// the GPU, twins of train_cpu::rope_forward/backward and head_gain_forward/backward (layers.h): same names and
// argument order, a trailing stream; q_gain's backward takes a scratch of head_gain_scratch_doubles(N, heads, hd)
// doubles before it (a fixed-order two-stage reduction, no atomics). The QK-norm before the rotation is
// rms_norm_forward/backward (rms_norm.h) over rows N·heads, cols hd. cos_t, sin_t (T, rd/2) are the runtime's
// tables (runtime/model/rope_table.h) in device memory, fp32. Pointers are device memory; launchers only enqueue.
#pragma once
#include <cstddef>

#include "cuda_common.h"  // defines: bf16, Status, cudaStream_t

namespace golf::train_cuda {

// x viewed as (N, heads, hd) with position n % T: (y_i, y_{i+rd/2}) = rotation of (x_i, x_{i+rd/2}) for i < rd/2,
// dims ≥ rd pass through. out may alias in. rd even, 0 ≤ rd ≤ hd.
template <typename T>
Status rope_forward(T* out, const T* in, const float* cos_t, const float* sin_t, int N, int T_, int heads, int hd,
                    int rd, cudaStream_t stream);
// The transpose rotation: din from dout. din may alias dout.
template <typename T>
Status rope_backward(T* din, const T* dout, const float* cos_t, const float* sin_t, int N, int T_, int heads, int hd,
                     int rd, cudaStream_t stream);

// out (N, heads, hd) = in · gain (heads).
template <typename T>
Status head_gain_forward(T* out, const T* in, const float* gain, int N, int heads, int hd, cudaStream_t stream);

size_t head_gain_scratch_doubles(int N, int heads, int hd);
// dgain (heads) += Σ dout·in; din = dout·gain (din may alias dout).
template <typename T>
Status head_gain_backward(T* din, float* dgain, const T* dout, const T* in, const float* gain, int N, int heads, int hd,
                          double* scratch, cudaStream_t stream);

}  // namespace golf::train_cuda
