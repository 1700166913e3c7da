// scorer.h: bits-per-byte scoring of a token stream, exactly as the challenge accounts it (challenge.md §3): every
// target is scored once (windows.h), NLL and bytes are summed in double in stream order, and
// bpb = total_nats / (ln 2 · bytes). Document isolation restarts the context at every BOS. The logits come from a
// LogitsSource: the runtime's Session (golf-eval, the C API, the official post-quant score) or the trainer's fp32
// forward (the pre-quant score), so both numbers come from this one loop.
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

// Computes the logits of B independent sequences of T tokens each, at positions 0..T-1.
class LogitsSource {
 public:
  virtual ~LogitsSource() = default;
  virtual int vocab_size() const = 0;
  virtual int max_seq_len() const = 0;    // the model's trained context (the default window)
  virtual int max_tokens() const = 0;     // B·T per call at most (>= the window)
  // *logits points at [B·T][vocab] floats valid until the next call.
  virtual Status forward(const int32_t* ids, int B, int T, const float** logits) = 0;
  // Receives the logits of rows [t0, t0 + rows) of sequence b: [rows][vocab] floats, valid during the call.
  using RowsSink = std::function<void(int b, int t0, int rows, const float* logits)>;
  // The logits forward computes, handed to sink in order of (b, t0). The default makes one forward call; a source
  // that computes a block of rows at a time overrides it so that the B·T·vocab floats never exist at once.
  virtual Status forward_rows(const int32_t* ids, int B, int T, const RowsSink& sink);
};

// The runtime's source: one Session, each sequence decoded from a reset context.
class SessionLogits : public LogitsSource {
 public:
  explicit SessionLogits(Session& session);
  int vocab_size() const override;
  int max_seq_len() const override;
  int max_tokens() const override { return session_.n_ctx(); }
  Status forward(const int32_t* ids, int B, int T, const float** logits) override;
  // One decode call per n_batch rows: the session's logits buffer is [n_batch][vocab], not [B·T][vocab] (4 MB at
  // the baseline's window and vocabulary).
  Status forward_rows(const int32_t* ids, int B, int T, const RowsSink& sink) override;

 private:
  Session& session_;
  std::vector<float> logits_;  // (B·T, vocab) for forward; (n_batch, vocab) for forward_rows
};

class Scorer {
 public:
  Scorer(LogitsSource& source, const ByteCounter& bytes, int bos_id) : source_(source), bytes_(bytes), bos_id_(bos_id) {}
  // Scores the n - 1 targets of tokens[0, n) and adds them to *totals.
  Status score(const int32_t* tokens, int64_t n, const ScoreOptions& options, ScoreTotals* totals,
               const ScoreProgress& progress = nullptr);

 private:
  Status score_segment(const int32_t* tokens, int64_t n, int window, int stride, ScoreTotals* totals);
  LogitsSource& source_;
  const ByteCounter& bytes_;
  int bos_id_;
  std::vector<int32_t> batch_;  // (B·T) inputs of the windows of one forward call
  std::vector<double> nll_;     // (B·T)
  int64_t done_ = 0, total_ = 0;
  const ScoreProgress* progress_ = nullptr;
};

}  // namespace golf
