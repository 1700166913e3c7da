// schedule.cpp: the LR multiplier formulas (see schedule.h).
#include "schedule.h"

#include <algorithm>

namespace golf::train {

ScheduleParams schedule_params_from_options(const TrainOptions& o) {
  ScheduleParams p;
  p.kind = o.effective_schedule();
  p.iterations = o.iterations;
  p.warmdown_iters = o.warmdown_iters;
  p.max_wallclock_ms = o.max_wallclock_seconds * 1000.0;
  p.warmdown_frac = o.warmdown_frac;
  p.min_lr_mul = o.min_lr_mul;
  return p;
}

double lr_multiplier(const ScheduleParams& p, int64_t step, double elapsed_ms) {
  switch (p.kind) {
    case ScheduleKind::wallclock: {
      if (p.warmdown_iters <= 0 || p.max_wallclock_ms <= 0) return 1.0;
      const double step_ms = elapsed_ms / (double)std::max<int64_t>(step, 1);
      const double warmdown_ms = (double)p.warmdown_iters * step_ms;
      const double remaining_ms = std::max(p.max_wallclock_ms - elapsed_ms, 0.0);
      return remaining_ms <= warmdown_ms ? remaining_ms / std::max(warmdown_ms, 1e-9) : 1.0;
    }
    case ScheduleKind::steps: {
      if (p.warmdown_iters <= 0) return 1.0;
      const int64_t warmdown_start = std::max<int64_t>(p.iterations - p.warmdown_iters, 0);
      if (step < warmdown_start || step >= p.iterations) return step < warmdown_start ? 1.0 : p.min_lr_mul;
      const double m = (double)(p.iterations - step) / (double)std::max<int64_t>(p.warmdown_iters, 1);
      return std::max(m, p.min_lr_mul);
    }
    case ScheduleKind::time_fraction: {
      double frac = p.iterations > 0 ? (double)step / (double)p.iterations : 0.0;
      if (p.max_wallclock_ms > 0) frac = std::max(frac, elapsed_ms / p.max_wallclock_ms);
      frac = std::min(frac, 1.0);
      if (p.warmdown_frac <= 0 || frac < 1.0 - p.warmdown_frac) return 1.0;
      return std::max((1.0 - frac) / p.warmdown_frac, p.min_lr_mul);
    }
    case ScheduleKind::auto_:
      break;
  }
  return 1.0;
}

}  // namespace golf::train
