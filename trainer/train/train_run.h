// train_run.h: one golf-train run, from the command line's options to the exported model, in three calls:
//   train_setup   options (+ checkpoint on --resume) -> data, tokenizer, model, optimizer, logs   (train_setup.cpp)
//   train_loop    the challenge's loop: validate, checkpoint, step; until iterations, the wallclock cap or a
//                 signal                                                                          (train_loop.cpp)
//   train_finish  loss.svg, final parameters, export to .golf and its runtime score (rank 0)    (train_finish.cpp)
// The TrainRun struct is the state they share; tests drive the same three calls.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "backend.h"         // defines: TrainBackend, MemoryReport
#include "byte_count.h"      // defines: ByteCounter
#include "communicator.h"    // defines: Communicator
#include "loader.h"          // defines: data::TrainLoader, data::LoaderState
#include "options.h"         // defines: TrainOptions, ParsedArgs
#include "run_log.h"         // defines: RunLog
#include "status.h"          // defines: Status
#include "tokenizer_data.h"  // defines: TokenizerData
#include "validation.h"      // defines: ValResult

namespace golf::train {

// What the run trains and validates on.
struct DataInfo {
  std::string train_pattern, val_pattern;
  std::vector<std::string> train_shards;   // file names (no directory), sorted
  std::vector<uint64_t> train_shard_tokens;
  uint64_t train_tokens = 0;
  size_t val_shards = 0;
  uint64_t val_tokens = 0;
  std::string manifest_path, manifest_sha256;  // empty without DIR/manifest.json
  // Identifies the data for the resume check: training shard names and sizes, validation size. Paths are left
  // out, so a run directory and its data can move.
  std::string fingerprint() const;
};

struct TrainRun {
  TrainOptions options;
  Communicator* comm = nullptr;
  std::string command_line;
  std::string git_revision;  // "" when git finds none

  // Data.
  DataInfo data;
  std::unique_ptr<data::TrainLoader> loader;
  data::LoaderState initial_loader_state;  // for undoing warm-up steps
  int grad_accum = 1;
  int64_t local_tokens = 0;   // tokens per rank per micro-step
  int64_t step_tokens = 0;    // tokens per optimizer step, all ranks (local_tokens · world · grad_accum)
  std::vector<int32_t> val_tokens;  // all validation tokens, untrimmed
  int64_t val_tokens_full = 0;      // trimmed to whole windows: what the final validation scores
  int64_t val_tokens_periodic = 0;  // the same under --val-max-tokens
  int val_rows = 1;                 // windows per validation forward
  TokenizerData tokenizer;
  std::string tokenizer_path, tokenizer_sha256;
  std::unique_ptr<ByteCounter> byte_counter;

  // Model and optimizer: the backend owns parameters, optimizer state, EMA and activations.
  std::unique_ptr<TrainBackend> backend;
  MemoryReport memory;                    // the backend's plan, as logged
  std::vector<int32_t> batch_x, batch_y;  // one step's micro-batches (grad_accum, local_tokens)

  // Progress (what a checkpoint restores).
  int64_t step = 0;
  double training_time_ms = 0;
  int64_t tokens_seen = 0;
  bool resumed = false;
  std::string resumed_from;

  RunLog log;
};

Status train_setup(const ParsedArgs& args, Communicator* comm, const std::string& command_line, TrainRun* run);

struct TrainOutcome {
  int stop_signal = 0;          // SIGINT/SIGTERM when the run stopped early on a signal (checkpoint written)
  bool paused = false;          // stopped at --pause-at-step (checkpoint written; continue with --resume)
  bool stopped_by_wallclock = false;
  int64_t steps = 0;
  double training_time_ms = 0;
  double wall_seconds = 0;      // the loop's wallclock, validation and checkpoints included
  bool has_final_val = false;
  ValResult final_val;          // on all validation tokens
  std::string last_checkpoint;
};

Status train_loop(TrainRun* run, TrainOutcome* out);

// Rank 0: OUT/loss.svg, OUT/final.safetensors (the parameters, or the EMA weights with --ema-decay; the
// trainer/params/param_io.h format), and, with
// --export 1, OUT/model.golf (or --export-path) scored by the runtime on all validation tokens. Other ranks return.
Status train_finish(TrainRun* run, const TrainOutcome& outcome);

// Helpers shared by the three files.
std::string checkpoint_dir(const TrainOptions& o);
double now_seconds();

}  // namespace golf::train
