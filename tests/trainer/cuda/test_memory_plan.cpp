// test_memory_plan.cpp: the CUDA trainer's device arena plan (trainer/cuda/memory_plan.h) on the host:
// - regions are 256-byte aligned, in offset order, disjoint, uniquely named, and the total covers them;
// - the plan is a pure function of its input (built twice: the same regions);
// - sizes agree with independent sources: the flat parameter layout, train_cpu::optimizer_init's Muon/Adam state,
//   and the CPU model's saved activations (one region per train_cpu::LayerActs field, of that field's width);
// - activations scale with the micro-batch and halve in bf16; the bf16 weight copy exists only in bf16;
// - the baseline at the challenge's micro-batch (64 x 1024, bf16) fits one 80 GB H100;
// - the out-of-memory refusal says how much was asked, how much is free, and which flags lower it;
// - data parallel (world > 1): only sharded Muon's slabs are added, sized by muon_shard_plan_build.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "cpu/model.h"       // defines: LayerActs
#include "cpu/optimizer.h"   // defines: optimizer_init, OptimizerState
#include "cpu/params.h"      // defines: param_layout_build
#include "cuda/memory_plan.h"  // defines: memory_plan_build, MemoryPlan, memory_plan_check, memory_plan_text
#include "params/muon_shard_plan.h"  // defines: muon_shard_plan_build

using namespace golf;
using namespace golf::train_cuda;

namespace {

ModelConfig small_config() {
  ModelConfig c;
  c.model_dim = 64;
  c.num_layers = 5;
  c.num_heads = 4;
  c.num_kv_heads = 2;
  c.mlp_hidden = 128;
  c.vocab_size = 96;
  c.num_encoder_layers = 2;
  c.rope_dims = 16;
  c.max_seq_len = 64;
  return c;
}

MemoryPlan build(const ModelConfig& c, int rows, int T, int act_bytes, bool ema = false) {
  MemoryPlanInput in;
  in.model = c;
  in.rows = rows;
  in.T = T;
  in.act_bytes = act_bytes;
  in.ema = ema;
  MemoryPlan p;
  Status s = memory_plan_build(in, &p);
  EXPECT_TRUE(s.ok()) << s.message();
  return p;
}

size_t activation_bytes(const MemoryPlan& p) {
  // The per-step loss slots (max_micro doubles) are the classifier's only fixed-size region.
  return p.group_bytes("activations") + p.group_bytes("backward") + p.group_bytes("classifier") -
         p.find("cls.losses")->bytes;
}

}  // namespace

TEST(MemoryPlan, RegionsAlignedDisjointAndCovered) {
  for (int act_bytes : {2, 4}) {
    MemoryPlan p = build(small_config(), 3, 37, act_bytes, true);
    std::set<std::string> names;
    size_t end = 0;
    for (const MemoryRegion& r : p.regions) {
      EXPECT_EQ(r.offset % kArenaAlign, 0u) << r.name;
      EXPECT_GE(r.offset, end) << r.name << " overlaps the region before it";
      end = r.offset + r.bytes;
      EXPECT_TRUE(names.insert(r.name).second) << "duplicate region " << r.name;
      EXPECT_FALSE(r.group.empty()) << r.name;
    }
    EXPECT_GE(p.total, end);
    EXPECT_EQ(p.total % kArenaAlign, 0u);
    EXPECT_LT(p.total - end, kArenaAlign);
  }
}

TEST(MemoryPlan, PureFunctionOfItsInput) {
  MemoryPlan a = build(small_config(), 2, 50, 2), b = build(small_config(), 2, 50, 2);
  ASSERT_EQ(a.regions.size(), b.regions.size());
  for (size_t i = 0; i < a.regions.size(); i++) {
    EXPECT_EQ(a.regions[i].name, b.regions[i].name);
    EXPECT_EQ(a.regions[i].offset, b.regions[i].offset);
    EXPECT_EQ(a.regions[i].bytes, b.regions[i].bytes);
  }
  EXPECT_EQ(a.total, b.total);
}

