// export.cpp: export_model: plans every tensor with the recipe, quantizes it (format/recipe.h
// make_tensor_record, which also measures the round-trip error), hands it to GolfWriter (which entropy-codes it),
// and writes the file atomically. Nothing is written unless every tensor succeeded.
#include "export.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "code_size.h"
#include "bytes.h"
#include "golf_writer.h"
#include "kv.h"
#include "mapped_file.h"
#include "model_config.h"
#include "recipes.h"

namespace golf::train_export {

namespace {

Status fill_metadata(const ExportProvenance& p, const ExportRecipe& recipe, KeyValues* meta) {
  if (!p.created_by.empty()) meta->set_string("created_by", p.created_by);
  if (!p.source_revision.empty()) meta->set_string("source_revision", p.source_revision);
  if (p.train_steps) meta->set_int("train_steps", *p.train_steps);
  if (p.train_seconds) meta->set_float("train_seconds", *p.train_seconds);
  if (p.train_tokens) meta->set_int("train_tokens", *p.train_tokens);
  if (p.seed) meta->set_int("seed", *p.seed);
  if (!p.data_sha256.empty()) meta->set_string("data_sha256", p.data_sha256);
  if (p.val_bpb_pre_quant) meta->set_float("val_bpb_pre_quant", *p.val_bpb_pre_quant);
  meta->set_string("export_recipe", recipe.describe());
  // The counted code next to the model (code_size.h), so a file says what artifact total it belongs to.
  const CodeSize& code = counted_code_size();
  meta->set_int("code_bytes", (int64_t)code.compressed_bytes);
  meta->set_string("code_sha256", code.sha256);
  for (const auto& kv : p.extra) {
    if (!kv_key_is_valid(kv.first))
      return Status(StatusCode::invalid_argument,
                    "metadata key '" + kv.first + "' is not 1..255 characters of a-z 0-9 _ .");
    meta->set_string(kv.first, kv.second);
  }
  return Status::Ok();
}

}  // namespace

Status make_gptq_record(const std::string& name, const std::vector<uint64_t>& dims, const float* values,
                        const TensorPlan& plan, const std::vector<double>& hessian, const GptqSettings& settings,
                        TensorRecord* out, QuantError* error) {
  if (dims.size() != 2 || !dtype_is_quantized(plan.dtype) || hessian.size() != dims[1] * dims[1])
    return Status(StatusCode::invalid_argument, "tensor '" + name + "': GPTQ needs a quantized 2-D plan and its Hessian");
  TensorRecord rec;
  rec.name = name;
  rec.dims = dims;
  rec.dtype = plan.dtype;
  rec.codec = plan.codec;
  rec.group_size = plan.quant.group_size;
  Status st = gptq_quantize(values, dims[0], dims[1], hessian.data(), plan.quant, settings, &rec.raw);
  if (!st.ok()) return Status(st.code(), "tensor '" + name + "': " + st.message());
  if (error) {
    TensorLayout L;
    GOLF_RETURN_IF_ERROR(tensor_layout(plan.dtype, dims, plan.quant.group_size, &L));
    std::vector<float> back(L.count);
    GOLF_RETURN_IF_ERROR(dequantize(plan.dtype, L, rec.group_size, rec.raw.data(), back.data()));
    *error = quant_error(values, back.data(), L.count);
  }
  *out = std::move(rec);
  return Status::Ok();
}

namespace {

double sum_squares(const float* w, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; i++) s += (double)w[i] * (double)w[i];
  return s;
}

}  // namespace

