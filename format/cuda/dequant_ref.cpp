// dequant_ref.cpp: CPU reference of the CUDA dequantization kernel (dequant.cu): out = code * f16 scale.
#include "dequant.h"

#include "half.h"

namespace golf {

void dequantize_int8_rows_cpu(const int8_t* codes, const uint16_t* scales, int64_t rows, int64_t cols, int group,
                              float* out, void* /*stream*/) {
  int64_t n_groups = group == 0 ? 1 : cols / group;
  for (int64_t r = 0; r < rows; r++)
    for (int64_t c = 0; c < cols; c++) {
      int64_t g = group == 0 ? 0 : c / group;
      out[r * cols + c] = (float)codes[r * cols + c] * f16_to_f32(scales[r * n_groups + g]);
    }
}

}  // namespace golf
