// model_config.h: the architecture of a golf-gpt model (SPEC.md §3.1) as a struct, with its conversion to and from
// the CONF key/values. Shared by the trainer (which writes it) and the runtime (which builds the model from it).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "kv.h"
#include "status.h"

namespace golf {

struct ModelConfig {
  std::string arch = "golf-gpt";
  int vocab_size = 1024;
  int model_dim = 512;
  int num_layers = 9;
  int num_heads = 8;
  int num_kv_heads = 4;
  int mlp_hidden = 1024;
  std::string activation = "relu2";  // "relu2" or "leaky_relu2"
  float activation_slope = 0.5f;     // leaky_relu2 only
  float rope_base = 10000.0f;
  int rope_dims = 64;                // rotated dims per head (even, <= head_dim)
  float logit_softcap = 30.0f;       // 0 disables
  float norm_eps = 1.1920928955078125e-07f;  // FLT_EPSILON, PyTorch's rms_norm default
  bool qk_norm = true;
  bool tie_embeddings = true;
  int num_encoder_layers = 4;        // U-Net: blocks [0, E) push skips, later blocks pop them (LIFO)
  int max_seq_len = 1024;
  int bos_id = 1;

  int head_dim() const { return model_dim / num_heads; }
  int kv_dim() const { return num_kv_heads * head_dim(); }
  int num_decoder_layers() const { return num_layers - num_encoder_layers; }
  int num_skips() const {
    int d = num_decoder_layers();
    return num_encoder_layers < d ? num_encoder_layers : d;
  }
  // Parameter count of the tensors SPEC.md §3.1 lists for this config.
  int64_t parameter_count() const;
  // Checks internal consistency (divisibility, ranges); the message names the offending key.
  Status validate() const;
};

// A tensor a golf-gpt model of this config must have (SPEC.md §3.1), in canonical order.
struct TensorSpec {
  std::string name;
  std::vector<uint64_t> shape;
};
std::vector<TensorSpec> model_tensor_specs(const ModelConfig& c);

// The baseline of the Parameter Golf challenge: 9 x 512, vocab 1024, 8 heads / 4 KV heads, MLP 1024 (17,059,912
// parameters).
ModelConfig challenge_baseline_config();

void model_config_to_kv(const ModelConfig& c, KeyValues* kv);
// Reads and validates; unknown keys marked required make it fail with StatusCode::unsupported.
Status model_config_from_kv(const KeyValues& kv, ModelConfig* out);

}  // namespace golf
