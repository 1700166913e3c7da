// auto_recipe.cpp: plan_auto_recipe and print_auto_recipe (auto_recipe.h).
#include "auto_recipe.h"

#include <chrono>

#include "code_size.h"  // defines: counted_code_size

namespace golf::train_export {

Status plan_auto_recipe(const train_cpu::ParamLayout& layout, const float* params, const TokenizerData& tokenizer,
                        const CalibrationData& calib, const AllocSettings& settings, uint64_t budget_bytes,
                        const ExportOptions& options, AutoRecipeResult* out) {
  const auto t0 = std::chrono::steady_clock::now();
  AutoRecipeResult r;
  GOLF_RETURN_IF_ERROR(measure_alloc_tensors(layout, params, calib, settings, &r.tensors, &r.base_calib_loss));
  GOLF_RETURN_IF_ERROR(allocate_auto_recipe(layout, params, tokenizer, budget_bytes, options, &r));
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  *out = std::move(r);
  return Status::Ok();
}

Status allocate_auto_recipe(const train_cpu::ParamLayout& layout, const float* params, const TokenizerData& tokenizer,
                            uint64_t budget_bytes, const ExportOptions& options, AutoRecipeResult* out) {
  AutoRecipeResult& r = *out;
  if (r.tensors.empty()) return Status(StatusCode::invalid_argument, "auto recipe: no tensor to allocate");
  r.rules.clear();

  // Dry export with every allocated tensor at its first option: the bytes outside those tensors.
  ExportOptions dry = options;
  dry.recipe = kAutoBaseRecipe;
  if (dry.output_path.empty()) dry.output_path = "(dry run)";  // never written: before_write refuses
  dry.rules.clear();
  for (const AllocTensor& t : r.tensors) dry.rules.push_back(t.name + "=" + t.options[0].spec);
  dry.before_write = [](const ExportReport&) { return Status(StatusCode::cancelled, "dry run"); };
  ExportReport rep;
  Status st = export_model(layout, params, tokenizer, dry, &rep);
  if (st.code() != StatusCode::cancelled) return st.ok() ? Status(StatusCode::invalid_argument, "dry run wrote") : st;
  uint64_t allocated_bytes = 0;
  for (const TensorExportInfo& info : rep.tensors)
    for (const AllocTensor& t : r.tensors)
      if (t.name == info.name) allocated_bytes += info.stored_bytes;
  const uint64_t counted_model = rep.file_bytes - std::min(rep.file_bytes, rep.tokenizer_bytes);
  const uint64_t fixed = counted_model - allocated_bytes + counted_code_size().compressed_bytes;
  // Margin: per-tensor alignment padding and the longer recipe string of the real file's metadata.
  const uint64_t margin = 64 * r.tensors.size() + 64 * r.tensors.size() + 1024;
  if (budget_bytes <= fixed + margin)
    return Status(StatusCode::invalid_argument, "auto recipe: the budget " + std::to_string(budget_bytes) +
                                                    " is below the fixed bytes (" + std::to_string(fixed + margin) +
                                                    ": code, config, control tensors)");
  r.tensor_budget = budget_bytes - fixed - margin;
  GOLF_RETURN_IF_ERROR(choose_under_budget(r.tensors, r.tensor_budget, &r.choice).prefix("auto recipe: "));
  for (size_t i = 0; i < r.tensors.size(); i++)
    r.rules.push_back(r.tensors[i].name + "=" + r.tensors[i].options[r.choice.option[i]].spec);
  return Status::Ok();
}

void print_auto_recipe(FILE* out, const AutoRecipeResult& r) {
  std::fprintf(out, "auto recipe: %zu tensors x up to %zu choices measured in %.1f s; fp32 calibration loss %.5f\n",
               r.tensors.size(), r.tensors.empty() ? (size_t)0 : r.tensors[0].options.size(), r.seconds,
               r.base_calib_loss);
  std::fprintf(out, "%-28s %10s %-12s %10s %7s %11s\n", "tensor", "elements", "spec", "bytes", "bits/w", "dloss");
  for (size_t i = 0; i < r.tensors.size(); i++) {
    const AllocTensor& t = r.tensors[i];
    const AllocOption& o = t.options[r.choice.option[i]];
    std::fprintf(out, "%-28s %10llu %-12s %10llu %7.3f %11.6f\n", t.name.c_str(), (unsigned long long)t.elements,
                 o.spec.c_str(), (unsigned long long)o.bytes, 8.0 * (double)o.bytes / (double)t.elements, o.dloss);
  }
  std::fprintf(out, "auto recipe: %llu of %llu tensor bytes, predicted calibration loss increase %.6f nats/token\n",
               (unsigned long long)r.choice.bytes, (unsigned long long)r.tensor_budget, r.choice.predicted_dloss);
}

}  // namespace golf::train_export
