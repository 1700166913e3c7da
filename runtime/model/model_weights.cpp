// model_weights.cpp: builds ModelWeights from a GolfFile: shape checks against model_tensor_specs, quantized views
// for the kernels, fp32 conversion where the kernels cannot run a matrix (float dtypes other than f32, cols not a
// multiple of 32, ComputeMode::f32), and fp32 control vectors.
#include "model_weights.h"

#include <cstring>

#include "quant.h"
#include "text_util.h"  // defines: shape_string

namespace golf {
namespace {

Status tensor_error(const std::string& name, const std::string& what) {
  return Status(StatusCode::bad_format, "tensor '" + name + "': " + what);
}

// The tensor `name` with exactly `shape`, or an error naming it.
Status find_checked(const GolfFile& file, const std::string& name, const std::vector<uint64_t>& shape,
                    const TensorInfo** out) {
  const TensorInfo* t = file.find_tensor(name);
  if (t == nullptr)
    return Status(StatusCode::bad_format, "missing tensor '" + name + "' " + shape_string(shape) +
                                              " required by the config");
  if (t->dims != shape)
    return tensor_error(name, "shape " + shape_string(t->dims) + ", the config needs " + shape_string(shape));
  if (t->raw == nullptr) return tensor_error(name, "no data");
  *out = t;
  return Status::Ok();
}

// A new owned fp32 buffer holding the tensor decoded to fp32.
Status decode_to_f32(const TensorInfo& t, ModelWeights* w, const float** out) {
  AlignedBuffer buf;
  if (!buf.allocate(t.layout.count * sizeof(float)))
    return Status(StatusCode::out_of_memory, "tensor '" + t.name + "': cannot allocate its fp32 copy");
  Status st = dequantize(t.dtype, t.layout, t.group_size, t.raw, (float*)buf.data());
  if (!st.ok()) return st.prefix("tensor '" + t.name + "': ");
  *out = (const float*)buf.data();
  w->owned.push_back(std::move(buf));
  return Status::Ok();
}

Status make_linear(const GolfFile& file, const std::string& name, uint64_t rows, uint64_t cols, ComputeMode mode,
                   ModelWeights* w, Linear* out) {
  const TensorInfo* t = nullptr;
  GOLF_RETURN_IF_ERROR(find_checked(file, name, {rows, cols}, &t));
  out->name = name;
  out->rows = (int)rows;
  out->cols = (int)cols;
  out->quantized = false;
  if (dtype_is_quantized(t->dtype) && mode == ComputeMode::automatic && cols % kernels::kActBlock == 0) {
    Status st = kernels::quant_matrix_from_raw(t->dtype, (int)rows, (int)cols, t->group_size, t->raw, &out->q);
    if (!st.ok()) return st.prefix("tensor '" + name + "': ");
    out->quantized = true;
    return Status::Ok();
  }
  // fp32: f32 tensors in place when 4-byte aligned (always, in a .golf map or decoded buffer), others converted.
  if (t->dtype == Dtype::f32 && ((uintptr_t)t->raw % alignof(float)) == 0) {
    out->w = (const float*)t->raw;
    return Status::Ok();
  }
  GOLF_RETURN_IF_ERROR(decode_to_f32(*t, w, &out->w));
  w->fp32_bytes += (int64_t)(rows * cols * sizeof(float));
  return Status::Ok();
}

Status make_vector(const GolfFile& file, const std::string& name, const std::vector<uint64_t>& shape, ModelWeights* w,
                   const float** out) {
  const TensorInfo* t = nullptr;
  GOLF_RETURN_IF_ERROR(find_checked(file, name, shape, &t));
  return decode_to_f32(*t, w, out);
}

}  // namespace

Status build_model_weights(const GolfFile& file, const ModelConfig& c, ComputeMode mode, ModelWeights* out) {
  ModelWeights& w = *out;
  const uint64_t d = c.model_dim, kv = c.kv_dim(), h = c.mlp_hidden, V = c.vocab_size;

  // Every tensor of the spec first, so that a missing or misshapen one is reported by name before any work.
  for (const TensorSpec& spec : model_tensor_specs(c)) {
    const TensorInfo* t = nullptr;
    GOLF_RETURN_IF_ERROR(find_checked(file, spec.name, spec.shape, &t));
  }

  const TensorInfo* emb = nullptr;
  GOLF_RETURN_IF_ERROR(find_checked(file, "tok_emb.weight", {V, d}, &emb));
  w.tok_emb.dtype = emb->dtype;
  w.tok_emb.group_size = emb->group_size;
  w.tok_emb.layout = emb->layout;
  w.tok_emb.raw = emb->raw;
  w.tok_emb.rows = (int)V;
  w.tok_emb.cols = (int)d;

  const std::string head_name = c.tie_embeddings ? "tok_emb.weight" : "lm_head.weight";
  GOLF_RETURN_IF_ERROR(make_linear(file, head_name, V, d, mode, &w, &w.head));
  w.head.f32_acts = w.head.quantized;
  if (c.num_skips() > 0)
    GOLF_RETURN_IF_ERROR(make_vector(file, "skip_weights", {(uint64_t)c.num_skips(), d}, &w, &w.skip_weights));

  w.blocks.resize(c.num_layers);
  for (int i = 0; i < c.num_layers; i++) {
    BlockWeights& b = w.blocks[i];
    const std::string p = "blocks." + std::to_string(i) + ".";
    GOLF_RETURN_IF_ERROR(make_linear(file, p + "attn.c_q.weight", d, d, mode, &w, &b.c_q));
    GOLF_RETURN_IF_ERROR(make_linear(file, p + "attn.c_k.weight", kv, d, mode, &w, &b.c_k));
    GOLF_RETURN_IF_ERROR(make_linear(file, p + "attn.c_v.weight", kv, d, mode, &w, &b.c_v));
    GOLF_RETURN_IF_ERROR(make_linear(file, p + "attn.proj.weight", d, d, mode, &w, &b.attn_proj));
    GOLF_RETURN_IF_ERROR(make_linear(file, p + "mlp.fc.weight", h, d, mode, &w, &b.fc));
    GOLF_RETURN_IF_ERROR(make_linear(file, p + "mlp.proj.weight", d, h, mode, &w, &b.mlp_proj));
    GOLF_RETURN_IF_ERROR(make_vector(file, p + "attn.q_gain", {(uint64_t)c.num_heads}, &w, &b.q_gain));
    GOLF_RETURN_IF_ERROR(make_vector(file, p + "attn_scale", {d}, &w, &b.attn_scale));
    GOLF_RETURN_IF_ERROR(make_vector(file, p + "mlp_scale", {d}, &w, &b.mlp_scale));
    GOLF_RETURN_IF_ERROR(make_vector(file, p + "resid_mix", {2, d}, &w, &b.resid_mix));
  }
  return Status::Ok();
}

}  // namespace golf
