// kernel_util.h: small helpers the kernel paths share: where a weight row's codes and scales are, which group a
// 32-column block belongs to, unaligned loads, and GOLF_UNROLL.
//
// Everything here has internal linkage (anonymous namespace) on purpose: this header is compiled into files with
// different instruction-set flags (-mavx512f, -march=armv8.2-a+dotprod, none). An ordinary inline function
// compiled in several of them is one weak symbol, and the linker may keep the AVX-512 copy for the scalar path,
// which then faults on CPUs without AVX-512. For the same reason the per-ISA files call no inline function of
// another header that could be emitted out of line (half.h's conversions, for one).
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "quant_matrix.h"

// Fully unrolls the loop that follows. The kernels keep tiles of accumulators in arrays indexed by small
// constant-trip loops; unless those loops are unrolled the arrays live on the stack instead of in registers
// (GCC -O2 does not always unroll them on its own).
#define GOLF_UNROLL _Pragma("GCC unroll 16")

namespace golf::kernels {
namespace {

// Columns that share one scale (all of them for group_size 0), and scales per row.
inline int w_group_cols(const QuantMatrix& w) { return w.group_size == 0 ? w.cols : (int)w.group_size; }
inline int w_groups_per_row(const QuantMatrix& w) { return w.cols / w_group_cols(w); }
// Bytes of codes per row: one per weight, or one per two for q4.
inline size_t w_row_bytes(const QuantMatrix& w) {
  return w.dtype == golf::Dtype::q4 ? (size_t)w.cols / 2 : (size_t)w.cols;
}
inline const uint8_t* w_row_codes(const QuantMatrix& w, int row) { return w.codes + (size_t)row * w_row_bytes(w); }
inline const uint16_t* w_row_scales(const QuantMatrix& w, int row) {
  return w.scales + (size_t)row * w_groups_per_row(w);
}
// Index of the group holding 32-column block `block` (group sizes are powers of two: a shift, not a division).
inline int w_block_group(const QuantMatrix& w, int block) {
  return w.group_size == 0 ? 0 : (block * kActBlock) >> __builtin_ctz(w.group_size);
}

inline int32_t load_i32(const void* p) { int32_t v; std::memcpy(&v, p, 4); return v; }
// std::min would be a weak template instance shared with other files (see above); this one is private.
inline int min_int(int a, int b) { return a < b ? a : b; }

}  // namespace
}  // namespace golf::kernels
