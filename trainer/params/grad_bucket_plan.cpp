// grad_bucket_plan.cpp: the layout walked in offset order and cut wherever the owning block changes.
#include "grad_bucket_plan.h"

#include <algorithm>
#include <cstdlib>

namespace golf::train_cpu {

int param_block_index(const std::string& name) {
  static const std::string prefix = "blocks.";
  if (name.compare(0, prefix.size(), prefix) != 0) return -1;
  const char* p = name.c_str() + prefix.size();
  char* end = nullptr;
  const long l = std::strtol(p, &end, 10);
  return end != p && *end == '.' ? (int)l : -1;
}

Status grad_bucket_plan_build(const ParamLayout& layout, GradBucketPlan* out) {
  std::vector<const ParamInfo*> by_offset;
  for (const ParamInfo& t : layout.tensors) by_offset.push_back(&t);
  std::sort(by_offset.begin(), by_offset.end(),
            [](const ParamInfo* a, const ParamInfo* b) { return a->offset < b->offset; });
  // Runs of consecutive tensors with the same block; each run's range reaches the next run's first float.
  std::vector<GradBucket> runs;
  for (const ParamInfo* t : by_offset) {
    const int layer = param_block_index(t->name);
    if (runs.empty() || runs.back().layer != layer) {
      if (!runs.empty()) runs.back().end = t->offset;
      GradBucket b;
      b.begin = runs.empty() ? 0 : t->offset;
      b.layer = layer;
      b.name = layer >= 0 ? "blocks." + std::to_string(layer) : t->name;
      runs.push_back(b);
    } else if (layer < 0) {
      runs.back().name += "+" + t->name;
    }
  }
  if (runs.empty()) return Status(StatusCode::invalid_argument, "gradient buckets: the layout has no tensors");
  runs.back().end = layout.total;
  GradBucketPlan plan;
  for (int l = layout.config.num_layers - 1; l >= 0; l--) {
    int found = 0;
    for (const GradBucket& b : runs)
      if (b.layer == l) found++, plan.buckets.push_back(b);
    if (found != 1)
      return Status(StatusCode::invalid_argument, "gradient buckets: the tensors of blocks." + std::to_string(l) +
                                                      " are not one contiguous range of the layout");
  }
  for (const GradBucket& b : runs)
    if (b.layer < 0) plan.buckets.push_back(b);
  if (plan.buckets.size() != runs.size())
    return Status(StatusCode::invalid_argument, "gradient buckets: a tensor names a block beyond num_layers");
  *out = std::move(plan);
  return Status::Ok();
}

}  // namespace golf::train_cpu
