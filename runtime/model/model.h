// model.h: golf::Model, a golf-gpt model loaded from a .golf file (the architecture of SPEC.md §3.1 and
// challenge.md §1.2). Immutable after load: one Model is shared by any number of Sessions (session.h) on
// different threads. Weights stay in the file's memory map where the kernels can use them in place.
#pragma once
#include <memory>
#include <string>

#include "golf_file.h"
#include "model_config.h"
#include "model_weights.h"
#include "status.h"
#include "tokenizer.h"

namespace golf {

struct ModelOptions {
  // automatic: quantized kernels for quantized weights, fp32 otherwise. f32: everything dequantized to fp32 at
  // load (the reference path, ~4 bytes per weight of memory).
  ComputeMode compute = ComputeMode::automatic;
};

class Model {
 public:
  // Builds the model from an open file: reads the config, checks every tensor's presence and shape (errors name
  // the tensor), and prepares the weights. The model keeps the file alive.
  static Status load(std::shared_ptr<const GolfFile> file, const ModelOptions& options, std::unique_ptr<Model>* out);
  // Opens (mmap, checksums verified) and loads path.
  static Status load_file(const std::string& path, const ModelOptions& options, std::unique_ptr<Model>* out);

  const ModelConfig& config() const { return config_; }
  // The file's tokenizer, or null when the file has none.
  const Tokenizer* tokenizer() const { return tokenizer_.get(); }
  const GolfFile& file() const { return *file_; }
  const ModelOptions& options() const { return options_; }
  // For sessions and reports: the prepared weights.
  const ModelWeights& weights() const { return weights_; }

 private:
  Model() = default;
  std::shared_ptr<const GolfFile> file_;
  ModelOptions options_;
  ModelConfig config_;
  ModelWeights weights_;
  std::unique_ptr<Tokenizer> tokenizer_;
};

}  // namespace golf
