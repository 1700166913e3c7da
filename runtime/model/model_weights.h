// model_weights.h: the weights of a loaded golf-gpt model as the forward pass reads them: each linear layer either a
// quantized view into the file (run by the int8/int4 kernels in place) or an fp32 matrix (in place for f32 tensors,
// converted once at load otherwise), control vectors as fp32, and the embedding table read one row at a time.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "aligned_buffer.h"
#include "dtype.h"
#include "golf_file.h"
#include "model_config.h"
#include "quant_matrix.h"
#include "status.h"

namespace golf {

// How linear layers are computed.
enum class ComputeMode {
  automatic,  // quantized weights through the quantized kernels (where cols % 32 == 0), float weights in fp32
  f32,        // everything dequantized to fp32 at load: the reference path
};

// One linear layer y = x · Wᵀ, W [rows = out][cols = in].
struct Linear {
  std::string name;
  int rows = 0;
  int cols = 0;
  bool quantized = false;
  // When quantized: the input stays fp32 and meets the weights decoded to fp32 (matmul_quant_f32act) instead of
  // being quantized to int8. For the head, whose input has outlier channels that int8 blocks of 32 flatten.
  bool f32_acts = false;
  kernels::QuantMatrix q;    // when quantized: a view of the raw layout
  // Whether its input must come quantized to int8 (kernels::QuantActs) besides fp32.
  bool needs_int8_input() const { return quantized && !f32_acts; }
  const float* w = nullptr;  // when not: fp32 [rows][cols], densely packed
};

// The embedding table in its stored dtype; rows are decoded on lookup (embedding_row in row_ops.h).
struct EmbeddingTable {
  Dtype dtype = Dtype::f32;
  uint32_t group_size = 0;
  TensorLayout layout;
  const uint8_t* raw = nullptr;
  int rows = 0;  // vocab
  int cols = 0;  // model_dim
};

struct BlockWeights {
  Linear c_q, c_k, c_v, attn_proj, fc, mlp_proj;
  const float* q_gain = nullptr;      // [H]
  const float* attn_scale = nullptr;  // [d]
  const float* mlp_scale = nullptr;   // [d]
  const float* resid_mix = nullptr;   // [2][d]: mix[0] scales x, mix[1] scales x0
};

struct ModelWeights {
  EmbeddingTable tok_emb;
  Linear head;                          // tok_emb.weight when tied, else lm_head.weight
  const float* skip_weights = nullptr;  // [S][d], null when S = 0
  std::vector<BlockWeights> blocks;
  std::vector<AlignedBuffer> owned;     // fp32 copies made at load (control vectors, converted matrices)
  int64_t fp32_bytes = 0;               // bytes of owned fp32 matrices (for reports)
};

// Checks that every tensor model_tensor_specs(config) names exists with its shape (errors name the tensor) and
// builds the weights. The file must outlive the weights.
Status build_model_weights(const GolfFile& file, const ModelConfig& config, ComputeMode mode, ModelWeights* out);

}  // namespace golf
