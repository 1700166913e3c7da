// scorer.cpp: the scoring loop. Each window is an independent sequence at positions 0..L-1 (as the challenge
// evaluates); consecutive windows of equal length share a forward call; NLL comes from a max-subtracted
// log-sum-exp in double, and totals are summed in stream order so every source gives the same sums.
#include "scorer.h"

#include <algorithm>
#include <cmath>

#include "windows.h"

namespace golf {

double ScoreTotals::bits_per_byte(int64_t bytes) const {
  return bytes > 0 ? nats / (std::log(2.0) * (double)bytes) : 0.0;
}

double nll_of(const float* logits, int vocab, int target) {
  float mx = logits[0];
  for (int v = 1; v < vocab; v++) mx = std::max(mx, logits[v]);
  double sum = 0;
  for (int v = 0; v < vocab; v++) sum += std::exp((double)logits[v] - (double)mx);
  return std::log(sum) + (double)mx - (double)logits[target];
}

Status LogitsSource::forward_nll(const int32_t* ids, const int32_t* targets, int B, int T, double* nll) {
  const float* logits = nullptr;
  GOLF_RETURN_IF_ERROR(forward(ids, B, T, &logits));
  const int vocab = vocab_size();
  for (size_t i = 0; i < (size_t)B * T; i++)
    nll[i] = targets[i] >= 0 ? nll_of(logits + i * vocab, vocab, targets[i]) : 0.0;
  return Status::Ok();
}

SessionLogits::SessionLogits(InferenceSession& session) : session_(session) {}
int SessionLogits::vocab_size() const { return session_.model().config().vocab_size; }
int SessionLogits::max_seq_len() const { return session_.model().config().max_seq_len; }

Status SessionLogits::forward(const int32_t* ids, int B, int T, const float** logits) {
  const size_t V = (size_t)vocab_size();
  logits_.resize((size_t)B * (size_t)T * V);
  GOLF_RETURN_IF_ERROR(session_.forward_sequences(ids, B, T, logits_.data(), (int)V));
  *logits = logits_.data();
  return Status::Ok();
}

Status SessionLogits::forward_nll(const int32_t* ids, const int32_t* targets, int B, int T, double* nll) {
  if (session_.has_device_nll()) return session_.forward_nll(ids, targets, B, T, nll);
  if (dynamic_cast<Session*>(&session_) == nullptr) return LogitsSource::forward_nll(ids, targets, B, T, nll);
  const int vocab = vocab_size();
  const int chunk = std::min(session_.n_batch(), T);
  logits_.resize((size_t)chunk * (size_t)vocab);
  for (int b = 0; b < B; b++) {
    session_.reset();
    // decode() itself runs n_batch rows per forward pass: these calls make the same passes as one call of T rows.
    for (int t0 = 0; t0 < T; t0 += chunk) {
      const int rows = std::min(chunk, T - t0);
      Status st = session_.decode(ids + (size_t)b * T + t0, rows, logits_.data(), true);
      if (!st.ok()) {
        session_.reset();
        return st;
      }
      for (int r = 0; r < rows; r++) {
        const size_t i = (size_t)b * T + t0 + r;
        nll[i] = targets[i] >= 0 ? nll_of(logits_.data() + (size_t)r * vocab, vocab, targets[i]) : 0.0;
      }
    }
  }
  session_.reset();
  return Status::Ok();
}

Status Scorer::score(const int32_t* tokens, int64_t n, const ScoreOptions& options, ScoreTotals* totals,
                     const ScoreProgress& progress) {
  const int window = options.window > 0 ? options.window : source_.max_seq_len();
  if (window > source_.max_tokens())
    return Status(StatusCode::invalid_argument, "window " + std::to_string(window) + " exceeds the " +
                                                    std::to_string(source_.max_tokens()) + " tokens a forward pass holds");
  if (options.stride < 0 || options.stride > window)
    return Status(StatusCode::invalid_argument, "stride must be in [0, window]");
  const int vocab = source_.vocab_size();
  if (bytes_.vocab_size() < vocab) return Status(StatusCode::invalid_argument, "byte table smaller than the vocabulary");
  for (int64_t i = 0; i < n; i++)
    if (tokens[i] < 0 || tokens[i] >= vocab)
      return Status(StatusCode::invalid_argument, "token " + std::to_string(tokens[i]) + " at position " +
                                                      std::to_string(i) + " is outside the vocabulary [0, " +
                                                      std::to_string(vocab) + ")");
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
  const std::vector<EvalWindow> plan = plan_eval_windows(n, window, stride);
  for (size_t w0 = 0; w0 < plan.size();) {
    // One forward call: consecutive windows of the same length, as many as the source holds.
    const int T = (int)plan[w0].length;
    const int max_b = std::max(1, source_.max_tokens() / T);
    size_t w1 = w0 + 1;
    while (w1 < plan.size() && (int)(w1 - w0) < max_b && plan[w1].length == T) w1++;
    const int B = (int)(w1 - w0);
    batch_.resize((size_t)B * T);
    for (int b = 0; b < B; b++)
      std::copy(tokens + plan[w0 + b].start, tokens + plan[w0 + b].start + T, batch_.begin() + (long)b * T);
    targets_.assign((size_t)B * T, -1);
    for (int b = 0; b < B; b++) {
      const EvalWindow& w = plan[w0 + b];
      for (int64_t p = w.score_from; p < w.length; p++) targets_[(size_t)b * T + p] = tokens[w.start + p + 1];
    }
    nll_.assign((size_t)B * T, 0.0);
    GOLF_RETURN_IF_ERROR(source_.forward_nll(batch_.data(), targets_.data(), B, T, nll_.data()));
    for (int b = 0; b < B; b++) {
      const EvalWindow& w = plan[w0 + b];
      for (int64_t p = w.score_from; p < w.length; p++) {
        totals->nats += nll_[(size_t)b * T + p];
        totals->bytes_rule += bytes_.bytes(tokens[w.start + p], tokens[w.start + p + 1]);
        totals->tokens++;
      }
      done_ += w.length - w.score_from;
    }
    if (progress_) (*progress_)(done_, total_);
    w0 = w1;
  }
  return Status::Ok();
}

}  // namespace golf
