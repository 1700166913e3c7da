// summary.h: the end-of-run summary golf-export and golf-train both print (so the two are identical): model file
// bytes, counted code bytes, their total against the challenge's 16,000,000-byte budget, pre- and
// post-quantization val_bpb and the quantization penalty; as text or JSON; and the budget check that turns an
// over-budget artifact into an error.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>

#include "code_size.h"
#include "export.h"
#include "score.h"
#include "status.h"
#include "text_util.h"  // defines: kChallengeBudgetBytes, with_commas

namespace golf::train_export {


struct ArtifactSummary {
  std::string model_path;
  std::string recipe;              // ExportRecipe::describe()
  uint64_t model_bytes = 0;        // the .golf file
  uint64_t tensor_bytes = 0;       // of which the tensors' stored bytes
  uint64_t tokenizer_bytes = 0;    // and the tokenizer section (ExportReport)
  uint64_t weights = 0;            // parameters
  double max_abs_error = 0;        // quantization error over all weights (ExportReport)
  double rel_rms_error = 0;
  uint64_t code_bytes = 0;         // compressed counted code (code_size.h)
  uint64_t code_raw_bytes = 0;
  size_t code_files = 0;
  std::string code_compressor;
  uint64_t budget_bytes = kChallengeBudgetBytes;
  std::string eval_data;           // what was scored, e.g. "shards data/fineweb_val_*.bin"; empty: not scored
  bool doc_isolated = false;
  bool has_pre_quant = false;      // the trainer's fp32 score of the same tokens
  ScoreReport pre_quant;
  bool has_post_quant = false;     // the runtime's score of the .golf: the official number
  ScoreReport post_quant;
  bool post_quant_kernels = false; // scored with the runtime's quantized kernels, not the fp32 round trip

  // The counted artifact: the model without its tokenizer section, plus the code. The challenge counts
  // train_gpt.py and the compressed weights; its tokenizer is part of the data pipeline, not the artifact. The
  // .golf carries the tokenizer so apps need one file, and its bytes are reported beside the total.
  uint64_t counted_model_bytes() const { return model_bytes - std::min(model_bytes, tokenizer_bytes); }
  uint64_t total_bytes() const { return counted_model_bytes() + code_bytes; }
  bool over_budget() const { return total_bytes() > budget_bytes; }
};

// Fills the size fields from an export report and a code size; scores are added by the caller.
ArtifactSummary make_artifact_summary(const ExportReport& report, const CodeSize& code,
                                      uint64_t budget_bytes = kChallengeBudgetBytes);

// The human summary (a few aligned lines); over budget it ends with an "OVER BUDGET" line.
void print_artifact_summary(FILE* out, const ArtifactSummary& s);
// Per-tensor lines: name, shape, spec, stored bytes, bits/weight, max_abs, rel_rms.
void print_tensor_table(FILE* out, const ExportReport& report);
// The same as one JSON object (per-tensor entries when report is given).
std::string artifact_summary_json(const ArtifactSummary& s, const ExportReport* report = nullptr);

// ok when the artifact fits the budget or allow_over_budget; otherwise an error whose message starts with
// "OVER BUDGET" and gives the total, the budget and the excess.
Status check_artifact_budget(const ArtifactSummary& s, bool allow_over_budget);


}  // namespace golf::train_export
