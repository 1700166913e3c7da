// row_ops.h: the small per-row operations of the golf-gpt forward pass: embedding row lookup (decoding the stored
// dtype), weightless RMSNorm, RoPE tables and rotation, the MLP activation and the logit softcap. Portable C++
// written so the compiler vectorizes the loops; the heavy operations (matmuls, attention) live elsewhere.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "aligned_buffer.h"
#include "model_weights.h"
#include "status.h"

namespace golf {

// out [table.cols] = row `id` of the embedding table as fp32 (code · scale for quantized dtypes, exactly what
// golf::dequantize gives). id must be in [0, table.rows).
void embedding_row(const EmbeddingTable& table, int id, float* out);

// y [n] = x · rsqrt(mean(x²) + eps) (PyTorch's F.rms_norm without weight, in fp32). y may equal x.
void rms_norm_row(const float* x, int n, float eps, float* y);

// cos/sin of pos · inv_freq_i for positions [0, n_pos) and i in [0, rope_dims/2), inv_freq_i = base^(−2i/rope_dims),
// computed in fp32 the way the PyTorch reference does.
class RopeTables {
 public:
  Status init(int n_pos, int rope_dims, float base);
  int half() const { return half_; }
  const float* cos_row(int pos) const { return (const float*)cos_.data() + (size_t)pos * half_; }
  const float* sin_row(int pos) const { return (const float*)sin_.data() + (size_t)pos * half_; }

 private:
  int half_ = 0;
  AlignedBuffer cos_, sin_;
};

// NeoX half-split rotation of the first 2·half dims of v [head_dim] in place: pairs (i, i + half),
// y1 = x1·cos + x2·sin, y2 = −x1·sin + x2·cos.
void rope_rotate(float* v, const float* cos_row, const float* sin_row, int half);

// y = act(y) in place over n values: relu(x)² (slope = 0) or leaky_relu(x, slope)².
void activation_squared(float* y, int n, float slope);

// z = c · tanh(z / c) in place over n values (c > 0).
void softcap_row(float* z, int n, float c);

// y [n] += s [n] ⊙ t [n]
void add_scaled(float* y, const float* s, const float* t, int n);

}  // namespace golf
