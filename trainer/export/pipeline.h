// pipeline.h: the whole end of a run as one call, shared by golf-train and golf-export so both do and print the
// same thing: export the parameters to a .golf (export.h), score it with the runtime (the official
// post-quantization val_bpb) and the fp32 parameters with the trainer's forward on the same tokens (score.h), and
// compare the artifact (model file + counted code, code_size.h) with the budget (summary.h).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "export.h"
#include "score.h"
#include "summary.h"

namespace golf::train_export {

struct ExportRunOptions {
  ExportOptions export_options;
  // Validation tokens to score; neither: no scoring. Shard tokens are trimmed to whole windows as the challenge
  // does (settings.trim_to_windows), text streams usually are not.
  const std::vector<uint16_t>* val_tokens_u16 = nullptr;
  const std::vector<int32_t>* val_tokens_i32 = nullptr;
  std::string eval_data;           // label for the summary, e.g. "shards /data/fineweb_val_*.bin"
  ScoreSettings score;
  bool pre_quant = true;           // also score the fp32 parameters (the trainer's forward)
  uint64_t budget_bytes = kChallengeBudgetBytes;
  bool allow_over_budget = false;
};

// Exports, scores and fills *report and *summary (either may be null). Returns the first failure; when the artifact
// is over budget (and not allowed), returns check_artifact_budget's "OVER BUDGET" error before anything is written
// or scored, with *summary holding the sizes, so the caller can still print them.
Status export_and_score(const train_cpu::ParamLayout& layout, const float* params, const TokenizerData& tokenizer,
                        const ExportRunOptions& options, ExportReport* report, ArtifactSummary* summary);

}  // namespace golf::train_export
