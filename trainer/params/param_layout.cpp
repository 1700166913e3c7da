// param_layout.cpp: layout of the flat parameter buffer (SPEC.md §3.1 names and order), optimizer routing, views.
#include "param_layout.h"


namespace golf::train_cpu {

const char* param_group_name(ParamGroup g) {
  switch (g) {
    case ParamGroup::muon: return "muon";
    case ParamGroup::adam_embed: return "adam_embed";
    case ParamGroup::adam_head: return "adam_head";
    case ParamGroup::adam_scalar: return "adam_scalar";
  }
  return "?";
}

ParamGroup param_group_route(const std::string& name, int ndim) {
  if (name == "tok_emb.weight") return ParamGroup::adam_embed;
  if (name == "lm_head.weight") return ParamGroup::adam_head;
  // train_gpt.py CONTROL_TENSOR_NAME_PATTERNS, matched as substrings like `pattern in name`.
  static const char* const control[] = {"attn_scale", "attn_scales", "mlp_scale", "mlp_scales", "resid_mix",
                                        "resid_mixes", "q_gain", "skip_weight", "skip_weights"};
  bool is_control = false;
  for (const char* pat : control)
    if (name.find(pat) != std::string::npos) is_control = true;
  bool in_blocks = name.compare(0, 7, "blocks.") == 0;
  if (in_blocks && ndim == 2 && !is_control) return ParamGroup::muon;
  return ParamGroup::adam_scalar;
}

const ParamInfo* ParamLayout::find(const std::string& name) const {
  for (const ParamInfo& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}

Status param_layout_build(const ModelConfig& cfg, ParamLayout* out) {
  GOLF_RETURN_IF_ERROR(cfg.validate());
  ParamLayout L;
  L.config = cfg;
  size_t offset = 0;
  // The tensors of SPEC.md §3.1 in their order (model_params_point relies on it), each on a 64-byte boundary.
  for (const TensorSpec& spec : model_tensor_specs(cfg)) {
    ParamInfo t;
    t.name = spec.name;
    t.shape.assign(spec.shape.begin(), spec.shape.end());
    t.numel = 1;
    for (int64_t s : t.shape) t.numel *= (size_t)s;
    t.offset = offset;
    t.group = param_group_route(t.name, (int)t.shape.size());
    offset += (t.numel + 15) & ~size_t(15);
    L.tensors.push_back(std::move(t));
  }
  L.total = offset;
  *out = std::move(L);
  return Status::Ok();
}

void model_params_point(const ParamLayout& layout, float* base, ModelParams* out) {
  // Walks the tensors in layout order, which param_layout_build fixes; names are not re-parsed.
  const ModelConfig& cfg = layout.config;
  size_t i = 0;
  auto next = [&]() { return base + layout.tensors[i++].offset; };
  out->tok_emb = next();
  out->lm_head = cfg.tie_embeddings ? nullptr : next();
  out->skip_weights = cfg.num_skips() > 0 ? next() : nullptr;
  out->blocks.assign(cfg.num_layers, BlockParams{});
  for (BlockParams& b : out->blocks) {
    b.c_q = next();
    b.c_k = next();
    b.c_v = next();
    b.proj = next();
    b.q_gain = next();
    b.fc = next();
    b.mlp_proj = next();
    b.attn_scale = next();
    b.mlp_scale = next();
    b.resid_mix = next();
  }
}

}  // namespace golf::train_cpu
