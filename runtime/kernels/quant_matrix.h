// quant_matrix.h: the views the matmul kernels read. QuantMatrix points at a quantized .golf weight matrix in its
// raw layout (SPEC.md §5.2), typically straight into the memory map; QuantActs points at activations quantized
// to int8 in blocks of 32 (act_quant.h makes them).
#pragma once
#include <cstddef>
#include <cstdint>

#include "dtype.h"
#include "status.h"

namespace golf::kernels {

constexpr int kActBlock = 32;  // activation quantization block (columns per fp32 scale)

// A quantized weight matrix W [rows = N][cols = K] (PyTorch Linear layout [out, in]) in the raw layout.
struct QuantMatrix {
  golf::Dtype dtype = golf::Dtype::q8;  // q2..q8: one int8 code per weight; q4: two nibbles per byte
  int rows = 0;                         // N
  int cols = 0;                         // K, a multiple of 32
  uint32_t group_size = 0;              // 0 = one scale per row, else 32/64/128 columns per scale (q4: 32/64)
  const uint8_t* codes = nullptr;       // int8: [rows][cols]; q4: [rows][cols/2], packed per group (§5.2)
  const uint16_t* scales = nullptr;     // f16 [rows][n_groups]
};

// Views a raw-layout payload (codes block, zero padding to 64, scales block) as a QuantMatrix. raw must be
// 2-byte aligned (a .golf memory map is 64-byte aligned). Checks the dtype, shape and group size.
Status quant_matrix_from_raw(golf::Dtype dtype, int rows, int cols, uint32_t group_size, const uint8_t* raw,
                             QuantMatrix* out);

// Checks that the kernels can run w: quantized dtype, rows >= 1, cols a positive multiple of 32, a group size
// the dtype allows that divides cols, non-null pointers.
Status check_quant_matrix(const QuantMatrix& w);

// Activations x [rows = M][cols = K] quantized for the int8 dot products: each block of 32 columns of a row has
// int8 codes in [-127, 127] and one fp32 scale (max |x| / 127), x ≈ code · scale.
struct QuantActs {
  int rows = 0;                     // M
  int cols = 0;                     // K, a multiple of 32
  const int8_t* codes = nullptr;    // [rows][cols]
  const float* scales = nullptr;    // [rows][cols / 32]
  // [rows][cols / 32]: sum of the block's codes. Kernels that feed weights as unsigned bytes (code + offset) to
  // unsigned×signed dot instructions subtract offset · sum to get the signed dot product back, exactly.
  const int32_t* sums = nullptr;
};

}  // namespace golf::kernels
