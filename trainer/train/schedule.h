// schedule.h: the LR multiplier of every optimizer group at each step (challenge.md §1.4, train_gpt.py lr_mul),
// the same for all groups, with no LR warm-up. Pure functions of (step, elapsed training time) so a resumed run,
// which restores both, continues with the same multipliers.
#pragma once
#include <cstdint>

#include "options.h"  // defines: ScheduleKind, TrainOptions

namespace golf::train {

struct ScheduleParams {
  ScheduleKind kind = ScheduleKind::steps;  // never auto_: resolved by TrainOptions::effective_schedule
  int64_t iterations = 0;
  int64_t warmdown_iters = 0;
  double max_wallclock_ms = 0;  // 0: no cap
  double warmdown_frac = 0;
  double min_lr_mul = 0;
};
ScheduleParams schedule_params_from_options(const TrainOptions& o);

// lr_mul before optimizer step `step` (0-based) when `elapsed_ms` of training time have passed:
//   wallclock:     step_ms = elapsed/max(step, 1); warmdown_ms = warmdown_iters·step_ms;
//                  remaining = max(cap − elapsed, 0); remaining/warmdown_ms when remaining ≤ warmdown_ms, else 1
//                  (exactly train_gpt.py, including its "warmdown bug" on slow hardware);
//   steps:         (iterations − step)/warmdown_iters over the last warmdown_iters steps, else 1;
//   time_fraction: frac = max(elapsed/cap, step/iterations); 1 while frac < 1 − warmdown_frac, then
//                  (1 − frac)/warmdown_frac.
// steps and time_fraction never go below min_lr_mul; warmdown_iters <= 0 means a constant 1 (wallclock, steps).
double lr_multiplier(const ScheduleParams& p, int64_t step, double elapsed_ms);

}  // namespace golf::train
