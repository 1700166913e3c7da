// model_config.cpp: ModelConfig <-> CONF key/values, validation and parameter counting (SPEC.md §3.1).
#include "model_config.h"

#include <cmath>
#include <map>

namespace golf {

int64_t ModelConfig::parameter_count() const {
  int64_t d = model_dim, kv = kv_dim(), h = mlp_hidden, V = vocab_size;
  int64_t per_block = d * d * 2 + 2 * kv * d  // c_q, proj, c_k, c_v
                      + 2 * h * d             // fc, mlp.proj
                      + num_heads             // q_gain
                      + 4 * d;                // attn_scale, mlp_scale, resid_mix[2]
  int64_t total = per_block * num_layers + V * d + (int64_t)num_skips() * d;
  if (!tie_embeddings) total += V * d;
  return total;
}

Status ModelConfig::validate() const {
  auto bad = [](const std::string& m) { return Status(StatusCode::bad_format, "config: " + m); };
  if (arch != "golf-gpt") return Status(StatusCode::unsupported, "config: arch '" + arch + "' is not golf-gpt");
  if (vocab_size < 2 || vocab_size > (1 << 24)) return bad("vocab_size out of range [2, 2^24]");
  if (model_dim < 1 || model_dim > 65536) return bad("model_dim out of range [1, 65536]");
  if (num_layers < 1 || num_layers > 1024) return bad("num_layers out of range [1, 1024]");
  if (num_heads < 1 || model_dim % num_heads != 0) return bad("num_heads must divide model_dim");
  if (num_kv_heads < 1 || num_heads % num_kv_heads != 0) return bad("num_kv_heads must divide num_heads");
  if (head_dim() % 2 != 0) return bad("head_dim (model_dim/num_heads) must be even for RoPE");
  if (mlp_hidden < 1 || mlp_hidden > (1 << 20)) return bad("mlp_hidden out of range [1, 2^20]");
  if (activation != "relu2" && activation != "leaky_relu2")
    return Status(StatusCode::unsupported, "config: activation '" + activation + "' (known: relu2, leaky_relu2)");
  if (rope_dims < 0 || rope_dims > head_dim() || rope_dims % 2 != 0) return bad("rope_dims must be even and <= head_dim");
  if (!std::isfinite(activation_slope)) return bad("activation_slope must be finite");
  if (!(rope_base > 0) || !std::isfinite(rope_base)) return bad("rope_base must be finite and > 0");
  if (!(logit_softcap >= 0) || !std::isfinite(logit_softcap)) return bad("logit_softcap must be finite and >= 0");
  if (!(norm_eps > 0) || !std::isfinite(norm_eps)) return bad("norm_eps must be finite and > 0");
  if (num_encoder_layers < 0 || num_encoder_layers > num_layers) return bad("num_encoder_layers out of range");
  if (max_seq_len < 1) return bad("max_seq_len must be >= 1");
  if (bos_id < 0 || bos_id >= vocab_size) return bad("bos_id must be a token id");
  return Status::Ok();
}

std::vector<TensorSpec> model_tensor_specs(const ModelConfig& c) {
  uint64_t d = c.model_dim, kv = c.kv_dim(), h = c.mlp_hidden, V = c.vocab_size;
  std::vector<TensorSpec> out;
  out.push_back({"tok_emb.weight", {V, d}});
  if (!c.tie_embeddings) out.push_back({"lm_head.weight", {V, d}});
  if (c.num_skips() > 0) out.push_back({"skip_weights", {(uint64_t)c.num_skips(), d}});
  for (int i = 0; i < c.num_layers; i++) {
    std::string b = "blocks." + std::to_string(i) + ".";
    out.push_back({b + "attn.c_q.weight", {d, d}});
    out.push_back({b + "attn.c_k.weight", {kv, d}});
    out.push_back({b + "attn.c_v.weight", {kv, d}});
    out.push_back({b + "attn.proj.weight", {d, d}});
    out.push_back({b + "attn.q_gain", {(uint64_t)c.num_heads}});
    out.push_back({b + "mlp.fc.weight", {h, d}});
    out.push_back({b + "mlp.proj.weight", {d, h}});
    out.push_back({b + "attn_scale", {d}});
    out.push_back({b + "mlp_scale", {d}});
    out.push_back({b + "resid_mix", {2, d}});
  }
  return out;
}

ModelConfig challenge_baseline_config() { return ModelConfig(); }

void model_config_to_kv(const ModelConfig& c, KeyValues* kv) {
  kv->set_string("arch", c.arch, true);
  kv->set_int("vocab_size", c.vocab_size, true);
  kv->set_int("model_dim", c.model_dim, true);
  kv->set_int("num_layers", c.num_layers, true);
  kv->set_int("num_heads", c.num_heads, true);
  kv->set_int("num_kv_heads", c.num_kv_heads, true);
  kv->set_int("mlp_hidden", c.mlp_hidden, true);
  kv->set_string("activation", c.activation, true);
  kv->set_float("activation_slope", c.activation_slope, true);
  kv->set_float("rope_base", c.rope_base, true);
  kv->set_int("rope_dims", c.rope_dims, true);
  kv->set_float("logit_softcap", c.logit_softcap, true);
  kv->set_float("norm_eps", c.norm_eps, true);
  kv->set_bool("qk_norm", c.qk_norm, true);
  kv->set_bool("tie_embeddings", c.tie_embeddings, true);
  kv->set_int("num_encoder_layers", c.num_encoder_layers, true);
  kv->set_int("max_seq_len", c.max_seq_len);
  kv->set_int("bos_id", c.bos_id);
}

Status model_config_from_kv(const KeyValues& kv, ModelConfig* out) {
  // Every known key and its type (SPEC.md §3.1); a float key also takes an int value.
  static const std::map<std::string, KvType> known = {
      {"arch", KvType::string}, {"vocab_size", KvType::int_}, {"model_dim", KvType::int_},
      {"num_layers", KvType::int_}, {"num_heads", KvType::int_}, {"num_kv_heads", KvType::int_},
      {"mlp_hidden", KvType::int_}, {"activation", KvType::string}, {"activation_slope", KvType::float_},
      {"rope_base", KvType::float_}, {"rope_dims", KvType::int_}, {"logit_softcap", KvType::float_},
      {"norm_eps", KvType::float_}, {"qk_norm", KvType::bool_}, {"tie_embeddings", KvType::bool_},
      {"num_encoder_layers", KvType::int_}, {"max_seq_len", KvType::int_}, {"bos_id", KvType::int_}};
  static const char* const type_names[] = {"?", "int", "float", "string", "bool", "int[]", "float[]"};
  for (const KvEntry& e : kv.entries()) {
    auto it = known.find(e.key);
    if (it == known.end()) {
      if (e.required)
        return Status(StatusCode::unsupported, "config: required key '" + e.key +
                                                   "' is unknown to this reader; upgrade golf to load this model");
      continue;
    }
    // A known key of another type would otherwise be skipped for its default, silently changing the model.
    const bool type_ok = e.type == it->second || (it->second == KvType::float_ && e.type == KvType::int_);
    if (!type_ok)
      return Status(StatusCode::bad_format, "config: key '" + e.key + "' is " + type_names[(int)e.type] +
                                                ", it must be " + type_names[(int)it->second]);
  }
  ModelConfig c;
  int64_t v;
  double f;
  bool b;
  auto need_int = [&](const char* key, int* dst) -> Status {
    if (!kv.get_int(key, &v)) return Status(StatusCode::bad_format, std::string("config: missing int key '") + key + "'");
    if (v < INT32_MIN || v > INT32_MAX) return Status(StatusCode::bad_format, std::string("config: '") + key + "' out of range");
    *dst = (int)v;
    return Status::Ok();
  };
  if (!kv.get_string("arch", &c.arch)) return Status(StatusCode::bad_format, "config: missing string key 'arch'");
  GOLF_RETURN_IF_ERROR(need_int("vocab_size", &c.vocab_size));
  GOLF_RETURN_IF_ERROR(need_int("model_dim", &c.model_dim));
  GOLF_RETURN_IF_ERROR(need_int("num_layers", &c.num_layers));
  GOLF_RETURN_IF_ERROR(need_int("num_heads", &c.num_heads));
  GOLF_RETURN_IF_ERROR(need_int("num_kv_heads", &c.num_kv_heads));
  GOLF_RETURN_IF_ERROR(need_int("mlp_hidden", &c.mlp_hidden));
  if (!kv.get_string("activation", &c.activation)) return Status(StatusCode::bad_format, "config: missing 'activation'");
  if (!kv.get_float("rope_base", &f)) return Status(StatusCode::bad_format, "config: missing 'rope_base'");
  c.rope_base = (float)f;
  c.rope_dims = c.model_dim / (c.num_heads > 0 ? c.num_heads : 1);
  if (kv.find("rope_dims")) GOLF_RETURN_IF_ERROR(need_int("rope_dims", &c.rope_dims));
  c.activation_slope = kv.get_float("activation_slope", &f) ? (float)f : 0.5f;
  c.logit_softcap = kv.get_float("logit_softcap", &f) ? (float)f : 0.0f;
  c.norm_eps = kv.get_float("norm_eps", &f) ? (float)f : 1.1920928955078125e-07f;
  c.qk_norm = kv.get_bool("qk_norm", &b) ? b : true;
  c.tie_embeddings = kv.get_bool("tie_embeddings", &b) ? b : true;
  c.num_encoder_layers = c.num_layers / 2;
  if (kv.find("num_encoder_layers")) GOLF_RETURN_IF_ERROR(need_int("num_encoder_layers", &c.num_encoder_layers));
  c.max_seq_len = 1024;
  if (kv.find("max_seq_len")) GOLF_RETURN_IF_ERROR(need_int("max_seq_len", &c.max_seq_len));
  c.bos_id = 1;
  if (kv.find("bos_id")) GOLF_RETURN_IF_ERROR(need_int("bos_id", &c.bos_id));
  GOLF_RETURN_IF_ERROR(c.validate());
  *out = c;
  return Status::Ok();
}

}  // namespace golf
