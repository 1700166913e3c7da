// rope_table.h: the RoPE cos/sin tables, computed exactly as the challenge's Rotary does (inv_freq =
// 1 / base^(arange(0, rope_dims, 2) / rope_dims), outer(t, inv_freq), all in fp32), shared by the runtime
// (RopeTables) and the CPU trainer so both rotate by bit-identical angles. Header-only and `static inline` for the
// same reason as fast_math.h.
#pragma once
#include <cmath>
#include <cstddef>

namespace golf {

// cos_t, sin_t [n_pos][rope_dims / 2].
static inline void rope_tables_fill(float* cos_t, float* sin_t, int n_pos, int rope_dims, float base) {
  const int half = rope_dims / 2;
  for (int i = 0; i < half; i++) {
    const float inv_freq = 1.0f / std::pow(base, (float)(2 * i) / (float)rope_dims);
    for (int p = 0; p < n_pos; p++) {
      const float angle = (float)p * inv_freq;
      cos_t[(size_t)p * half + i] = std::cos(angle);
      sin_t[(size_t)p * half + i] = std::sin(angle);
    }
  }
}

}  // namespace golf