TEST(MemoryPlan, WeightsAndOptimizerMatchTheCpuLayout) {
  const ModelConfig c = small_config();
  train_cpu::ParamLayout layout;
  ASSERT_TRUE(train_cpu::param_layout_build(c, &layout).ok());
  train_cpu::OptimizerState opt;
  ASSERT_TRUE(train_cpu::optimizer_init(layout, train_cpu::OptimizerConfig{}, &opt).ok());
  MemoryPlan p = build(c, 2, 16, 2, true);
  EXPECT_EQ(p.find("weights.master")->bytes, layout.total * 4);
  EXPECT_EQ(p.find("weights.bf16")->bytes, layout.total * 2);
  EXPECT_EQ(p.find("grads")->bytes, layout.total * 4);
  EXPECT_EQ(p.find("ema")->bytes, layout.total * 4);
  EXPECT_EQ(p.muon_floats, opt.muon_total);
  EXPECT_EQ(p.adam_floats, opt.adam_total);
  EXPECT_EQ(p.find("muon.momentum")->bytes, opt.muon_total * 4);
  EXPECT_EQ(p.find("adam.m")->bytes, opt.adam_total * 4);
  EXPECT_EQ(p.find("adam.v")->bytes, opt.adam_total * 4);
  EXPECT_EQ(p.muon_max_numel, opt.scratch[0].max_numel);
  EXPECT_EQ(p.muon_max_side, opt.scratch[0].max_side);
  // fp32 runs the GEMMs on the master weights: no copy; no EMA unless asked.
  MemoryPlan q = build(c, 2, 16, 4, false);
  EXPECT_EQ(q.find("weights.bf16"), nullptr);
  EXPECT_EQ(q.find("ema"), nullptr);
}

TEST(MemoryPlan, SavesEveryActivationTheCpuModelSaves) {
  const ModelConfig c = small_config();
  const int rows = 2, T = 24;
  const size_t N = rows * T, d = c.model_dim, kv = c.kv_dim(), hid = c.mlp_hidden;
  MemoryPlan p = build(c, rows, T, 4);
  // train_cpu::LayerActs is a struct of float pointers: one plan region per field (xin only where a skip is added).
  const size_t fields = sizeof(train_cpu::LayerActs) / sizeof(float*);
  for (int l = 0; l < c.num_layers; l++) {
    const std::string a = "act." + std::to_string(l) + ".", s = "stat." + std::to_string(l) + ".";
    size_t count = 0;
    for (const MemoryRegion& r : p.regions)
      if (r.name.rfind(a, 0) == 0 || r.name.rfind(s, 0) == 0) count++;
    const int i = l - c.num_encoder_layers;
    const bool has_skip = i >= 0 && i < c.num_skips();
    EXPECT_EQ(count + (has_skip ? 0 : 1), fields) << "layer " << l;
    EXPECT_EQ(p.find(a + "xin") != nullptr, has_skip) << "layer " << l;
    for (const char* n : {"xm", "xn1", "qn", "qr", "qf", "att", "ao", "xa", "xn2", "mo", "out"})
      EXPECT_EQ(p.find(a + n)->bytes, N * d * 4) << a << n;
    for (const char* n : {"kn", "kf", "v"}) EXPECT_EQ(p.find(a + n)->bytes, N * kv * 4) << a << n;
    for (const char* n : {"hp", "ha"}) EXPECT_EQ(p.find(a + n)->bytes, N * hid * 4) << a << n;
    EXPECT_EQ(p.find(s + "rq")->bytes, N * c.num_heads * 4);
    EXPECT_EQ(p.find(s + "rk")->bytes, N * c.num_kv_heads * 4);
    EXPECT_EQ(p.find(s + "lse")->bytes, N * c.num_heads * 4);
  }
  EXPECT_EQ(p.find("cls.logits")->bytes, N * c.vocab_size * 4);
  EXPECT_EQ(p.find("bwd.dskip")->bytes, c.num_skips() * N * d * 4);
  EXPECT_GE(p.find("gemm.workspace")->bytes, size_t(32) << 20);
}

TEST(MemoryPlan, ActivationsScaleWithTheMicroBatchAndPrecision) {
  const ModelConfig c = small_config();
  // N a multiple of 128 keeps every region a multiple of the alignment, so the sizes scale exactly.
  const size_t one = activation_bytes(build(c, 1, 128, 4));
  EXPECT_EQ(activation_bytes(build(c, 2, 128, 4)), 2 * one);
  EXPECT_EQ(activation_bytes(build(c, 4, 64, 4)), 2 * one);
  EXPECT_EQ(build(c, 1, 128, 2).group_bytes("activations") * 2, build(c, 1, 128, 4).group_bytes("activations"));
  // Statistics stay fp32 in both precisions.
  EXPECT_EQ(build(c, 1, 128, 2).group_bytes("statistics"), build(c, 1, 128, 4).group_bytes("statistics"));
  // Weights and optimizer state do not depend on the micro-batch.
  EXPECT_EQ(build(c, 1, 128, 2).group_bytes("optimizer"), build(c, 8, 128, 2).group_bytes("optimizer"));
}