Status export_model(const train_cpu::ParamLayout& layout, const float* params, const TokenizerData& tokenizer,
                    const ExportOptions& options, ExportReport* report) {
  const auto t0 = std::chrono::steady_clock::now();
  if (options.output_path.empty()) return Status(StatusCode::invalid_argument, "export: no output path");
  if (!params) return Status(StatusCode::invalid_argument, "export: no parameters");
  GOLF_RETURN_IF_ERROR(layout.config.validate().prefix("export: "));
  if ((int64_t)tokenizer.pieces.size() > layout.config.vocab_size)
    return Status(StatusCode::invalid_argument, "export: the tokenizer has " + std::to_string(tokenizer.pieces.size()) +
                                                    " pieces, more than vocab_size " +
                                                    std::to_string(layout.config.vocab_size));
  ExportRecipe recipe;
  GOLF_RETURN_IF_ERROR(ExportRecipe::create(options.recipe, options.rules, &recipe).prefix("export: "));

  GolfWriter writer;
  model_config_to_kv(layout.config, &writer.config());
  writer.set_tokenizer(tokenizer);
  GOLF_RETURN_IF_ERROR(fill_metadata(options.provenance, recipe, &writer.metadata()).prefix("export: "));
  if (options.calibration) {
    char gptq_meta[160];
    std::snprintf(gptq_meta, sizeof gptq_meta, "calibration %lld training tokens, percdamp %g, block %d, act_order %d",
                  (long long)options.calibration->tokens, options.gptq.percdamp, options.gptq.block,
                  (int)options.gptq.act_order);
    writer.metadata().set_string("export_gptq", gptq_meta);
  }

  ExportReport r;
  r.path = options.output_path;
  r.recipe = recipe.describe();
  double err_sq = 0, ref_sq = 0;
  for (const train_cpu::ParamInfo& t : layout.tensors) {
    TensorExportInfo info;
    info.name = t.name;
    for (int64_t d : t.shape) info.dims.push_back((uint64_t)d);
    if (info.dims.empty()) info.dims = {1};  // a scalar is stored as a 1-element vector
    info.elements = t.numel;
    const float* values = params + t.offset;
    TensorPlan plan;
    GOLF_RETURN_IF_ERROR(recipe.plan_for(t.name, info.dims, &plan).prefix("export: "));
    TensorRecord rec;
    const std::vector<double>* hessian = nullptr;
    if (options.calibration && dtype_is_quantized(plan.dtype) && info.dims.size() == 2) {
      auto it = options.calibration->hessians.find(t.name);
      if (it != options.calibration->hessians.end() && it->second.size() == info.dims[1] * info.dims[1])
        hessian = &it->second;
    }
    if (hessian) {
      const auto g0 = std::chrono::steady_clock::now();
      GOLF_RETURN_IF_ERROR(
          make_gptq_record(t.name, info.dims, values, plan, *hessian, options.gptq, &rec, &info.error)
              .prefix("export: "));
      r.gptq_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - g0).count();
      r.gptq_tensors++;
      info.gptq = true;
    } else {
      GOLF_RETURN_IF_ERROR(make_tensor_record(t.name, info.dims, values, plan, &rec, &info.error).prefix("export: "));
    }
    GOLF_RETURN_IF_ERROR(writer.add_tensor(std::move(rec)).prefix("export: "));
    info.spec = plan.spec;
    info.dtype = plan.dtype;
    info.codec = plan.codec;
    info.group_size = plan.quant.group_size;
    info.stored_bytes = writer.last_stored_size();
    info.bits_per_weight = info.elements ? 8.0 * (double)info.stored_bytes / (double)info.elements : 0.0;
    // Sum of squared errors recovered from the tensor's relative RMS, for the all-weights figure.
    const double ref = sum_squares(values, t.numel);
    err_sq += info.error.rel_rms * info.error.rel_rms * ref;
    ref_sq += ref;
    r.max_abs_error = std::max(r.max_abs_error, info.error.max_abs);
    r.tensor_bytes += info.stored_bytes;
    r.weights += info.elements;
    r.tensors.push_back(std::move(info));
  }
  r.rel_rms_error = ref_sq > 0 ? std::sqrt(err_sq / ref_sq) : 0.0;

  std::vector<uint8_t> bytes;
  GOLF_RETURN_IF_ERROR(writer.serialize(&bytes).prefix("export: "));
  r.file_bytes = bytes.size();
  ByteWriter tokn;
  tokenizer_encode(tokenizer, &tokn);
  r.tokenizer_bytes = tokn.size();
  r.charsmap_bytes = tokenizer.precompiled_charsmap.size();
  r.bits_per_weight = r.weights ? 8.0 * (double)r.file_bytes / (double)r.weights : 0.0;
  // The caller's last word (an over-budget file is refused before anything is written).
  if (options.before_write) {
    Status refused = options.before_write(r);
    if (!refused.ok()) {
      if (report) *report = std::move(r);
      return refused;
    }
  }
  GOLF_RETURN_IF_ERROR(write_file_atomic(options.output_path, bytes.data(), bytes.size()).prefix("export: "));
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (report) *report = std::move(r);
  return Status::Ok();
}

}  // namespace golf::train_export
