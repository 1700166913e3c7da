// summary.cpp: text and JSON forms of the end-of-run artifact summary, and the budget check.
#include "summary.h"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "dtype.h"

namespace golf::train_export {

ArtifactSummary make_artifact_summary(const ExportReport& report, const CodeSize& code, uint64_t budget_bytes) {
  ArtifactSummary s;
  s.model_path = report.path;
  s.recipe = report.recipe;
  s.model_bytes = report.file_bytes;
  s.tensor_bytes = report.tensor_bytes;
  s.tokenizer_bytes = report.tokenizer_bytes;
  s.weights = report.weights;
  s.max_abs_error = report.max_abs_error;
  s.rel_rms_error = report.rel_rms_error;
  s.code_bytes = code.compressed_bytes;
  s.code_raw_bytes = code.raw_bytes;
  s.code_files = code.files.size();
  s.code_compressor = code.compressor;
  s.budget_bytes = budget_bytes;
  return s;
}

namespace {

std::string windows_text(const ScoreReport& r, bool doc_isolated) {
  std::string s = "window " + std::to_string(r.window) + ", ";
  s += r.stride ? "stride " + std::to_string(r.stride) : std::string("non-overlapping");
  if (doc_isolated) s += ", document-isolated";
  return s;
}

}  // namespace

void print_artifact_summary(FILE* out, const ArtifactSummary& s) {
  std::fprintf(out, "model          %s: %s bytes, %s weights, %.3f bits/weight (recipe %s)\n", s.model_path.c_str(),
               with_commas(s.model_bytes).c_str(), with_commas(s.weights).c_str(),
               s.weights ? 8.0 * (double)s.model_bytes / (double)s.weights : 0.0, s.recipe.c_str());
  const uint64_t rest = s.model_bytes - std::min(s.model_bytes, s.tensor_bytes + s.tokenizer_bytes);
  std::fprintf(out, "               tensors %s + tokenizer %s + config, metadata, directory and padding %s\n",
               with_commas(s.tensor_bytes).c_str(), with_commas(s.tokenizer_bytes).c_str(), with_commas(rest).c_str());
  std::fprintf(out, "quant error    max |w-w'| %.4g, relative RMS %.4g\n", s.max_abs_error, s.rel_rms_error);
  std::fprintf(out, "code           %s bytes (%s of %s bytes in %zu source files)\n", with_commas(s.code_bytes).c_str(),
               s.code_compressor.c_str(), with_commas(s.code_raw_bytes).c_str(), s.code_files);
  std::fprintf(out, "artifact       %s bytes = model %s - tokenizer %s (not counted: the challenge's tokenizer is "
               "data, not artifact) + code %s\n", with_commas(s.total_bytes()).c_str(), with_commas(s.model_bytes).c_str(),
               with_commas(s.tokenizer_bytes).c_str(), with_commas(s.code_bytes).c_str());
  if (s.over_budget())
    std::fprintf(out, "budget         %s of %s bytes: OVER BUDGET by %s bytes\n", with_commas(s.total_bytes()).c_str(),
                 with_commas(s.budget_bytes).c_str(), with_commas(s.total_bytes() - s.budget_bytes).c_str());
  else
    std::fprintf(out, "budget         %s of %s bytes: %s bytes to spare\n", with_commas(s.total_bytes()).c_str(),
                 with_commas(s.budget_bytes).c_str(), with_commas(s.budget_bytes - s.total_bytes()).c_str());
  const ScoreReport* any = s.has_post_quant ? &s.post_quant : s.has_pre_quant ? &s.pre_quant : nullptr;
  if (!any) return;
  std::fprintf(out, "eval data      %s: %s targets, %s bytes, %s\n", s.eval_data.c_str(),
               with_commas((uint64_t)any->tokens).c_str(), with_commas((uint64_t)any->bytes).c_str(),
               windows_text(*any, s.doc_isolated).c_str());
  if (s.has_pre_quant)
    std::fprintf(out, "pre-quant      val_bpb %.8f  val_loss %.8f  (trainer fp32 forward, %.1f s)\n", s.pre_quant.val_bpb,
                 s.pre_quant.val_loss, s.pre_quant.seconds);
  if (s.has_post_quant)
    std::fprintf(out, "post-quant     val_bpb %.8f  val_loss %.8f  (%s, %.1f s)\n", s.post_quant.val_bpb,
                 s.post_quant.val_loss,
                 s.post_quant_kernels ? "runtime int8/int4 kernels, activations quantized too"
                                      : "runtime, dequantized weights: the official number",
                 s.post_quant.seconds);
  if (s.has_pre_quant && s.has_post_quant)
    std::fprintf(out, "quant penalty  %+.8f bpb\n", s.post_quant.val_bpb - s.pre_quant.val_bpb);
}

void print_tensor_table(FILE* out, const ExportReport& report) {
  std::fprintf(out, "%-28s %-12s %-26s %12s %8s %10s %10s\n", "tensor", "shape", "spec", "bytes", "bits/w", "max_abs",
               "rel_rms");
  for (const TensorExportInfo& t : report.tensors) {
    std::string shape = "[";
    for (size_t i = 0; i < t.dims.size(); i++) shape += (i ? ", " : "") + std::to_string(t.dims[i]);
    shape += "]";
    std::fprintf(out, "%-28s %-12s %-26s %12s %8.3f %10.3g %10.3g\n", t.name.c_str(), shape.c_str(),
                 (t.spec + (t.gptq ? " gptq" : "")).c_str(),
                 with_commas(t.stored_bytes).c_str(), t.bits_per_weight, t.error.max_abs, t.error.rel_rms);
  }
}

namespace {

nlohmann::ordered_json score_json(const ScoreReport& r) {
  nlohmann::ordered_json j;
  j["val_bpb"] = r.val_bpb;
  j["val_loss"] = r.val_loss;
  j["nats"] = r.nats;
  j["tokens"] = r.tokens;
  j["bytes"] = r.bytes;
  j["window"] = r.window;
  j["stride"] = r.stride;
  j["seconds"] = r.seconds;
  return j;
}

}  // namespace

std::string artifact_summary_json(const ArtifactSummary& s, const ExportReport* report) {
  nlohmann::ordered_json j;
  j["model"] = s.model_path;
  j["recipe"] = s.recipe;
  j["model_bytes"] = s.model_bytes;
  j["tensor_bytes"] = s.tensor_bytes;
  j["tokenizer_bytes"] = s.tokenizer_bytes;
  j["weights"] = s.weights;
  j["bits_per_weight"] = s.weights ? 8.0 * (double)s.model_bytes / (double)s.weights : 0.0;
  j["quant_max_abs_error"] = s.max_abs_error;
  j["quant_rel_rms_error"] = s.rel_rms_error;
  j["code_bytes"] = s.code_bytes;
  j["code_raw_bytes"] = s.code_raw_bytes;
  j["code_files"] = s.code_files;
  j["code_compressor"] = s.code_compressor;
  j["counted_model_bytes"] = s.counted_model_bytes();
  j["total_bytes"] = s.total_bytes();
  j["budget_bytes"] = s.budget_bytes;
  j["over_budget"] = s.over_budget();
  if (!s.eval_data.empty()) {
    j["eval_data"] = s.eval_data;
    j["doc_isolated"] = s.doc_isolated;
  }
  if (s.has_pre_quant) j["pre_quant"] = score_json(s.pre_quant);
  if (s.has_post_quant) {
    j["post_quant"] = score_json(s.post_quant);
    j["post_quant"]["runtime_kernels"] = s.post_quant_kernels;
  }
  if (s.has_pre_quant && s.has_post_quant) j["quant_penalty_bpb"] = s.post_quant.val_bpb - s.pre_quant.val_bpb;
  if (report) {
    nlohmann::ordered_json tensors = nlohmann::ordered_json::array();
    for (const TensorExportInfo& t : report->tensors) {
      nlohmann::ordered_json e;
      e["name"] = t.name;
      e["shape"] = t.dims;
      e["spec"] = t.spec;
      e["dtype"] = dtype_name(t.dtype);
      e["codec"] = codec_name(t.codec);
      e["group_size"] = t.group_size;
      e["elements"] = t.elements;
      e["stored_bytes"] = t.stored_bytes;
      e["bits_per_weight"] = t.bits_per_weight;
      e["max_abs_error"] = t.error.max_abs;
      e["rel_rms_error"] = t.error.rel_rms;
      tensors.push_back(e);
    }
    j["tensors"] = tensors;
  }
  return j.dump(2);
}

Status check_artifact_budget(const ArtifactSummary& s, bool allow_over_budget) {
  if (!s.over_budget() || allow_over_budget) return Status::Ok();
  return Status(StatusCode::invalid_argument,
                "OVER BUDGET: the artifact is " + with_commas(s.total_bytes()) + " bytes (model " +
                    with_commas(s.counted_model_bytes()) + " without its tokenizer + code " + with_commas(s.code_bytes) + "), " +
                    with_commas(s.total_bytes() - s.budget_bytes) + " bytes over the budget of " +
                    with_commas(s.budget_bytes) + "; nothing written (pass --allow-over-budget to write it anyway)");
}

}  // namespace golf::train_export
