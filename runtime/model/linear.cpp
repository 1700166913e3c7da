// linear.cpp: linear_forward: the output rows of a group of linear layers, cut into 32-row granules, are split
// into a few contiguous ranges per thread; each range runs the single-threaded kernel (matmul_quant on a row
// slice of the quantized view against int8 or fp32 inputs, or matmul_f32 on a slice of the fp32 matrix).
#include "linear.h"

#include <algorithm>
#include <atomic>

#include "matmul.h"

namespace golf {
namespace {

constexpr int kGranule = 32;     // rows per unit of work: one packed panel of the GEMM kernels
constexpr int kMaxTargets = 4;
constexpr int kTasksPerThread = 3;  // a few ranges per thread, so one slowed by the OS does not hold the rest up

// Rows [n0, n1) of target t. A row slice of a quantized matrix is a view starting n0 rows further into the codes
// and the scales (SPEC.md §5.2: both are row-major).
Status run_slice(const LinearInput& in, const LinearTarget& t, int n0, int n1) {
  const Linear& w = *t.w;
  if (w.quantized) {
    const size_t row_bytes = w.q.dtype == Dtype::q4 ? (size_t)w.q.cols / 2 : (size_t)w.q.cols;
    const size_t groups_per_row = w.q.group_size == 0 ? 1 : (size_t)w.q.cols / w.q.group_size;
    kernels::QuantMatrix sub = w.q;
    sub.rows = n1 - n0;
    sub.codes += (size_t)n0 * row_bytes;
    sub.scales += (size_t)n0 * groups_per_row;
    if (w.f32_acts) return kernels::matmul_quant_f32act(in.x, in.rows, w.cols, sub, t.y + n0, t.ldy, nullptr);
    return kernels::matmul_quant(*in.acts, sub, t.y + n0, t.ldy, nullptr);
  }
  return kernels::matmul_f32(in.x, in.rows, w.cols, w.w + (size_t)n0 * w.cols, n1 - n0, t.y + n0, t.ldy, nullptr);
}

}  // namespace

Status linear_forward(const LinearInput& in, const LinearTarget* targets, int n_targets, kernels::ThreadPool* pool,
                      const LinearEpilogue& epilogue) {
  if (n_targets < 1 || n_targets > kMaxTargets)
    return Status(StatusCode::invalid_argument, "linear_forward: bad target count");
  if (in.rows == 0) return Status::Ok();
  int first_granule[kMaxTargets + 1];
  first_granule[0] = 0;
  for (int t = 0; t < n_targets; t++) {
    const Linear& w = *targets[t].w;
    const bool needs_acts = w.needs_int8_input();
    if (needs_acts && (in.acts == nullptr || in.acts->rows != in.rows || in.acts->cols != w.cols))
      return Status(StatusCode::invalid_argument, "linear_forward: " + w.name + ": input not quantized to its shape");
    if (!needs_acts && in.x == nullptr) return Status(StatusCode::invalid_argument, "linear_forward: null input");
    first_granule[t + 1] = first_granule[t] + (w.rows + kGranule - 1) / kGranule;
  }
  const int granules = first_granule[n_targets];
  const int n_threads = pool != nullptr ? pool->n_threads() : 1;
  const int n_tasks = n_threads <= 1 ? 1 : std::min(granules, n_threads * kTasksPerThread);

  std::atomic<bool> failed{false};
  Status first_error;
  auto task = [&](int k, int) {
    const int g0 = (int)((long long)granules * k / n_tasks), g1 = (int)((long long)granules * (k + 1) / n_tasks);
    for (int t = 0; t < n_targets; t++) {
      const int a = std::max(g0, first_granule[t]), b = std::min(g1, first_granule[t + 1]);
      if (a >= b) continue;
      const int rows = targets[t].w->rows;
      const int n0 = (a - first_granule[t]) * kGranule, n1 = std::min(rows, (b - first_granule[t]) * kGranule);
      Status st = run_slice(in, targets[t], n0, n1);
      if (!st.ok()) {
        if (!failed.exchange(true)) first_error = st;
        return;
      }
      if (epilogue.fn != nullptr) epilogue.fn(epilogue.ctx, t, n0, n1);
    }
  };
  if (n_tasks == 1) {
    task(0, 0);
  } else {
    pool->parallel_for(n_tasks, task);
  }
  return failed.load() ? first_error : Status::Ok();
}

}  // namespace golf
