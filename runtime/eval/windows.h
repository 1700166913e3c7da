// windows.h: which tokens each evaluation forward pass sees and which of its targets it scores, so that every target
// of a token stream is scored exactly once (challenge.md §3.3-3.4).
//   stride == 0: non-overlapping windows of length L; each window scores all its targets (the baseline's score).
//   stride S > 0: sliding windows of length L advancing by S; the first scores everything, later ones only their
//                 last S targets, so each target has at least L - S tokens of context.
#pragma once
#include <cstdint>
#include <vector>

namespace golf {

struct EvalWindow {
  int64_t start;       // first input token: inputs are tokens[start, start + length)
  int64_t length;      // inputs in this window; targets are tokens[start + 1, start + length + 1)
  int64_t score_from;  // score targets at window positions [score_from, length)
};

// The challenge's trim of a validation stream of n tokens to whole windows of L: ((n - 1) / L) * L + 1 tokens (0 when
// n < 1). Windows then need no padding, and every tool scores the same targets.
inline int64_t whole_window_tokens(int64_t n, int L) { return n >= 1 ? (n - 1) / L * L + 1 : 0; }

// Windows over a stream of n_tokens tokens (n_tokens - 1 targets), window length L >= 1, 0 <= stride <= L.
std::vector<EvalWindow> plan_eval_windows(int64_t n_tokens, int L, int stride);

}  // namespace golf
