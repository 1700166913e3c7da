// auto_recipe.h: `--recipe auto`: turns the allocator (allocate.h) into export rules for a byte budget on the
// counted artifact (model file without its tokenizer, plus the counted code, as summary.h accounts it). The bytes
// that do not depend on the allocated tensors (header, config, metadata, control tensors, padding) are measured by
// a dry export, so the chosen rules land the real export at or under the budget.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "allocate.h"
#include "export.h"          // defines: ExportOptions
#include "tokenizer_data.h"

namespace golf::train_export {

struct AutoRecipeResult {
  std::vector<AllocTensor> tensors;  // the measurements
  AllocChoice choice;
  std::vector<std::string> rules;    // "NAME=SPEC" per allocated tensor (base recipe: q8 for everything else)
  double base_calib_loss = 0;        // fp32 calibration loss (nats per token)
  uint64_t tensor_budget = 0;        // bytes the allocated tensors could use
  double seconds = 0;
};

constexpr const char* kAutoBaseRecipe = "q8";  // control tensors stay f32 under it; every matrix gets a rule

// budget_bytes: the artifact budget (e.g. 16,000,000); options: the export options the real export will use
// (its output path is not written here).
Status plan_auto_recipe(const train_cpu::ParamLayout& layout, const float* params, const TokenizerData& tokenizer,
                        const CalibrationData& calib, const AllocSettings& settings, uint64_t budget_bytes,
                        const ExportOptions& options, AutoRecipeResult* out);

// The second half of plan_auto_recipe, for measurements already in r->tensors (and r->base_calib_loss): the dry
// export, the tensor budget, the choice and the rules. Call it again with another budget to re-plan without
// re-measuring.
Status allocate_auto_recipe(const train_cpu::ParamLayout& layout, const float* params, const TokenizerData& tokenizer,
                            uint64_t budget_bytes, const ExportOptions& options, AutoRecipeResult* r);

// The chosen table: tensor, elements, SPEC, stored bytes, bits/weight, measured Δloss; then the totals.
void print_auto_recipe(FILE* out, const AutoRecipeResult& r);

}  // namespace golf::train_export
