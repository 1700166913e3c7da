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
#include "session.h"  // defines: Session (the CPU backend), InferenceSession
#include "status.h"

namespace golf {

struct ScoreOptions {
  int window = 0;            // tokens per forward pass; 0: the model's max_seq_len
  int stride = 0;            // 0: non-overlapping windows; S: sliding windows scoring their last S targets
  bool doc_isolated = false; // context never crosses a BOS (each document is scored on its own)
};

// −ln softmax(logits [vocab])[target] in double: the row's max in fp32, Σ exp(z − max) in double. Every source's
// NLL is this (the GPU's kernel is its twin: runtime/cuda/nll_math.h).
double nll_of(const float* logits, int vocab, int target);

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
  // nll (B·T) of targets (B·T) in double: −ln softmax(logits of row i)[targets[i]], 0 where targets[i] < 0. This
  // default runs forward() and computes it on the host; a GPU source computes it on the device.
  virtual Status forward_nll(const int32_t* ids, const int32_t* targets, int B, int T, double* nll);
};

// The runtime's source: one session of any backend (InferenceSession::forward_sequences: the CPU decodes each
// sequence from a reset context, a GPU runs many per pass).
class SessionLogits : public LogitsSource {
 public:
  explicit SessionLogits(InferenceSession& session);
  int vocab_size() const override;
  int max_seq_len() const override;
  int max_tokens() const override { return session_.max_sequence_tokens(); }
  Status forward(const int32_t* ids, int B, int T, const float** logits) override;
  // On the CPU, one decode call per n_batch rows, each block reduced to its NLLs at once: the logits held are
  // [n_batch][vocab] floats, not [B·T][vocab] (4 MB at the baseline's window and vocabulary).
  Status forward_nll(const int32_t* ids, const int32_t* targets, int B, int T, double* nll) override;

 private:
  InferenceSession& session_;
  std::vector<float> logits_;  // (B·T, vocab) for forward; (n_batch, vocab) for forward_nll on the CPU
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
  std::vector<int32_t> targets_;  // (B·T) the target of each scored position, −1 elsewhere
  std::vector<double> nll_;     // (B·T)
  int64_t done_ = 0, total_ = 0;
  const ScoreProgress* progress_ = nullptr;
};

}  // namespace golf
