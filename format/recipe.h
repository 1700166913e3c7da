// recipe.h: quantization recipes — which dtype, grouping, clipping and codec each tensor gets when a model is
// exported (golf-pack, golf-train). A recipe is a preset plus ordered rules "PATTERN=SPEC", first match wins.
//
// SPEC grammar: DTYPE[:OPTION]...   DTYPE is f32, f16, bf16, q2..q8; options:
//   g32 | g64 | g128     one scale per group of that many columns (default: one per row; q4 needs g32 or g64)
//   p<percent>           clip at that percentile of |w| per row/group, e.g. p99.99984
//   k<k>                 clip at k standard deviations of the row/group, e.g. k12.85
//   floor<value>         smallest scale, a number or a fraction, e.g. floor1/127
//   raw | rans           codec (default rans for quantized dtypes; floats are always raw)
// PATTERN is a glob over tensor names ('*' matches any characters, dots included).
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "dtype.h"
#include "golf_writer.h"
#include "quant.h"
#include "status.h"

namespace golf {

struct TensorPlan {
  Dtype dtype = Dtype::f32;  // float dtype: stored as is; quantized: through `quant`
  QuantRecipe quant;
  Codec codec = Codec::raw;
  std::string spec;          // the SPEC it came from, for reports
};

Status parse_tensor_spec(const std::string& spec, TensorPlan* out);

// The challenge's export (challenge.md §4): tensors of at most kSmallTensorElements elements are the model's control
// parameters (scales, mixes, gains) and stay f32; the others get kChallengeQ8Spec.
constexpr uint64_t kSmallTensorElements = 65536;
constexpr const char* kChallengeQ8Spec = "q8:p99.99984:floor1/127";

// Ordered caller rules "PATTERN=SPEC": the first whose glob matches a tensor name decides its plan.
class RecipeRules {
 public:
  // Parses and appends one rule; invalid_argument (naming the rule) when it is not PATTERN=SPEC or SPEC is bad.
  Status add(const std::string& rule);
  // The plan of the first matching rule, or nullptr.
  const TensorPlan* match(const std::string& name) const;
  // ", PATTERN=SPEC" for each rule, in order ("" without rules): for reports.
  std::string describe() const;

 private:
  std::vector<std::pair<std::string, TensorPlan>> rules_;  // (glob, plan)
};

class PackRecipe {
 public:
  // Presets: "default" (matrices of > 65,536 elements q8 per row, rans; smaller tensors f32), "challenge" (the challenge's export: tensors of
  // <= 65,536 elements f32, others q8 per row clipped at p99.99984 with scale floor 1/127, rans), "raw" (like
  // default with codec raw: tensors usable in place from an mmap).
  Status set_preset(const std::string& name);
  // Adds "PATTERN=SPEC"; earlier rules take precedence over later ones and over the preset.
  Status add_rule(const std::string& rule) { return rules_.add(rule); }
  // Overrides the codec of every quantized tensor (after rules).
  void force_codec(Codec c) { forced_codec_ = c, has_forced_codec_ = true; }
  TensorPlan plan_for(const std::string& name, const std::vector<uint64_t>& dims) const;

 private:
  std::string preset_ = "default";
  RecipeRules rules_;
  bool has_forced_codec_ = false;
  Codec forced_codec_ = Codec::raw;
};

bool glob_match(const std::string& pattern, const std::string& name);

// Quantizes (or converts) fp32 values by plan into a TensorRecord, and measures the error of the round trip.
Status make_tensor_record(const std::string& name, const std::vector<uint64_t>& dims, const float* values,
                          const TensorPlan& plan, TensorRecord* out, QuantError* error);

}  // namespace golf
