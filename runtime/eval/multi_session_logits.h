// multi_session_logits.h: a LogitsSource over several sessions, one per device (golf-eval --devices 0,1,...): each
// forward call's windows are cut into contiguous shares, one per session, run on a thread each, and the results come
// back in window order, so the scorer sums the same values in the same stream order as with one session (every
// window is an independent sequence: which session computed it changes nothing).
#pragma once
#include <memory>
#include <vector>

#include "inference_session.h"
#include "scorer.h"  // defines: LogitsSource, SessionLogits

namespace golf {

class MultiSessionLogits : public LogitsSource {
 public:
  // sessions: at least one, all of the same model; they must outlive this.
  explicit MultiSessionLogits(const std::vector<InferenceSession*>& sessions);
  int vocab_size() const override { return parts_[0]->vocab_size(); }
  int max_seq_len() const override { return parts_[0]->max_seq_len(); }
  // Every session's share at the smallest session's size.
  int max_tokens() const override { return per_part_tokens_ * (int)parts_.size(); }
  Status forward(const int32_t* ids, int B, int T, const float** logits) override;
  Status forward_nll(const int32_t* ids, const int32_t* targets, int B, int T, double* nll) override;

 private:
  // Runs fn(part, first window, windows) for the shares of B windows of T tokens, the parts in parallel.
  template <class Fn>
  Status for_shares(int B, int T, Fn&& fn);
  std::vector<std::unique_ptr<SessionLogits>> parts_;
  int per_part_tokens_ = 0;
  std::vector<float> logits_;  // (B·T, vocab) for forward()
};

}  // namespace golf
