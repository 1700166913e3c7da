// param_layout.h: where every tensor of a golf-gpt model lives in ONE flat fp32 buffer (so a data-parallel
// all-reduce, a checkpoint or an optimizer sweep is one call), in SPEC.md §3.1 order; typed per-block pointers into
// such a buffer; the optimizer group of every tensor. Backend-neutral: the CPU trainer (cpu/params.h), the CUDA
// trainer, checkpoints and the export all use this layout. (Namespace train_cpu kept for its many users.)
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "model_config.h"    // defines: ModelConfig
#include "status.h"          // defines: Status

namespace golf::train_cpu {

// Which optimizer updates a tensor, decided exactly as the challenge's train_gpt.py does (see param_group_route).
enum class ParamGroup : int {
  muon = 0,         // 2-D block matrices: c_q, c_k, c_v, attn.proj, mlp.fc, mlp.proj
  adam_embed = 1,   // tok_emb.weight (tied_embed_lr 0.05, or embed_lr 0.6 when untied)
  adam_head = 2,    // lm_head.weight (head_lr 0.008), untied models only
  adam_scalar = 3,  // control tensors: attn_scale, mlp_scale, resid_mix, q_gain, skip_weights (scalar_lr 0.04)
};
const char* param_group_name(ParamGroup g);

// The challenge's routing: inside `blocks`, a tensor goes to Muon iff it is 2-D and its name matches none of the
// CONTROL_TENSOR_NAME_PATTERNS; everything else in blocks, and skip_weights, go to the scalar Adam; tok_emb and
// lm_head have their own Adam groups.
ParamGroup param_group_route(const std::string& name, int ndim);

struct ParamInfo {
  std::string name;            // SPEC.md §3.1 name, e.g. "blocks.3.attn.c_q.weight"
  std::vector<int64_t> shape;  // row-major; linear weights are [out, in]
  size_t offset = 0;           // in floats, into the flat buffer
  size_t numel = 0;
  ParamGroup group = ParamGroup::adam_scalar;
};

struct ParamLayout {
  ModelConfig config;
  std::vector<ParamInfo> tensors;  // SPEC.md §3.1 order
  size_t total = 0;                // floats in the flat buffer
  const ParamInfo* find(const std::string& name) const;  // nullptr when absent
};

// Lays out the tensors of `cfg` (validated first). Each tensor starts on a 16-float (64-byte) boundary so SIMD
// loads and per-tensor copies stay aligned; the few padding floats are always zero.
Status param_layout_build(const ModelConfig& cfg, ParamLayout* out);

struct BlockParams {
  float* c_q;         // (d, d)
  float* c_k;         // (kv, d)
  float* c_v;         // (kv, d)
  float* proj;        // (d, d)     attn.proj
  float* q_gain;      // (H)
  float* fc;          // (hid, d)   mlp.fc
  float* mlp_proj;    // (d, hid)   mlp.proj
  float* attn_scale;  // (d)
  float* mlp_scale;   // (d)
  float* resid_mix;   // (2, d)     row 0 scales x, row 1 scales x0
};

struct ModelParams {
  float* tok_emb = nullptr;       // (V, d)
  float* lm_head = nullptr;       // (V, d); nullptr when tie_embeddings
  float* skip_weights = nullptr;  // (S, d); nullptr when S == 0
  std::vector<BlockParams> blocks;  // (L)
};

// Points `out` into `base` (a buffer of layout.total floats): the same call serves parameters and gradients.
void model_params_point(const ParamLayout& layout, float* base, ModelParams* out);

}  // namespace golf::train_cpu
