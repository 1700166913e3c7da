// pipeline.cpp: export_and_score (pipeline.h).
#include "pipeline.h"

#include "code_size.h"

namespace golf::train_export {

Status export_and_score(const train_cpu::ParamLayout& layout, const float* params, const TokenizerData& tokenizer,
                        const ExportRunOptions& options, ExportReport* report, ArtifactSummary* summary) {
  ExportReport rep;
  ExportOptions export_options = options.export_options;
  // Over budget (and not allowed): refused before the file is written, with the summary of its sizes.
  export_options.before_write = [&](const ExportReport& r) {
    if (summary) *summary = make_artifact_summary(r, counted_code_size(), options.budget_bytes);
    if (report) *report = r;
    return check_artifact_budget(make_artifact_summary(r, counted_code_size(), options.budget_bytes),
                                 options.allow_over_budget);
  };
  GOLF_RETURN_IF_ERROR(export_model(layout, params, tokenizer, export_options, &rep));
  ArtifactSummary sum = make_artifact_summary(rep, counted_code_size(), options.budget_bytes);
  const bool scoring = options.val_tokens_u16 || options.val_tokens_i32;
  if (scoring) {
    sum.eval_data = options.eval_data.empty() ? std::string("validation tokens") : options.eval_data;
    sum.doc_isolated = options.score.doc_isolated;
    if (options.pre_quant) {
      GOLF_RETURN_IF_ERROR(
          options.val_tokens_u16
              ? score_params_fp32(layout, params, tokenizer, *options.val_tokens_u16, options.score, &sum.pre_quant)
              : score_params_fp32(layout, params, tokenizer, *options.val_tokens_i32, options.score, &sum.pre_quant));
      sum.has_pre_quant = true;
    }
    GOLF_RETURN_IF_ERROR(options.val_tokens_u16
                             ? score_golf_file(rep.path, *options.val_tokens_u16, options.score, &sum.post_quant)
                             : score_golf_file(rep.path, *options.val_tokens_i32, options.score, &sum.post_quant));
    sum.has_post_quant = true;
    sum.post_quant_kernels = options.score.compute == ComputeMode::automatic;
  }
  if (report) *report = rep;
  if (summary) *summary = sum;
  return Status::Ok();
}

}  // namespace golf::train_export
