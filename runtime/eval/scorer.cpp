// scorer.cpp: the scoring loop. Each window is an independent sequence at positions 0..L-1 (as the challenge
// evaluates), so the session is reset per window; NLL comes from a max-subtracted log-sum-exp in double.
#include "scorer.h"

#include <algorithm>
#include <cmath>

#include "windows.h"

namespace golf {

double ScoreTotals::bits_per_byte(int64_t bytes) const {
  return bytes > 0 ? nats / (std::log(2.0) * (double)bytes) : 0.0;
}

namespace {
// -ln softmax(logits)[target], in double.
double nll_of(const float* logits, int vocab, int target) {
  float mx = logits[0];
  for (int v = 1; v < vocab; v++) mx = std::max(mx, logits[v]);
  double sum = 0;
  for (int v = 0; v < vocab; v++) sum += std::exp((double)logits[v] - (double)mx);
  return std::log(sum) + (double)mx - (double)logits[target];
}
}  // namespace

Status Scorer::score(const int32_t* tokens, int64_t n, const ScoreOptions& options, ScoreTotals* totals,
                     const ScoreProgress& progress) {
  const int window = options.window > 0 ? options.window : session_.model().config().max_seq_len;
  if (window > session_.n_ctx())
    return Status(StatusCode::invalid_argument, "window " + std::to_string(window) + " exceeds the session's context of " +
                                                    std::to_string(session_.n_ctx()) + " tokens");
  if (options.stride < 0 || options.stride > window)
    return Status(StatusCode::invalid_argument, "stride must be in [0, window]");
  const int vocab = session_.model().config().vocab_size;
  if (bytes_.vocab_size() < vocab) return Status(StatusCode::invalid_argument, "byte table smaller than the vocabulary");
  for (int64_t i = 0; i < n; i++)
    if (tokens[i] < 0 || tokens[i] >= vocab)
      return Status(StatusCode::invalid_argument, "token " + std::to_string(tokens[i]) + " at position " +
                                                      std::to_string(i) + " is outside the vocabulary [0, " +
                                                      std::to_string(vocab) + ")");
  logits_.resize((size_t)window * (size_t)vocab);
  done_ = 0;
  total_ = n > 1 ? n - 1 : 0;
  progress_ = progress ? &progress : nullptr;
  if (!options.doc_isolated) return score_segment(tokens, n, window, options.stride, totals);
  // Documents start at each BOS; a segment runs to the next BOS inclusive, so that BOS is its last target (it is
  // predicted from its own document) and the segments' targets partition the stream's.
  int64_t a = 0;
  while (a < n - 1) {
    int64_t b = a + 1;
    while (b < n - 1 && tokens[b] != bos_id_) b++;
    GOLF_RETURN_IF_ERROR(score_segment(tokens + a, b - a + 1, window, options.stride, totals));
    a = b;
  }
  return Status::Ok();
}

Status Scorer::score_segment(const int32_t* tokens, int64_t n, int window, int stride, ScoreTotals* totals) {
  const int vocab = session_.model().config().vocab_size;
  for (const EvalWindow& w : plan_eval_windows(n, window, stride)) {
    session_.reset();
    GOLF_RETURN_IF_ERROR(session_.decode(tokens + w.start, (int)w.length, logits_.data(), true));
    for (int64_t p = w.score_from; p < w.length; p++) {
      int prev = tokens[w.start + p], target = tokens[w.start + p + 1];
      totals->nats += nll_of(logits_.data() + (size_t)p * (size_t)vocab, vocab, target);
      totals->bytes_rule += bytes_.bytes(prev, target);
      totals->tokens++;
    }
    done_ += w.length - w.score_from;
    if (progress_) (*progress_)(done_, total_);
  }
  return Status::Ok();
}

}  // namespace golf
