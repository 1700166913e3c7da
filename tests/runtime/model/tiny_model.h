// tiny_model.h: deterministic tiny golf-gpt models for the runtime tests, written with GolfWriter from a splitmix64
// stream (the same bytes on every machine), optionally with a tensor missing or misshapen for the error tests.
#pragma once
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "model_config.h"
#include "status.h"

namespace golf_test {

struct TinyModelSpec {
  golf::ModelConfig config;
  std::string weights = "f32";                           // "f32", "q8" (per row) or "q4" (g32) for the matrices
  uint64_t seed = 1;
  std::set<std::string> drop;                            // tensors left out
  std::map<std::string, std::vector<uint64_t>> reshape;  // tensors written with another shape
};

// The golden model's config: vocab 64, d 64, 3 layers, 4 heads / 2 KV heads, MLP 128, max_seq_len 64.
golf::ModelConfig tiny_config();

// Writes the model to path (a .golf file, no tokenizer).
golf::Status write_tiny_model(const TinyModelSpec& spec, const std::string& path);

// The fp32 values of every tensor of the spec, by name (what the file holds before quantization).
std::map<std::string, std::vector<float>> tiny_model_values(const TinyModelSpec& spec);

}  // namespace golf_test
