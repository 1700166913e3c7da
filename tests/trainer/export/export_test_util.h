// export_test_util.h: helpers shared by the export tests: a temporary directory, small golf-gpt configs, a
// ParamStore with EVERY parameter randomized (control tensors too, so that no part of the forward pass is at a
// trivial value), the repository's sp1024 tokenizer, and real validation text tokenized with it.
#pragma once
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cpu/params.h"
#include "spm_model.h"
#include "tokenizer.h"
#include "tokenizer_data.h"

namespace golf::export_test {

class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/golf_export_test_XXXXXX";
    const char* made = ::mkdtemp(pattern);
    path_ = made ? made : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline std::string source_path(const std::string& rel) { return std::string(GOLF_SOURCE_DIR) + "/" + rel; }

// The brief's small model: vocab 1024, d 64, 3 layers, 4 heads / 2 KV heads, MLP 128.
inline ModelConfig small_config() {
  ModelConfig c;
  c.vocab_size = 1024;
  c.model_dim = 64;
  c.num_layers = 3;
  c.num_heads = 4;
  c.num_kv_heads = 2;
  c.mlp_hidden = 128;
  c.rope_dims = 16;  // = head_dim
  c.num_encoder_layers = 1;
  c.max_seq_len = 256;
  return c;
}

// A model whose matrices exceed the challenge recipe's 65,536-element threshold (tok_emb, mlp.fc, mlp.proj), so
// that they are stored q8.
inline ModelConfig quantizable_config() {
  ModelConfig c = small_config();
  c.model_dim = 256;
  c.num_layers = 2;
  c.num_heads = 4;
  c.num_kv_heads = 2;
  c.mlp_hidden = 512;
  c.rope_dims = 64;
  return c;
}

// Randomizes every tensor: matrices N(0, (gain/sqrt(in))^2), tok_emb N(0, emb_std^2), q_gain around 1.5, the
// scales around 1, resid_mix rows around (1, 0) with noise, skip weights around 1.
inline void randomize(train_cpu::ParamStore* s, uint64_t seed, float gain = 1.0f, float emb_std = 0.5f) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (const train_cpu::ParamInfo& t : s->layout.tensors) {
    float* w = s->params + t.offset;
    const std::string& n = t.name;
    auto fill = [&](float mean, float std) {
      for (size_t i = 0; i < t.numel; i++) w[i] = mean + std * normal(rng);
    };
    if (n == "tok_emb.weight" || n == "lm_head.weight") fill(0.0f, emb_std);
    else if (n.find("q_gain") != std::string::npos) fill(1.5f, 0.3f);
    else if (n.find("attn_scale") != std::string::npos || n.find("mlp_scale") != std::string::npos) fill(1.0f, 0.2f);
    else if (n.find("resid_mix") != std::string::npos) {
      const size_t d = t.numel / 2;
      for (size_t i = 0; i < d; i++) w[i] = 1.0f + 0.2f * normal(rng);
      for (size_t i = d; i < 2 * d; i++) w[i] = 0.3f * normal(rng);
    } else if (n == "skip_weights") fill(1.0f, 0.2f);
    else fill(0.0f, gain / std::sqrt((float)t.shape.back()));
  }
}

inline TokenizerData sp1024() {
  TokenizerData t;
  Status st = spm_model_load(source_path("data/tokenizer_sp1024.model"), &t);
  EXPECT_TRUE(st.ok()) << st.message();
  return t;
}

// BOS + tokens of the first documents of the repository's validation slice, cut to at most max_tokens.
inline std::vector<int32_t> val_tokens(const TokenizerData& data, int bos, size_t max_tokens) {
  Tokenizer tok;
  EXPECT_TRUE(tok.init(data).ok());
  std::ifstream in(source_path("data/fineweb_val_slice.jsonl"));
  std::vector<int32_t> stream, ids;
  std::string line;
  while (stream.size() < max_tokens && std::getline(in, line)) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.contains("text")) continue;
    EXPECT_TRUE(tok.encode(j["text"].get<std::string>(), &ids).ok());
    stream.push_back(bos);
    stream.insert(stream.end(), ids.begin(), ids.end());
  }
  if (stream.size() > max_tokens) stream.resize(max_tokens);
  return stream;
}

}  // namespace golf::export_test
