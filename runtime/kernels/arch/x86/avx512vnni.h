// avx512vnni.h: the pieces of the AVX-512 VNNI path (kernels_avx512vnni.cpp holds its table): the packed GEMM
// for prompt-sized M and the raw-layout kernel for generation-sized M. Included only by files compiled with the
// AVX-512 flags.
#pragma once
#include "kernel_table.h"

namespace golf::kernels::avx512vnni {

// Columns [n_begin, n_end) of y for all M rows. quant_gemm_packed repacks 32-row weight panels and suits M >= 4;
// quant_gemv_raw reads the raw layout in place and suits M of 1 to a few.
void quant_gemm_packed(const QuantMatmulJob& job, int n_begin, int n_end);
void quant_gemv_raw(const QuantMatmulJob& job, int n_begin, int n_end);

}  // namespace golf::kernels::avx512vnni
