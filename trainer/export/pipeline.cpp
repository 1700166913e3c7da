// pipeline.cpp: export_and_score (pipeline.h).
#include "pipeline.h"

#include "code_size.h"

namespace golf::train_export {

Status export_and_score(const train_cpu::ParamLayout& layout, const float* params, const TokenizerData& tokenizer,
                        const ExportRunOptions& options, ExportReport* report, ArtifactSummary* summary) {
  ExportReport rep;
  GOLF_RETURN_IF_ERROR(export_model(layout, params, tokenizer, options.export_options, &rep));
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
  return check_artifact_budget(sum, options.allow_over_budget);
}

}  // namespace golf::train_export
