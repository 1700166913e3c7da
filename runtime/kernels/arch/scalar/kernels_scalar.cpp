// kernels_scalar.cpp: the portable path, plain C++. It is the reference every SIMD path is tested against, so it
// is written for obviousness: one exact int32 dot product per 32-column block, then y += xs · ws · isum in fp32,
// blocks in column order. (Each weight block is decoded once per 16 activation rows; that is all the tuning.)
#include <algorithm>
#include <cmath>

#include "half.h"
#include "kernel_table.h"
#include "kernel_util.h"

namespace golf::kernels {
namespace {

// Scale (as fp32) of the group holding 32-column block `block` of `row`.
float w_block_scale(const QuantMatrix& w, int row, int block) {
  return golf::f16_to_f32(w_row_scales(w, row)[w_block_group(w, block)]);
}

// The 32 codes of block `block` of `row`, as int8 in column order (unpacks q4 nibbles: SPEC.md §5.2).
void w_block_codes(const QuantMatrix& w, int row, int block, int8_t out[kActBlock]) {
  const uint8_t* codes = w_row_codes(w, row);
  if (w.dtype != golf::Dtype::q4) {
    std::memcpy(out, codes + (size_t)block * kActBlock, kActBlock);
    return;
  }
  if (w.group_size == 32) {  // the block is a group: byte j holds columns j (low nibble) and j + 16 (high)
    const uint8_t* group = codes + (size_t)block * 16;
    for (int j = 0; j < 16; ++j) {
      out[j] = (int8_t)((group[j] & 0x0F) - 8);
      out[j + 16] = (int8_t)((group[j] >> 4) - 8);
    }
    return;
  }
  // group 64: byte j of the group holds columns j (low) and j + 32 (high); even blocks are the low halves
  const uint8_t* group = codes + (size_t)(block / 2) * 32;
  const int shift = (block & 1) ? 4 : 0;
  for (int j = 0; j < 32; ++j) out[j] = (int8_t)(((group[j] >> shift) & 0x0F) - 8);
}

void quantize_rows_scalar(const float* x, int rows, int cols, int8_t* codes, float* scales, int32_t* sums) {
  size_t n_blocks = (size_t)rows * (size_t)(cols / kActBlock);
  for (size_t b = 0; b < n_blocks; ++b) {
    const float* xb = x + b * kActBlock;
    float amax = 0.0f;
    for (int c = 0; c < kActBlock; ++c) amax = std::max(amax, std::fabs(xb[c]));
    // Tiny blocks would make 127 / amax overflow; they quantize to zero (also catches NaN: the test is false).
    bool zero = !(amax >= 1e-30f);
    float inv = zero ? 0.0f : 127.0f / amax;
    int32_t sum = 0;
    for (int c = 0; c < kActBlock; ++c) {
      float v = xb[c] * inv;
      v = std::min(127.0f, std::max(-127.0f, v));
      int q = (int)std::nearbyint(v);  // round half to even: what cvtps2dq / fcvtns do
      codes[b * kActBlock + c] = (int8_t)q;
      sum += q;
    }
    scales[b] = zero ? 0.0f : amax / 127.0f;
    sums[b] = sum;
  }
}

void quant_matmul_scalar(const QuantMatmulJob& job, int n_begin, int n_end) {
  const QuantActs& x = *job.x;
  const QuantMatrix& w = *job.w;
  const int n_blocks = x.cols / kActBlock;
  constexpr int kRowsAtOnce = 16;  // activation rows sharing one decode of a weight block
  int8_t wb[kActBlock];
  float acc[kRowsAtOnce];
  for (int n = n_begin; n < n_end; ++n) {
    for (int m0 = 0; m0 < x.rows; m0 += kRowsAtOnce) {
      const int rows = std::min(kRowsAtOnce, x.rows - m0);
      for (int i = 0; i < rows; ++i) acc[i] = 0.0f;
      for (int b = 0; b < n_blocks; ++b) {
        w_block_codes(w, n, b, wb);
        const float ws = w_block_scale(w, n, b);
        for (int i = 0; i < rows; ++i) {
          const int8_t* xb = x.codes + (size_t)(m0 + i) * x.cols + (size_t)b * kActBlock;
          int32_t isum = 0;
          for (int c = 0; c < kActBlock; ++c) isum += (int32_t)xb[c] * (int32_t)wb[c];
          acc[i] += x.scales[(size_t)(m0 + i) * n_blocks + b] * ws * (float)isum;
        }
      }
      for (int i = 0; i < rows; ++i) job.y[(size_t)(m0 + i) * job.ldy + n] = acc[i];
    }
  }
}

void f32_matmul_scalar(const F32MatmulJob& job, int n_begin, int n_end) {
  for (int m = 0; m < job.M; ++m) {
    const float* xr = job.x + (size_t)m * job.ldx;
    for (int n = n_begin; n < n_end; ++n) {
      const float* wr = job.w + (size_t)n * job.ldw;
      float acc = 0.0f;
      for (int k = 0; k < job.K; ++k) acc += xr[k] * wr[k];
      job.y[(size_t)m * job.ldy + n] = acc;
    }
  }
}

const KernelTable kTable = {"scalar", 8, quantize_rows_scalar, quant_matmul_scalar, f32_matmul_scalar,
                            nullptr};

}  // namespace

const KernelTable* kernel_table_scalar() { return &kTable; }

}  // namespace golf::kernels
