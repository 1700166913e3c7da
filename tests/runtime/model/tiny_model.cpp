// tiny_model.cpp: the deterministic tiny models of tiny_model.h. Values come from splitmix64 mapped to uniform
// floats, so a model (and the golden tokens the tests expect from it) is the same on every platform.
#include "tiny_model.h"

#include <cmath>
#include <cstring>

#include "golf_writer.h"
#include "quant.h"

namespace golf_test {
namespace {

struct SplitMix {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [-1, 1), exactly representable (24 random bits).
  float uniform() { return (float)(int32_t)(next() >> 40) / 8388608.0f - 1.0f; }
};

}  // namespace

golf::ModelConfig tiny_config() {
  golf::ModelConfig c;
  c.vocab_size = 64;
  c.model_dim = 64;
  c.num_layers = 3;
  c.num_heads = 4;
  c.num_kv_heads = 2;
  c.mlp_hidden = 128;
  c.rope_dims = 16;
  c.num_encoder_layers = 1;
  c.max_seq_len = 64;
  c.tie_embeddings = false;  // a random tied head mostly repeats the current token
  c.bos_id = 1;
  return c;
}

std::map<std::string, std::vector<float>> tiny_model_values(const TinyModelSpec& spec) {
  std::map<std::string, std::vector<float>> out;
  SplitMix rng{spec.seed};
  for (const golf::TensorSpec& t : golf::model_tensor_specs(spec.config)) {
    std::vector<uint64_t> shape = t.shape;
    auto it = spec.reshape.find(t.name);
    if (it != spec.reshape.end()) shape = it->second;
    uint64_t n = 1;
    for (uint64_t d : shape) n *= d;
    std::vector<float> v(n);
    const std::string& name = t.name;
    auto ends = [&](const char* s) {
      const size_t len = std::strlen(s);
      return name.size() >= len && name.compare(name.size() - len, std::string::npos, s) == 0;
    };
    if (name == "tok_emb.weight" || name == "lm_head.weight") {
      for (float& x : v) x = 2.0f * rng.uniform();
    } else if (ends("q_gain")) {
      for (float& x : v) x = 1.5f + 0.5f * rng.uniform();
    } else if (ends("resid_mix")) {
      for (uint64_t i = 0; i < n; i++) v[i] = i < n / 2 ? 1.0f + 0.2f * rng.uniform() : 0.1f * rng.uniform();
    } else if (ends("attn_scale") || ends("mlp_scale")) {
      // Large sublayer outputs, so the residual stream is not just the current token's embedding (which would make
      // the tied head repeat it).
      for (float& x : v) x = 4.0f + 2.0f * rng.uniform();
    } else if (name == "skip_weights") {
      for (float& x : v) x = 1.0f + 0.3f * rng.uniform();
    } else {  // linear [out, in]: uniform with std 1/sqrt(in)
      const float a = std::sqrt(3.0f / (float)shape.back());
      for (float& x : v) x = a * rng.uniform();
    }
    out[name] = std::move(v);
  }
  return out;
}

golf::Status write_tiny_model(const TinyModelSpec& spec, const std::string& path) {
  golf::GolfWriter w;
  golf::model_config_to_kv(spec.config, &w.config());
  std::map<std::string, std::vector<float>> values = tiny_model_values(spec);
  for (const golf::TensorSpec& t : golf::model_tensor_specs(spec.config)) {
    if (spec.drop.count(t.name)) continue;
    std::vector<uint64_t> shape = t.shape;
    auto it = spec.reshape.find(t.name);
    if (it != spec.reshape.end()) shape = it->second;
    const std::vector<float>& v = values[t.name];
    golf::TensorRecord rec;
    rec.name = t.name;
    rec.dims = shape;
    const bool matrix = shape.size() == 2 && t.name.find(".weight") != std::string::npos;
    if (matrix && spec.weights != "f32") {
      golf::QuantRecipe r;
      r.dtype = spec.weights == "q4" ? golf::Dtype::q4 : golf::Dtype::q8;
      r.group_size = spec.weights == "q4" ? 32 : 0;
      rec.dtype = r.dtype;
      rec.group_size = r.group_size;
      GOLF_RETURN_IF_ERROR(golf::quantize(v.data(), shape, r, &rec.raw));
    } else {
      rec.dtype = golf::Dtype::f32;
      rec.raw.resize(v.size() * 4);
      std::memcpy(rec.raw.data(), v.data(), rec.raw.size());
    }
    GOLF_RETURN_IF_ERROR(w.add_tensor(std::move(rec)));
  }
  return w.write_file(path);
}

}  // namespace golf_test
