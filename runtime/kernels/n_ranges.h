// n_ranges.h: how the matmuls share out the output columns: [0, N) cut into ranges aligned to the active path's
// granule, a few per thread, run on the pool. Internal to runtime/kernels (matmul.cpp, matmul_f32act.cpp); not
// for the per-ISA files (it is compiled without ISA flags and must stay that way).
#pragma once
#include <algorithm>

#include "thread_pool.h"

namespace golf::kernels {
namespace {

// Runs fn(n_begin, n_end) over [0, N) in ranges aligned to `granule`, a few per thread so that a thread slowed by
// the OS does not hold the others up.
template <class RangeFn>
void split_n(int N, int granule, ThreadPool* pool, RangeFn&& fn) {
  int n_threads = pool != nullptr ? pool->n_threads() : 1;
  int granules = (N + granule - 1) / granule;
  if (n_threads <= 1 || granules <= 1) {
    fn(0, N);
    return;
  }
  int n_tasks = std::min(granules, n_threads * 3);
  pool->parallel_for(n_tasks, [&](int task, int) {
    int g0 = (int)((long long)granules * task / n_tasks);
    int g1 = (int)((long long)granules * (task + 1) / n_tasks);
    int n0 = g0 * granule, n1 = std::min(N, g1 * granule);
    if (n0 < n1) fn(n0, n1);
  });
}

}  // namespace
}  // namespace golf::kernels
