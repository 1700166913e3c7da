// checkpoint.h: golf-train's checkpoints: everything a run needs to continue bit-identically, in one safetensors
// file OUT/checkpoints/step_NNNNNNNN.safetensors:
//   tensors  "param.<name>" (the parameters), "muon.momentum.<name>", "adam.m.<name>", "adam.v.<name>" (the
//            optimizer state, trainer/cpu/optimizer.h), "ema.<name>" (the EMA weights, with --ema-decay);
//   metadata golf.kind, golf.checkpoint_version, golf.config (model), golf.adam_step, golf.step,
//            golf.training_time_ms, golf.tokens_seen, golf.loader_state (the 72-byte LoaderState, hex), golf.seed,
//            golf.options (every option, JSON), golf.data (the training data's fingerprint), golf.tokenizer_sha256,
//            golf.world_size, golf.threads, golf.backend and golf.precision (which backend wrote it),
//            golf.content_sha256 (SHA-256 over every tensor's name and bytes, in
//            name order: detects a damaged file that still parses).
// There is no other random state: the init is a pure function of the seed (cpu/init.h) and the shuffled loader's
// order a pure function of (seed, position), which the loader state holds.
// Writing is crash-safe, as llm.c's DONE markers intend: the file is written under a temporary name, fsynced and
// renamed, the directory fsynced, and only then is OUT/checkpoints/latest (the file name, one line) replaced
// atomically; so `latest` always names a complete checkpoint. Then all but the newest `keep` are deleted.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "cpu/optimizer.h"    // defines: OptimizerState
#include "cpu/params.h"       // defines: ParamStore
#include "loader.h"           // defines: data::LoaderState
#include "model_config.h"     // defines: ModelConfig
#include "params/param_io.h"  // defines: TensorFile, TensorRef
#include "status.h"           // defines: Status

namespace golf::train {

constexpr int kCheckpointVersion = 1;

struct CheckpointMeta {
  int64_t step = 0;                 // optimizer steps completed
  double training_time_ms = 0;      // training time so far (validation and checkpoint writes excluded)
  int64_t tokens_seen = 0;          // training tokens consumed, all ranks
  data::LoaderState loader;
  uint64_t seed = 0;
  std::map<std::string, std::string> options;  // options_to_map of the run
  std::string data_fingerprint;     // data_fingerprint(): training shard names and token counts, validation size
  std::string tokenizer_sha256;
  int world_size = 1;
  int threads = 0;
};

// "step_00000100.safetensors"
std::string checkpoint_file_name(int64_t step);

// Writes the checkpoint of `meta.step` into dir (created if needed), updates dir/latest, keeps the newest `keep`
// checkpoints. *path_out = the file written. `state` and `state_metadata` are a backend's checkpoint_refs (at least
// golf.adam_step); `config` is the model's.
Status checkpoint_write(const std::string& dir, const ModelConfig& config,
                        const std::vector<train_cpu::TensorRef>& state,
                        const std::map<std::string, std::string>& state_metadata, const CheckpointMeta& meta, int keep,
                        std::string* path_out);
// The same for the CPU trainer's ParamStore and OptimizerState directly.
Status checkpoint_write(const std::string& dir, const train_cpu::ParamStore& ps, const train_cpu::OptimizerState& opt,
                        const CheckpointMeta& meta, int keep, std::string* path_out);

// The checkpoint a --resume argument names: "latest" -> the file dir/latest points to; anything else is a path.
Status checkpoint_resolve(const std::string& dir, const std::string& resume_arg, std::string* path);
// Whether dir/latest exists (a run is already there).
bool checkpoint_latest_exists(const std::string& dir);
// Deletes every checkpoint, temporary file and `latest` in dir (for --overwrite).
Status checkpoint_clear(const std::string& dir);

// Reads a checkpoint and its metadata, checking the kind, version and content hash.
Status checkpoint_read(const std::string& path, train_cpu::TensorFile* file, CheckpointMeta* meta);

// Copies the parameters and optimizer state of a checkpoint read by checkpoint_read into ps and opt, whose layouts
// must match the checkpoint's model config (otherwise the message says which config keys differ).
Status checkpoint_restore(const train_cpu::TensorFile& file, train_cpu::ParamStore* ps,
                          train_cpu::OptimizerState* opt);

}  // namespace golf::train
