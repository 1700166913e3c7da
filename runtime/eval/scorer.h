// scorer.h: bits-per-byte scoring of a token stream with a model session, exactly as the challenge accounts it
// (challenge.md §3): every target is scored once (windows.h), NLL and bytes are summed in double, and
// bpb = total_nats / (ln 2 · bytes). Document isolation restarts the context at every BOS.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "byte_count.h"
#include "session.h"
#include "status.h"

namespace golf {

struct ScoreOptions {
  int window = 0;            // tokens per forward pass; 0: the model's max_seq_len
  int stride = 0;            // 0: non-overlapping windows; S: sliding windows scoring their last S targets
  bool doc_isolated = false; // context never crosses a BOS (each document is scored on its own)
};

struct ScoreTotals {
  double nats = 0;            // sum of -ln p(target)
  int64_t tokens = 0;         // targets scored
  int64_t bytes_rule = 0;     // bytes by the challenge's per-token rule
  double bits_per_byte(int64_t bytes) const;
  double loss() const { return tokens ? nats / (double)tokens : 0; }
};

// Called after each forward pass with (targets scored so far, targets in total).
using ScoreProgress = std::function<void(int64_t done, int64_t total)>;

class Scorer {
 public:
  // The session must hold at least `window` positions; bos_id marks documents.
  Scorer(Session& session, const ByteCounter& bytes, int bos_id) : session_(session), bytes_(bytes), bos_id_(bos_id) {}
  // Scores the n - 1 targets of tokens[0, n) and adds them to *totals.
  Status score(const int32_t* tokens, int64_t n, const ScoreOptions& options, ScoreTotals* totals,
               const ScoreProgress& progress = nullptr);

 private:
  Status score_segment(const int32_t* tokens, int64_t n, int window, int stride, ScoreTotals* totals);
  Session& session_;
  const ByteCounter& bytes_;
  int bos_id_;
  std::vector<float> logits_;  // (window, vocab)
  int64_t done_ = 0, total_ = 0;
  const ScoreProgress* progress_ = nullptr;
};

}  // namespace golf
