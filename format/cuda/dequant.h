// dequant.h: dequantization of int8-held .golf weight matrices (q8 and q2..q7, raw layout of SPEC.md §5.2) to fp32,
// on the GPU for the CUDA trainer/runtime, beside its CPU reference with the same signature (which tests check).
#pragma once
#include <cstdint>

namespace golf {

// codes: (rows, cols) int8; scales: (rows, cols / group) f16 bits, or (rows, 1) when group == 0; out: (rows, cols).
// `stream` is a cudaStream_t for the CUDA version and ignored by the CPU reference.
void dequantize_int8_rows_cpu(const int8_t* codes, const uint16_t* scales, int64_t rows, int64_t cols, int group,
                              float* out, void* stream);
// Device pointers; returns 0 on success or the cudaError_t of the launch.
int dequantize_int8_rows_cuda(const int8_t* codes, const uint16_t* scales, int64_t rows, int64_t cols, int group,
                              float* out, void* stream);

}  // namespace golf
