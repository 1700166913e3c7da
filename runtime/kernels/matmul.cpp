// matmul.cpp: argument checks for the int8-activation and fp32 matmuls and their split into N-ranges over the
// thread pool (n_ranges.h); the products themselves are the active path's (kernel_table.h). The fp32-activation
// product on quantized weights is matmul_f32act.cpp.
#include "matmul.h"

#include <algorithm>

#include "kernel_table.h"
#include "n_ranges.h"

namespace golf::kernels {
namespace {

Status invalid(const char* m) { return Status(StatusCode::invalid_argument, m); }

Status check_quant_args(const QuantActs& x, const QuantMatrix& w, const float* y, size_t ldy) {
  GOLF_RETURN_IF_ERROR(check_quant_matrix(w));
  if (x.cols != w.cols) return invalid("matmul_quant: x.cols != w.cols");
  if (x.rows < 0) return invalid("matmul_quant: x.rows < 0");
  if (x.rows == 0) return Status::Ok();
  if (x.codes == nullptr || x.scales == nullptr || x.sums == nullptr || y == nullptr)
    return invalid("matmul_quant: null pointer");
  if (ldy < (size_t)w.rows) return invalid("matmul_quant: ldy < w.rows");
  return Status::Ok();
}

}  // namespace

Status matmul_quant(const QuantActs& x, const QuantMatrix& w, float* y, size_t ldy, ThreadPool* pool) {
  QuantMatmulOut out;
  out.w = &w;
  out.y = y;
  out.ldy = ldy;
  return matmul_quant_many(x, &out, 1, pool);
}

Status matmul_quant_many(const QuantActs& x, const QuantMatmulOut* outs, int count, ThreadPool* pool) {
  if (count < 0 || (count > 0 && outs == nullptr)) return invalid("matmul_quant_many: bad output list");
  long long total_granules = 0;
  const KernelTable& k = active_kernel_table();
  const int granule = k.n_granule;
  for (int i = 0; i < count; ++i) {
    if (outs[i].w == nullptr) return invalid("matmul_quant_many: null matrix");
    GOLF_RETURN_IF_ERROR(check_quant_args(x, *outs[i].w, outs[i].y, outs[i].ldy));
    total_granules += (outs[i].w->rows + granule - 1) / granule;
  }
  if (x.rows == 0 || count == 0) return Status::Ok();
  // The granules of all matrices, end to end, cut into ranges like split_n does; a range may span matrices.
  auto run_range = [&](long long g0, long long g1) {
    long long base = 0;
    for (int i = 0; i < count && base < g1; ++i) {
      const QuantMatrix& w = *outs[i].w;
      long long n_gran = (w.rows + granule - 1) / granule;
      long long a = std::max(g0, base), b = std::min(g1, base + n_gran);
      if (a < b) {
        QuantMatmulJob job;
        job.x = &x;
        job.w = &w;
        job.y = outs[i].y;
        job.ldy = outs[i].ldy;
        k.quant_matmul(job, (int)((a - base) * granule), (int)std::min<long long>(w.rows, (b - base) * granule));
      }
      base += n_gran;
    }
  };
  int n_threads = pool != nullptr ? pool->n_threads() : 1;
  if (n_threads <= 1 || total_granules <= 1) {
    run_range(0, total_granules);
    return Status::Ok();
  }
  int n_tasks = (int)std::min<long long>(total_granules, n_threads * 3);
  pool->parallel_for(n_tasks, [&](int task, int) {
    run_range(total_granules * task / n_tasks, total_granules * (task + 1) / n_tasks);
  });
  return Status::Ok();
}

Status matmul_f32(const float* x, int M, int K, const float* w, int N, float* y, size_t ldy, ThreadPool* pool) {
  if (M < 0 || K < 1 || N < 1) return invalid("matmul_f32: bad shape");
  if (M == 0) return Status::Ok();
  if (x == nullptr || w == nullptr || y == nullptr) return invalid("matmul_f32: null pointer");
  if (ldy < (size_t)N) return invalid("matmul_f32: ldy < N");
  const KernelTable& k = active_kernel_table();
  F32MatmulJob job;
  job.x = x;
  job.w = w;
  job.y = y;
  job.ldx = (size_t)K;
  job.ldw = (size_t)K;
  job.ldy = ldy;
  job.M = M;
  job.N = N;
  job.K = K;
  split_n(N, k.n_granule, pool, [&](int n0, int n1) { k.f32_matmul(job, n0, n1); });
  return Status::Ok();
}

}  // namespace golf::kernels
