// param_source.h: the inputs of golf-export read from disk: a golf-gpt model's parameters from a safetensors file
// (param_io.h's parameter files, golf-train checkpoints that keep the parameters under a name prefix, or a
// PyTorch export in F32/F16/BF16) and its config (the file's "golf.config" metadata or a JSON file). The tokenizer
// comes from format/tokenizer_source.h.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "aligned_buffer.h"
#include "export.h"               // defines: ExportProvenance
#include "params/param_layout.h"  // defines: train_cpu::ParamLayout
#include "status.h"
#include "tokenizer_data.h"

namespace golf::train_export {

struct ParamSourceOptions {
  // JSON object of CONF keys (SPEC.md §3.1); empty: the file's "golf.config" metadata.
  std::string config_path;
  // Tensor names in the file are prefix + SPEC name. Unset: found from the names (see load_export_params).
  bool prefix_set = false;
  std::string prefix;
};

struct ExportParams {
  train_cpu::ParamLayout layout;
  AlignedBuffer memory;                          // layout.total floats, 64-byte aligned (as the trainer's)
  std::string prefix;                            // the prefix the tensors were read under
  std::map<std::string, std::string> metadata;   // the file's safetensors metadata
  const float* params() const { return (const float*)memory.data(); }
};

// Reads every tensor of the config's layout from `path` (shapes must match; other tensors, such as optimizer
// state in a checkpoint, are ignored). Without an explicit prefix: "" when the file has "tok_emb.weight",
// else the one prefix P for which P + "tok_emb.weight" exists, not counting optimizer state and gradients
// ("adam.*", "muon.*", "grad*"); so a golf-train checkpoint resolves to "param.". Several candidates (e.g.
// "param." and "ema.") -> invalid_argument listing them.
Status load_export_params(const std::string& path, const ParamSourceOptions& options, ExportParams* out);

// Provenance from a golf-train checkpoint's metadata (trainer/train/checkpoint.h): golf.step -> train_steps,
// golf.training_time_ms -> train_seconds, golf.tokens_seen -> train_tokens, golf.seed -> seed, golf.data ->
// META data_fingerprint, golf.tokenizer_sha256 -> META tokenizer_sha256. Keys that are absent or malformed are
// skipped (a parameter file has none of them).
ExportProvenance provenance_from_metadata(const std::map<std::string, std::string>& metadata);

}  // namespace golf::train_export
