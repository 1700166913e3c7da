// matmul_f32act.cpp: matmul_quant_f32act, quantized weights against fp32 activations; the weights are read from
// memory at their stored width and the activations are never rounded. A few rows of x (generation) go to the
// path's fused kernel where it has one; otherwise each thread decodes panels of W (code · f16 scale, exact in
// fp32) into a tile on its stack and runs the path's fp32 matmul on the tile.
#include <algorithm>

#include "kernel_table.h"
#include "kernel_util.h"
#include "matmul.h"
#include "n_ranges.h"
#include "quant.h"  // defines: dequantize_row

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
      for (int r = 0; r < rows; ++r)
        golf::dequantize_row(w.dtype, w.group_size, (uint64_t)K, w_row_codes(w, p0 + r),
                             reinterpret_cast<const uint8_t*>(w_row_scales(w, p0 + r)), tile + (size_t)r * K);
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
