// multi_session_logits.cpp: the shares of one forward call over several sessions (multi_session_logits.h).
#include "multi_session_logits.h"

#include <algorithm>
#include <cstring>
#include <thread>

namespace golf {

MultiSessionLogits::MultiSessionLogits(const std::vector<InferenceSession*>& sessions) {
  for (InferenceSession* s : sessions) {
    parts_.emplace_back(new SessionLogits(*s));
    const int t = parts_.back()->max_tokens();
    per_part_tokens_ = parts_.size() == 1 ? t : std::min(per_part_tokens_, t);
  }
}

template <class Fn>
Status MultiSessionLogits::for_shares(int B, int T, Fn&& fn) {
  const int K = (int)parts_.size();
  const int per = std::max(1, per_part_tokens_ / T);  // windows one session takes per call
  for (int r0 = 0; r0 < B; r0 += K * per) {  // one round when B·T <= max_tokens() and T divides the shares
    const int rb = std::min(B - r0, K * per);
    const int share = (rb + K - 1) / K;  // <= per
    std::vector<Status> status((size_t)K);
    std::vector<std::thread> threads;
    for (int k = 0; k < K; k++) {
      const int b0 = r0 + k * share, n = std::min(r0 + rb, b0 + share) - b0;
      if (n <= 0) break;
      if (b0 + n < r0 + rb)
        threads.emplace_back([&, k, b0, n]() { status[k] = fn(k, b0, n); });
      else
        status[k] = fn(k, b0, n);  // the last share on the calling thread
    }
    for (std::thread& t : threads) t.join();
    for (const Status& s : status)
      if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status MultiSessionLogits::forward(const int32_t* ids, int B, int T, const float** logits) {
  const size_t V = (size_t)vocab_size(), row = (size_t)T * V;
  logits_.resize((size_t)B * row);
  GOLF_RETURN_IF_ERROR(for_shares(B, T, [&](int k, int b0, int n) -> Status {
    const float* part = nullptr;
    GOLF_RETURN_IF_ERROR(parts_[k]->forward(ids + (size_t)b0 * T, n, T, &part));
    std::memcpy(logits_.data() + (size_t)b0 * row, part, (size_t)n * row * sizeof(float));
    return Status::Ok();
  }));
  *logits = logits_.data();
  return Status::Ok();
}

Status MultiSessionLogits::forward_nll(const int32_t* ids, const int32_t* targets, int B, int T, double* nll) {
  return for_shares(B, T, [&](int k, int b0, int n) -> Status {
    const size_t off = (size_t)b0 * T;
    return parts_[k]->forward_nll(ids + off, targets + off, n, T, nll + off);
  });
}

}  // namespace golf
