// row_ops.cpp: embedding lookup, RMSNorm, RoPE, activation and softcap on single rows (see row_ops.h). Reductions
// keep 16 independent partial sums so the compiler can vectorize them without reassociating.
#include "row_ops.h"

#include <cmath>
#include <cstring>

#include "fast_math.h"
#include "half.h"
#include "quant.h"  // defines: dequantize_row
#include "rope_table.h"

namespace golf {

void embedding_row(const EmbeddingTable& t, int id, float* out) {
  const size_t C = (size_t)t.cols, row = (size_t)id;
  switch (t.dtype) {
    case Dtype::f32:
      std::memcpy(out, t.raw + row * C * 4, C * 4);
      return;
    case Dtype::f16:
    case Dtype::bf16: {
      const uint8_t* p = t.raw + row * C * 2;
      for (size_t j = 0; j < C; j++) {
        uint16_t h;
        std::memcpy(&h, p + 2 * j, 2);
        out[j] = t.dtype == Dtype::f16 ? f16_to_f32(h) : bf16_to_f32(h);
      }
      return;
    }
    default:
      break;
  }
  // Quantized: w = code · scale of its row/group (SPEC.md §5.2).
  const size_t n_groups = t.group_size == 0 ? 1 : C / t.group_size;
  const size_t row_bytes = t.dtype == Dtype::q4 ? C / 2 : C;
  dequantize_row(t.dtype, t.group_size, C, t.raw + row * row_bytes, t.raw + t.layout.scales_offset + 2 * row * n_groups,
                 out);
}

void rms_norm_row(const float* x, int n, float eps, float* y) {
  float part[16] = {0};
  int i = 0;
  for (; i + 16 <= n; i += 16)
    for (int l = 0; l < 16; l++) part[l] += x[i + l] * x[i + l];
  for (int w = 8; w >= 1; w /= 2)  // a tree, not a 16-long dependency chain
    for (int l = 0; l < w; l++) part[l] += part[l + w];
  float sum = part[0];
  for (; i < n; i++) sum += x[i] * x[i];
  const float inv = 1.0f / std::sqrt(sum / (float)n + eps);
  for (int j = 0; j < n; j++) y[j] = x[j] * inv;
}

Status RopeTables::init(int n_pos, int rope_dims, float base) {
  half_ = rope_dims / 2;
  size_t bytes = (size_t)n_pos * (size_t)half_ * sizeof(float);
  if (!cos_.allocate(bytes) || !sin_.allocate(bytes))
    return Status(StatusCode::out_of_memory, "RoPE tables: out of memory");
  rope_tables_fill((float*)cos_.data(), (float*)sin_.data(), n_pos, rope_dims, base);
  return Status::Ok();
}

void rope_rotate(float* v, const float* cos_row, const float* sin_row, int half) {
  float* x1 = v;
  float* x2 = v + half;
  for (int i = 0; i < half; i++) {
    const float a = x1[i], b = x2[i];
    x1[i] = a * cos_row[i] + b * sin_row[i];
    x2[i] = b * cos_row[i] - a * sin_row[i];
  }
}

void activation_squared(float* y, int n, float slope) {
  // Selects, not branches (the signs are random): vectorized under -fno-trapping-math (see meson.build).
  for (int i = 0; i < n; i++) {
    const float v = y[i];
    const float r = v > 0.0f ? v : v * slope;
    y[i] = r * r;
  }
}

void softcap_row(float* z, int n, float c) {
  for (int i = 0; i < n; i++) z[i] = c * tanh_approx(z[i] / c);
}

void add_scaled(float* y, const float* s, const float* t, int n) {
  for (int i = 0; i < n; i++) y[i] += s[i] * t[i];
}

}  // namespace golf
