// kernel_table.h: the interface every instruction-set path implements (scalar, avx2, avx512vnni, neon,
// neon_dotprod), as a table of function pointers that kernel_paths.cpp picks from at run time. Internal to
// runtime/kernels: apps call matmul.h and act_quant.h.
#pragma once
#include <cstddef>
#include <cstdint>

#include "quant_matrix.h"

namespace golf::kernels {

// y [M][N] (row stride ldy) = x [M][K] · Wᵀ for quantized W.
struct QuantMatmulJob {
  const QuantActs* x = nullptr;
  const QuantMatrix* w = nullptr;
  float* y = nullptr;
  size_t ldy = 0;
};

// y [M][N] (row stride ldy) = x [M][K] fp32 (dense rows) · Wᵀ for quantized W read in place: matmul_f32act.cpp.
struct QuantF32ActJob {
  const float* x = nullptr;
  int M = 0;
  const QuantMatrix* w = nullptr;
  float* y = nullptr;
  size_t ldy = 0;
};

// y [M][N] (row stride ldy) = x [M][K] (row stride ldx) · Wᵀ, W [N][K] fp32 (row stride ldw).
struct F32MatmulJob {
  const float* x = nullptr;
  const float* w = nullptr;
  float* y = nullptr;
  size_t ldx = 0, ldw = 0, ldy = 0;
  int M = 0, N = 0, K = 0;
};

struct KernelTable {
  const char* name;
  // matmul.cpp cuts N into ranges that start at multiples of this (the last range may end anywhere).
  int n_granule;
  // Quantizes rows of x [rows][cols] (cols % 32 == 0); bit-identical to the scalar path.
  void (*quantize_rows)(const float* x, int rows, int cols, int8_t* codes, float* scales, int32_t* sums);
  // Computes columns [n_begin, n_end) of y for all M rows.
  void (*quant_matmul)(const QuantMatmulJob& job, int n_begin, int n_end);
  void (*f32_matmul)(const F32MatmulJob& job, int n_begin, int n_end);
  // Columns [n_begin, n_end) of y for all M rows of a QuantF32ActJob, each weight row decoded in registers and
  // used for every row of x: for the few rows of generation. nullptr where the path has none; matmul_f32act.cpp
  // then decodes panels of W to fp32 and runs f32_matmul on them (what it does for larger M on every path).
  void (*quant_f32act_gemv)(const QuantF32ActJob& job, int n_begin, int n_end);
};

// Each returns its path's table, or nullptr when the path is not compiled into this build (other architecture).
// Whether the CPU can run it is kernel_paths.cpp's business.
const KernelTable* kernel_table_scalar();
const KernelTable* kernel_table_avx2();
const KernelTable* kernel_table_avx512vnni();
const KernelTable* kernel_table_neon();
const KernelTable* kernel_table_neon_dotprod();

// The table of the active path (kernel_paths.cpp).
const KernelTable& active_kernel_table();

}  // namespace golf::kernels