TEST(MemoryPlan, BaselineFitsOneH100) {
  const ModelConfig c = challenge_baseline_config();
  MemoryPlan p = build(c, 64, 1024, 2, true);
  const std::string text = memory_plan_text(p, size_t(80) << 30);
  std::printf("%s", text.c_str());
  EXPECT_LT(p.total, size_t(80) << 30) << text;
  EXPECT_NE(text.find("activations"), std::string::npos);
  EXPECT_NE(text.find("total"), std::string::npos);
  EXPECT_NE(text.find("64 x 1024"), std::string::npos);
}

TEST(MemoryPlan, OutOfMemorySaysAskedFreeAndFlags) {
  MemoryPlan p = build(challenge_baseline_config(), 64, 1024, 4);
  const size_t free_bytes = size_t(10) << 30, device = size_t(80) << 30;
  Status s = memory_plan_check(p, free_bytes, device, false);
  ASSERT_EQ(s.code(), StatusCode::out_of_memory);
  char asked[32];
  std::snprintf(asked, sizeof asked, "%.1f MiB", p.total / 1048576.0);
  EXPECT_NE(s.message().find(asked), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("10240.0 MiB"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("--grad-accum"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("--precision bf16"), std::string::npos) << s.message();
  EXPECT_TRUE(memory_plan_check(p, free_bytes, device, true).ok());
  EXPECT_TRUE(memory_plan_check(p, p.total, device, false).ok());
  EXPECT_EQ(memory_plan_check(p, p.total - 1, device, false).code(), StatusCode::out_of_memory);
}

TEST(MemoryPlan, RefusesBadInput) {
  MemoryPlanInput in;
  in.model = small_config();
  MemoryPlan p;
  in.rows = 0;
  EXPECT_EQ(memory_plan_build(in, &p).code(), StatusCode::invalid_argument);
  in.rows = 1;
  in.act_bytes = 3;
  EXPECT_EQ(memory_plan_build(in, &p).code(), StatusCode::invalid_argument);
  in.act_bytes = 2;
  in.model.num_heads = 5;  // 64 not divisible by 5
  EXPECT_FALSE(memory_plan_build(in, &p).ok());
  in.model.num_heads = 4;
  in.world = 0;
  EXPECT_EQ(memory_plan_build(in, &p).code(), StatusCode::invalid_argument);
}

TEST(MemoryPlan, DataParallelAddsOnlyTheMuonSlabs) {
  for (int act_bytes : {2, 4}) {
    MemoryPlanInput in;
    in.model = small_config();
    in.rows = 3;
    in.T = 32;
    in.act_bytes = act_bytes;
    MemoryPlan one;
    ASSERT_TRUE(memory_plan_build(in, &one).ok());
    EXPECT_EQ(one.find("muon.slabs"), nullptr);
    EXPECT_EQ(one.muon_slab_elems, 0u);
    for (int world : {2, 3, 8}) {
      in.world = world;
      MemoryPlan many;
      ASSERT_TRUE(memory_plan_build(in, &many).ok());
      train_cpu::ParamLayout layout;
      ASSERT_TRUE(train_cpu::param_layout_build(in.model, &layout).ok());
      train_cpu::MuonShardPlan shards;
      ASSERT_TRUE(train_cpu::muon_shard_plan_build(layout, world, &shards).ok());
      const MemoryRegion* slabs = many.find("muon.slabs");
      ASSERT_NE(slabs, nullptr);
      EXPECT_EQ(many.muon_slab_elems, shards.slab_floats);
      EXPECT_EQ(slabs->bytes, (size_t)world * shards.slab_floats * act_bytes);
      EXPECT_EQ(slabs->group, "optimizer");
      // Each slab holds at least its rank's matrices, so all slabs hold at least every Muon element.
      EXPECT_GE(slabs->bytes / act_bytes, many.muon_floats - 16 * layout.tensors.size());
      // Every other region is the one-rank plan's, at the same size.
      EXPECT_EQ(many.regions.size(), one.regions.size() + 1);
      for (const MemoryRegion& r : one.regions) {
        const MemoryRegion* m = many.find(r.name);
        ASSERT_NE(m, nullptr) << r.name;
        EXPECT_EQ(m->bytes, r.bytes) << r.name;
      }
    }
  }
}
