// test_grad_buckets.cpp: the gradient all-reduce's bucket plan (trainer/params/grad_bucket_plan.h): for the
// baseline and for small and untied models, the buckets cover the flat buffer exactly once, one bucket per block in
// backward order (last layer first), each holding exactly its block's tensors, then the tensors outside the blocks.
#include <gtest/gtest.h>

#include <cstdio>
#include <vector>

#include "params/grad_bucket_plan.h"

using namespace golf;
using namespace golf::train_cpu;

namespace {

void check_buckets(const ModelConfig& cfg) {
  ParamLayout layout;
  ASSERT_TRUE(param_layout_build(cfg, &layout).ok());
  GradBucketPlan plan;
  Status st = grad_bucket_plan_build(layout, &plan);
  ASSERT_TRUE(st.ok()) << st.message();
  // Exactly once: every float of [0, total) in one bucket.
  std::vector<int> hits(layout.total, 0);
  for (const GradBucket& b : plan.buckets) {
    ASSERT_LE(b.begin, b.end);
    ASSERT_LE(b.end, layout.total);
    for (size_t i = b.begin; i < b.end; i++) hits[i]++;
  }
  for (size_t i = 0; i < layout.total; i++) ASSERT_EQ(hits[i], 1) << "float " << i;
  // Blocks first, last layer first, then the rest.
  ASSERT_GT(plan.buckets.size(), (size_t)cfg.num_layers);
  for (int k = 0; k < cfg.num_layers; k++) EXPECT_EQ(plan.buckets[(size_t)k].layer, cfg.num_layers - 1 - k);
  for (size_t k = (size_t)cfg.num_layers; k < plan.buckets.size(); k++) EXPECT_EQ(plan.buckets[k].layer, -1);
  // Each tensor lies inside the bucket of its block.
  for (const ParamInfo& t : layout.tensors) {
    int inside = 0;
    for (const GradBucket& b : plan.buckets)
      if (t.offset >= b.begin && t.offset + t.numel <= b.end) {
        inside++;
        EXPECT_EQ(b.layer, param_block_index(t.name)) << t.name;
      }
    EXPECT_EQ(inside, 1) << t.name;
  }
}

TEST(GradBuckets, BaselineOneBucketPerLayerCoveringTheBufferOnce) {
  ModelConfig baseline;
  check_buckets(baseline);
  ParamLayout layout;
  ASSERT_TRUE(param_layout_build(baseline, &layout).ok());
  GradBucketPlan plan;
  ASSERT_TRUE(grad_bucket_plan_build(layout, &plan).ok());
  std::printf("baseline: %zu buckets, layer bucket %zu floats (%.2f MB fp32), last bucket '%s' %zu floats\n",
              plan.buckets.size(), plan.buckets[0].floats(), plan.buckets[0].floats() * 4 / 1e6,
              plan.buckets.back().name.c_str(), plan.buckets.back().floats());
}

TEST(GradBuckets, SmallAndUntiedModels) {
  ModelConfig c;
  c.vocab_size = 64;
  c.model_dim = 32;
  c.num_layers = 3;
  c.num_heads = 2;
  c.num_kv_heads = 1;
  c.mlp_hidden = 64;
  c.rope_dims = 16;
  c.num_encoder_layers = 1;
  c.max_seq_len = 16;
  check_buckets(c);
  c.tie_embeddings = false;  // lm_head joins the tensors outside the blocks
  check_buckets(c);
  c.num_layers = 1;
  c.num_encoder_layers = 0;
  check_buckets(c);
}

TEST(GradBuckets, BlockIndexOfNames) {
  EXPECT_EQ(param_block_index("blocks.12.mlp.fc.weight"), 12);
  EXPECT_EQ(param_block_index("blocks.0.attn_scale"), 0);
  EXPECT_EQ(param_block_index("tok_emb.weight"), -1);
  EXPECT_EQ(param_block_index("blocks.x.y"), -1);
  EXPECT_EQ(param_block_index("blocks.3"), -1);
}

}  // namespace
