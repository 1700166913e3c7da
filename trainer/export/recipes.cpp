// recipes.cpp: the named export recipes and rule matching. Every quantized recipe keeps the control tensors
// (<= 65,536 elements) f32, as the challenge does: they are ~0.1% of the weights and quantizing them buys nothing.
//
//   challenge  the challenge's own export (train_gpt.py, challenge.md §4): per-row q8, clip at the 99.99984th
//              percentile of |w|, scale floor 1/127, f16 scales; stored with the rans codec instead of zlib. The
//              post-quantization score of this recipe is the number the baseline reports.
//   q8         per-row q8 at max |w| (no clip, no floor): the plain 8-bit reference; the floor of `challenge`
//              coarsens rows whose max |w| < 1, which is most rows of a trained matrix.
//   q6, q5     block matrices per-row SDClip as in the records (challenge.md §5.1, §9 item 9): scale =
//              k·std(row)/(2^(b-1)-1). With an entropy coder the size follows the step in units of the row's std
//              (about log2(std/step) + 2.05 bits for Gaussian-like rows), and the bit width only decides where
//              values clip. q6 keeps the records' k = 12.85 (step 0.41 std). q5 uses k = 8 (step 0.53 std, clip
//              at 8 std): the smaller recipe. The records' k scaled to the q5 range (12.85 * 15/31 = 6.2) gives
//              the same step as q6 but clips the heavy-tailed rows of trained matrices, and measured worse at
//              the same size. The tied embedding (also the output head) stays q8 per row at max |w|: without
//              the records' GPTQ, their embedding k = 20 cost 25x more BPB than plain q8 (measurements below).
//   q4         block matrices q4 in groups of 32 columns at max |w| per group: the layout of the runtime's int4
//              kernels (half the weight traffic of q8 when stored raw); embedding q8 per row as in q6/q5 (q4 on the
//              embedding measured +0.25 BPB). After rans the matrices are about as small as q6:k8 but measured
//              worse, so for the artifact q6/q5 are the better choices.
//   f16        matrices f16, control tensors f32: a lossless-in-practice reference for the trained model.
//   f32        every tensor f32: bit-exact to the trainer (what the trainer/runtime parity tests use).
//
// Measurements behind q6/q5 (golf-bench-export on a golf-gpt of 4 x 256, vocab 1024, trained 450 Muon steps on
// FineWeb with the CPU trainer; BPB penalty of round-to-nearest against fp32 on 262,144 validation targets):
//   block matrices only (embedding f32; bits per weight saved against q6 max|w| in parentheses):
//   q6 max|w| +0.0002 | q6:k8 +0.0015 (-1.2 bits/weight) | q6:k12.85
//   +0.0046 (-1.9) | q5:k6 +0.0061 (-1.8) | q5:k7 +0.0056 (-2.1) | q5:k8 +0.0065 (-2.3) | q4:g32 +0.0036 (-1.2)
//   embedding only (65,537 targets):  q8 max|w| +0.0024 | q8:k20 +0.063 | q8:k12 +0.028 | q6 max|w| +0.026
//   whole recipes (262,144 targets):  challenge +0.0024 | q8 +0.0025 | q6 +0.0061 | q5 +0.0071 | q4 +0.0048
//   (q4 with a q4 embedding: +0.25)
#include "recipes.h"

#include <cstdio>

namespace golf::train_export {

namespace {

bool is_embedding(const std::string& name) { return name == "tok_emb.weight" || name == "lm_head.weight"; }

std::string format_k(double k) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", k);
  return buf;
}

// The SPEC the named recipe gives a tensor (no rules applied).
std::string recipe_spec(const std::string& recipe, const std::string& name, uint64_t elements) {
  if (recipe == "f32") return "f32";
  if (elements <= kSmallTensorElements) return "f32";
  if (recipe == "challenge") return kChallengeQ8Spec;
  if (recipe == "q8") return "q8";
  if (recipe == "f16") return "f16";
  if (is_embedding(name)) return "q8";
  if (recipe == "q4") return "q4:g32";
  if (recipe == "q6") return "q6:k" + format_k(kQ6MatrixK);
  return "q5:k" + format_k(kQ5MatrixK);  // q5
}

}  // namespace

const std::vector<RecipeInfo>& export_recipes() {
  static const std::vector<RecipeInfo> recipes = {
      {"challenge", "the challenge's export: q8 per row, clip p99.99984, scale floor 1/127; <= 65,536 elements f32"},
      {"q8", "q8 per row at max |w| (no clip); <= 65,536 elements f32"},
      {"q6", "q6 per row, SDClip k=12.85 (records); embedding q8 per row; <= 65,536 elements f32"},
      {"q5", "q5 per row, SDClip k=8 (smaller); embedding q8 per row; <= 65,536 elements f32"},
      {"q4", "q4 in groups of 32 at max |w|; embedding q8 per row; <= 65,536 elements f32"},
      {"f16", "matrices f16; <= 65,536 elements f32"},
      {"f32", "every tensor f32 (exact)"},
  };
  return recipes;
}

Status ExportRecipe::create(const std::string& name, const std::vector<std::string>& rules, ExportRecipe* out) {
  bool known = false;
  std::string names;
  for (const RecipeInfo& r : export_recipes()) {
    known |= name == r.name;
    names += std::string(names.empty() ? "" : ", ") + r.name;
  }
  if (!known) return Status(StatusCode::invalid_argument, "unknown recipe '" + name + "' (known: " + names + ")");
  ExportRecipe recipe;
  recipe.name_ = name;
  for (const std::string& rule : rules) GOLF_RETURN_IF_ERROR(recipe.rules_.add(rule));
  *out = std::move(recipe);
  return Status::Ok();
}

Status ExportRecipe::plan_for(const std::string& tensor, const std::vector<uint64_t>& dims, TensorPlan* out) const {
  if (const TensorPlan* ruled = rules_.match(tensor)) {
    *out = *ruled;
    return Status::Ok();
  }
  uint64_t elements = 1;
  for (uint64_t d : dims) elements *= d;
  return parse_tensor_spec(recipe_spec(name_, tensor, elements), out);
}

std::string ExportRecipe::describe() const {
  const std::string rules = rules_.describe();
  return rules.empty() ? name_ : name_ + " + " + rules.substr(2);
}

}  // namespace golf::train_export
