// act_quant.h: quantization of fp32 activation rows to the int8 block format of QuantActs (symmetric, blocks of
// 32 columns, scale = max |x| / 127), with SIMD paths chosen by kernel_paths.h that give bit-identical results.
#pragma once
#include <cstddef>
#include <cstdint>

#include "quant_matrix.h"
#include "status.h"
#include "thread_pool.h"

namespace golf::kernels {

// Quantizes x [rows][cols] (cols a multiple of 32) into caller storage: codes [rows][cols], scales and sums
// [rows][cols/32]. A block whose max |x| is below 1e-30 (or not finite-positive) gets scale 0 and codes 0.
// Codes are round-half-even(x · (127 / max|x|)) — the same bits on every kernel path.
void quantize_acts(const float* x, int rows, int cols, int8_t* codes, float* scales, int32_t* sums,
                   ThreadPool* pool = nullptr);

// Owns the storage of quantized activations and reuses it across calls (grows only when a call needs more).
class QuantActsBuffer {
 public:
  QuantActsBuffer() = default;
  ~QuantActsBuffer();
  QuantActsBuffer(const QuantActsBuffer&) = delete;
  QuantActsBuffer& operator=(const QuantActsBuffer&) = delete;

  // Makes room for rows × cols without quantizing (so a later quantize() does not allocate).
  Status reserve(int rows, int cols);
  // Quantizes x [rows][cols] into the buffer; *out views it until the next call. Fails on a bad shape or when
  // memory runs out.
  Status quantize(const float* x, int rows, int cols, QuantActs* out, ThreadPool* pool = nullptr);

 private:
  void* memory_ = nullptr;
  size_t capacity_ = 0;
};

}  // namespace golf::kernels
