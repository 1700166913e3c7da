// validation.h: val_loss and val_bpb with the trainer's own forward, accounted exactly as the runtime (and the
// challenge) accounts them: the validation stream trimmed to whole windows, ((N − 1) / L)·L + 1 tokens
// (challenge.md §3.3), non-overlapping windows of L = seq_len from runtime/eval/windows.h, bytes per target from
// runtime/eval/byte_count.h, sums in double, val_loss = Σnats / targets, val_bpb = Σnats / (ln 2 · Σbytes). Ranks
// split the windows into contiguous ranges and all-reduce the three sums, as eval_val does.
// A stop request (should_stop, polled between forwards) ends it early with StatusCode::cancelled.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "backend.h"        // defines: TrainBackend
#include "byte_count.h"     // defines: ByteCounter
#include "communicator.h"   // defines: Communicator
#include "cpu/model.h"      // defines: Activations, model_forward
#include "cpu/params.h"     // defines: ParamStore
#include "status.h"         // defines: Status

namespace golf::train {

struct ValResult {
  double val_loss = 0, val_bpb = 0;
  double nats = 0;
  int64_t targets = 0, bytes = 0;
  double seconds = 0;
};

// The challenge's trim: the first ((n − 1) / L)·L + 1 of n tokens (n = min(max_tokens, size) when max_tokens > 0).
// Fails when no whole window fits.
Status trim_validation_tokens(const std::vector<int32_t>& tokens, int seq_len, int64_t max_tokens, int64_t* n_out);

// Per-target NLL in nats (B·T floats) of a forward over ids (B, T) with targets.
using ValForward = std::function<Status(const int32_t* ids, const int32_t* targets, int B, int T, float* nll)>;

// Scores tokens[0, n_tokens) (already trimmed), `rows` windows per call of `forward`. `should_stop` (may be null)
// is polled before each forward after the first.
Status run_validation(const ValForward& forward, const int32_t* tokens, int64_t n_tokens, int seq_len, int rows,
                      const ByteCounter& bytes, Communicator* comm, bool (*should_stop)(), ValResult* out);

// The same through a backend's eval_nll (rows ≤ its eval_rows), with its EMA weights when `use_ema`.
Status run_validation(TrainBackend* backend, bool use_ema, const int32_t* tokens, int64_t n_tokens, int seq_len,
                      int rows, const ByteCounter& bytes, Communicator* comm, bool (*should_stop)(), ValResult* out);

// The same with the CPU trainer's forward: `arena` is a forward arena (training = false is enough) sized for at
// least (rows, seq_len).
Status run_validation(const train_cpu::ParamStore& ps, train_cpu::Activations* arena, const int32_t* tokens,
                      int64_t n_tokens, int seq_len, int rows, const ByteCounter& bytes, Communicator* comm,
                      ValResult* out);

}  // namespace golf::train
