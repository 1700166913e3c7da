// validation.cpp: the periodic and final validation of golf-train (see validation.h).
#include "validation.h"

#include <chrono>
#include <cmath>

#include "windows.h"  // defines: plan_eval_windows, whole_window_tokens

namespace golf::train {

Status trim_validation_tokens(const std::vector<int32_t>& tokens, int seq_len, int64_t max_tokens, int64_t* n_out) {
  int64_t n = (int64_t)tokens.size();
  if (max_tokens > 0 && max_tokens < n) n = max_tokens;
  const int64_t usable = whole_window_tokens(n, seq_len);
  if (usable < seq_len + 1) {
    return Status(StatusCode::invalid_argument,
                  "validation: " + std::to_string(n) + " tokens hold no whole window of seq_len " +
                      std::to_string(seq_len) + " (need at least " + std::to_string(seq_len + 1) + ")");
  }
  *n_out = usable;
  return Status::Ok();
}

Status run_validation(const ValForward& forward, const int32_t* tokens, int64_t n_tokens, int seq_len, int rows,
                      const ByteCounter& bytes, Communicator* comm, bool (*should_stop)(), ValResult* out) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<EvalWindow> windows = plan_eval_windows(n_tokens, seq_len, 0);
  const int64_t W = (int64_t)windows.size(), r = comm->rank(), world = comm->world_size();
  const int64_t first = W * r / world, last = W * (r + 1) / world;  // this rank's windows [first, last)
  std::vector<int32_t> ids((size_t)rows * seq_len), targets((size_t)rows * seq_len);
  std::vector<float> nll((size_t)rows * seq_len);
  double sums[3] = {0, 0, 0};  // nats, targets, bytes
  for (int64_t w0 = first; w0 < last;) {
    // A batch: up to `rows` consecutive windows of the same length (all of them but possibly the last).
    const int64_t L = windows[w0].length;
    int B = 0;
    while (B < rows && w0 + B < last && windows[w0 + B].length == L) {
      const EvalWindow& win = windows[w0 + B];
      for (int64_t t = 0; t < L; t++) {
        ids[(size_t)B * L + t] = tokens[win.start + t];
        targets[(size_t)B * L + t] = tokens[win.start + t + 1];
      }
      B++;
    }
    if (w0 > first && should_stop && should_stop())
      return Status(StatusCode::cancelled, "validation stopped on request");
    GOLF_RETURN_IF_ERROR(forward(ids.data(), targets.data(), B, (int)L, nll.data()));
    for (int b = 0; b < B; b++) {
      const EvalWindow& win = windows[w0 + b];
      for (int64_t t = win.score_from; t < L; t++) {
        const size_t i = (size_t)b * L + t;
        sums[0] += (double)nll[i];
        sums[1] += 1;
        sums[2] += bytes.bytes(ids[i], targets[i]);
      }
    }
    w0 += B;
  }
  GOLF_RETURN_IF_ERROR(comm->all_reduce_sum(sums, 3));
  out->nats = sums[0];
  out->targets = (int64_t)sums[1];
  out->bytes = (int64_t)sums[2];
  out->val_loss = sums[1] > 0 ? sums[0] / sums[1] : 0;
  out->val_bpb = sums[2] > 0 ? sums[0] / (std::log(2.0) * sums[2]) : 0;
  out->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return Status::Ok();
}

Status run_validation(TrainBackend* backend, bool use_ema, const int32_t* tokens, int64_t n_tokens, int seq_len,
                      int rows, const ByteCounter& bytes, Communicator* comm, bool (*should_stop)(), ValResult* out) {
  const ValForward forward = [&](const int32_t* ids, const int32_t* targets, int B, int T, float* nll) {
    return backend->eval_nll(ids, targets, B, T, nll, use_ema);
  };
  return run_validation(forward, tokens, n_tokens, seq_len, rows, bytes, comm, should_stop, out);
}

Status run_validation(const train_cpu::ParamStore& ps, train_cpu::Activations* arena, const int32_t* tokens,
                      int64_t n_tokens, int seq_len, int rows, const ByteCounter& bytes, Communicator* comm,
                      ValResult* out) {
  const ValForward forward = [&](const int32_t* ids, const int32_t* targets, int B, int T, float* nll) {
    double loss = 0;
    return train_cpu::model_forward(ps, arena, ids, targets, B, T, &loss, nll);
  };
  return run_validation(forward, tokens, n_tokens, seq_len, rows, bytes, comm, nullptr, out);
}

}  // namespace golf::train
