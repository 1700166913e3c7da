// grad_bucket_plan.h: how the data-parallel gradient all-reduce is cut into buckets (cuda-trainer.md §2): one
// bucket per transformer layer, which is one contiguous range of the flat gradient buffer because the layout
// follows SPEC order, launched as soon as that layer's backward is done (last layer first); then the tensors outside
// the blocks (tok_emb, skip_weights, lm_head), which are complete only at the end of the backward. The buckets
// cover [0, layout.total) exactly once (padding included), so every gradient float is reduced exactly once.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "param_layout.h"  // defines: ParamLayout
#include "status.h"        // defines: Status

namespace golf::train_cpu {

struct GradBucket {
  size_t begin = 0, end = 0;  // floats of the flat buffer, [begin, end)
  int layer = -1;             // the block whose backward completes it; -1: the tensors outside the blocks
  std::string name;           // "blocks.8" or "tok_emb.weight+skip_weights" for logs and NCCL errors
  size_t floats() const { return end - begin; }
};

struct GradBucketPlan {
  std::vector<GradBucket> buckets;  // in launch order: blocks from the last layer down, then the others
};

// Refused (invalid_argument) when a block's tensors are not contiguous in the layout (the layout would then need
// packing, which this plan does not do).
Status grad_bucket_plan_build(const ParamLayout& layout, GradBucketPlan* out);

// The block index of a tensor name ("blocks.3.attn.c_q.weight" -> 3), -1 outside the blocks.
int param_block_index(const std::string& name);

}  // namespace golf::train_cpu
