// recipes.h: the named quantization recipes of golf-export and golf-train (challenge, q8, q6, q5, q4, f16, f32):
// which dtype, grouping, clip and codec each tensor of a golf-gpt model gets, plus caller rules
// "PATTERN=SPEC" (format/recipe.h grammar) that take precedence, first match wins. See recipes.cpp for why each
// recipe is what it is.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "recipe.h"  // defines: TensorPlan, RecipeRules, kSmallTensorElements, kChallengeQ8Spec
#include "status.h"

namespace golf::train_export {

// Tensors of at most kSmallTensorElements (recipe.h) elements are the model's control parameters (scales, mixes,
// gains, skip weights): every quantized recipe keeps them f32, exactly as the challenge's export does.

// Default std multiples of the k·std (SDClip) recipes, measured on trained weights (see recipes.cpp).
constexpr double kQ6MatrixK = 12.85;
constexpr double kQ5MatrixK = 8.0;

struct RecipeInfo {
  const char* name;
  const char* summary;  // one line for --help
};
// Every recipe, in the order --help lists them.
const std::vector<RecipeInfo>& export_recipes();

class ExportRecipe {
 public:
  // name: one of export_recipes(); rules: "PATTERN=SPEC", earlier rules win, all before the recipe's own choice.
  static Status create(const std::string& name, const std::vector<std::string>& rules, ExportRecipe* out);
  // The plan of one tensor (name as in SPEC.md §3.1, dims row-major).
  Status plan_for(const std::string& tensor, const std::vector<uint64_t>& dims, TensorPlan* out) const;
  const std::string& name() const { return name_; }
  // "q6" or "q6 + blocks.0.*=f32, ..." for reports and the file's metadata.
  std::string describe() const;

 private:
  std::string name_;
  RecipeRules rules_;
};

}  // namespace golf::train_export
