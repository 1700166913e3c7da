// matmul_f32act.cpp: matmul_quant_f32act, quantized weights against fp32 activations; the weights are read from
// memory at their stored width and the activations are never rounded. A few rows of x (generation) go to the
// path's fused kernel where it has one; otherwise each thread decodes panels of W (code · f16 scale, exact in
// fp32) into a tile on its stack and runs the path's fp32 matmul on the tile.
#include <algorithm>

#include "half.h"
#include "kernel_table.h"
#include "kernel_util.h"
#include "matmul.h"
#include "n_ranges.h"

namespace golf::kernels {
namespace {

// 64 KB (on the calling thread's stack: a WebAssembly build must give its threads more than that): a panel of W as
// fp32 stays in L1/L2 while all M rows of x stream past it.
constexpr int kTileFloats = 16384;
constexpr int kMaxPanelRows = 32;
// Up to this many rows of x, the fused kernel (which decodes each weight once per row of x) beats decoding a panel
// once and running the fp32 GEMM on it: 1024×512 q8, one AVX-512 thread, fused 20 µs + 19 µs per extra row, panel
// 80 µs + ~18 µs per extra row (they cross at 7-8 rows).
constexpr int kFusedMaxRows = 6;

Status invalid(const char* m) { return Status(StatusCode::invalid_argument, m); }

// Row `row` of w as fp32: out [w.cols]. q4 nibbles are unpacked as SPEC.md §5.2 lays them out per group.
void dequant_row(const QuantMatrix& w, int row, float* out) {
  const uint8_t* codes = w_row_codes(w, row);
  const uint16_t* scales = w_row_scales(w, row);
  const int gc = w_group_cols(w), groups = w_groups_per_row(w);
  for (int g = 0; g < groups; ++g) {
    const float s = golf::f16_to_f32(scales[g]);
    float* o = out + (size_t)g * gc;
    if (w.dtype != golf::Dtype::q4) {
      const int8_t* c = reinterpret_cast<const int8_t*>(codes) + (size_t)g * gc;
      for (int j = 0; j < gc; ++j) o[j] = (float)c[j] * s;
    } else {  // byte j of a group holds columns j (low nibble) and j + gc/2 (high nibble), each biased by 8
      const uint8_t* c = codes + (size_t)g * (gc / 2);
      for (int j = 0; j < gc / 2; ++j) {
        o[j] = (float)((c[j] & 0x0F) - 8) * s;
        o[j + gc / 2] = (float)((c[j] >> 4) - 8) * s;
      }
    }
  }
}

}  // namespace

Status matmul_quant_f32act(const float* x, int M, int K, const QuantMatrix& w, float* y, size_t ldy,
                           ThreadPool* pool) {
  GOLF_RETURN_IF_ERROR(check_quant_matrix(w));
  if (M < 0) return invalid("matmul_quant_f32act: M < 0");
  if (K != w.cols) return invalid("matmul_quant_f32act: K != w.cols");
  if (K > kTileFloats) return invalid("matmul_quant_f32act: K > 16384 is not supported (decode tile size)");
  if (M == 0) return Status::Ok();
  if (x == nullptr || y == nullptr) return invalid("matmul_quant_f32act: null pointer");
  if (ldy < (size_t)w.rows) return invalid("matmul_quant_f32act: ldy < w.rows");
  const KernelTable& k = active_kernel_table();
  if (M <= kFusedMaxRows && k.quant_f32act_gemv != nullptr) {
    QuantF32ActJob job;
    job.x = x;
    job.M = M;
    job.w = &w;
    job.y = y;
    job.ldy = ldy;
    split_n(w.rows, k.n_granule, pool, [&](int n0, int n1) { k.quant_f32act_gemv(job, n0, n1); });
    return Status::Ok();
  }
  const int panel_rows = std::min(kMaxPanelRows, kTileFloats / K);
  split_n(w.rows, k.n_granule, pool, [&](int n0, int n1) {
    float tile[kTileFloats];  // [panel_rows][K]
    for (int p0 = n0; p0 < n1; p0 += panel_rows) {
      const int rows = std::min(panel_rows, n1 - p0);
      for (int r = 0; r < rows; ++r) dequant_row(w, p0 + r, tile + (size_t)r * K);
      F32MatmulJob job;
      job.x = x;
      job.w = tile;
      job.y = y + p0;
      job.ldx = (size_t)K;
      job.ldw = (size_t)K;
      job.ldy = ldy;
      job.M = M;
      job.N = rows;
      job.K = K;
      k.f32_matmul(job, 0, rows);
    }
  });
  return Status::Ok();
}

}  // namespace golf::kernels
