// windows.cpp: window plans for evaluation. The sliding plan follows the challenge's corrected eval_val_sliding
// (R/2026-04-01 "Fixes"): windows start at multiples of the stride while they still have a target to score.
#include "windows.h"

namespace golf {

std::vector<EvalWindow> plan_eval_windows(int64_t n_tokens, int L, int stride) {
  std::vector<EvalWindow> out;
  const int64_t T = n_tokens - 1;  // targets
  if (T <= 0 || L < 1 || stride < 0 || stride > L) return out;
  if (stride == 0 || stride == L) {
    for (int64_t s = 0; s < T; s += L) out.push_back({s, T - s < L ? T - s : L, 0});
    return out;
  }
  const int64_t ctx = L - stride;
  for (int64_t ws = 0; ws < T; ws += stride) {
    if (ws > 0 && ws + ctx >= T) break;
    int64_t we = ws + L < T ? ws + L : T;
    out.push_back({ws, we - ws, ws == 0 ? 0 : ctx});
  }
  return out;
}

}  // namespace golf
