// test_muon_shard.cpp: sharded Muon without MPI. The shard plan (trainer/params/muon_shard_plan.h) gives every Muon
// matrix exactly one owner, packs each owner's updates without overlap into its slab, and balances Newton-Schulz
// cost within the longest-processing-time bound; and optimizer_step_sharded, run by W threads standing in for W
// ranks (an in-process all-gather), leaves every rank with the bits of the one-rank optimizer_step, and each
// owner with the one-rank momentum of its matrices.
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "cpu/optimizer.h"
#include "cpu/params.h"
#include "params/init.h"
#include "params/muon_shard_plan.h"

using namespace golf;
using namespace golf::train_cpu;

namespace {

ModelConfig small_config() {
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
  return c;
}

void check_plan(const ParamLayout& layout, int world) {
  MuonShardPlan p;
  ASSERT_TRUE(muon_shard_plan_build(layout, world, &p).ok());
  ASSERT_EQ(p.world, world);
  ASSERT_EQ(p.owned.size(), (size_t)world);
  // Coverage: Muon tensors have exactly one owner (and appear once in its list); others none.
  std::vector<int> seen(layout.tensors.size(), 0);
  for (int r = 0; r < world; r++)
    for (size_t i : p.owned[(size_t)r]) {
      seen[i]++;
      EXPECT_EQ(p.owner[i], r);
    }
  double total = 0, largest = 0;
  for (size_t i = 0; i < layout.tensors.size(); i++) {
    const bool muon = layout.tensors[i].group == ParamGroup::muon;
    EXPECT_EQ(seen[i], muon ? 1 : 0) << layout.tensors[i].name;
    EXPECT_EQ(p.owner[i] >= 0, muon) << layout.tensors[i].name;
    if (muon) total += muon_ns_cost(layout.tensors[i]), largest = std::max(largest, muon_ns_cost(layout.tensors[i]));
  }
  // Slabs: each owner's matrices lie inside its slab without overlapping.
  for (int r = 0; r < world; r++) {
    std::vector<std::pair<size_t, size_t>> spans;
    double cost = 0;
    for (size_t i : p.owned[(size_t)r]) {
      spans.push_back({p.slab_offset[i], p.slab_offset[i] + layout.tensors[i].numel});
      cost += muon_ns_cost(layout.tensors[i]);
      EXPECT_LE(p.slab_offset[i] + layout.tensors[i].numel, p.slab_floats);
    }
    std::sort(spans.begin(), spans.end());
    for (size_t k = 1; k < spans.size(); k++) EXPECT_LE(spans[k - 1].second, spans[k].first);
    EXPECT_EQ(cost, p.rank_cost[(size_t)r]);
    // Largest first within a rank (the order its threads take them).
    for (size_t k = 1; k < p.owned[(size_t)r].size(); k++)
      EXPECT_GE(muon_ns_cost(layout.tensors[p.owned[(size_t)r][k - 1]]),
                muon_ns_cost(layout.tensors[p.owned[(size_t)r][k]]));
  }
  // Balance: the LPT bound, makespan <= mean + largest single cost.
  const double makespan = *std::max_element(p.rank_cost.begin(), p.rank_cost.end());
  EXPECT_LE(makespan, total / world + largest + 1e-9) << "world " << world;
}

TEST(MuonShardPlan, CoversEveryMatrixOnceAndBalancesBaseline) {
  ParamLayout layout;
  ASSERT_TRUE(param_layout_build(ModelConfig(), &layout).ok());  // the baseline: 9 layers, 54 Muon matrices
  for (int world : {1, 2, 3, 4, 7, 8, 16, 64}) check_plan(layout, world);
  // At 8 ranks the baseline's 54 matrices (6 per layer, 2 sizes) spread within 10% of the mean cost.
  MuonShardPlan p;
  ASSERT_TRUE(muon_shard_plan_build(layout, 8, &p).ok());
  double total = 0;
  for (double c : p.rank_cost) total += c;
  const double makespan = *std::max_element(p.rank_cost.begin(), p.rank_cost.end());
  EXPECT_LE(makespan / (total / 8), 1.10);
  std::printf("baseline, 8 ranks: makespan / mean NS cost = %.4f, slab %zu floats\n", makespan / (total / 8),
              p.slab_floats);
}

TEST(MuonShardPlan, OneRankOwnsAllAndBadWorldIsRefused) {
  ParamLayout layout;
  ASSERT_TRUE(param_layout_build(small_config(), &layout).ok());
  check_plan(layout, 1);
  check_plan(layout, 100);  // more ranks than matrices: some own nothing
  MuonShardPlan p;
  EXPECT_FALSE(muon_shard_plan_build(layout, 0, &p).ok());
}

// A reusable barrier for the threads standing in for ranks.
class Barrier {
 public:
  explicit Barrier(int n) : n_(n) {}
  void wait() {
    std::unique_lock<std::mutex> lock(m_);
    const int gen = gen_;
    if (++waiting_ == n_) {
      waiting_ = 0;
      gen_++;
      cv_.notify_all();
    } else {
      cv_.wait(lock, [&] { return gen != gen_; });
    }
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  int n_, waiting_ = 0, gen_ = 0;
};

// Step k's gradient: deterministic, different per step and per element.
void fill_grads(ParamStore* ps, int k) {
  for (size_t i = 0; i < ps->layout.total; i++)
    ps->grads[i] = (float)((double)((i * 2654435761u + (size_t)k * 40503u) % 2001) / 1000.0 - 1.0) * 0.01f;
}

void check_sharded_equals_one_rank(int world) {
  omp_set_num_threads(1);
  const int kSteps = 3;
  ParamStore ref;
  ASSERT_TRUE(param_store_init(small_config(), &ref).ok());
  params_init(&ref, 5, InitOptions());
  OptimizerState ref_opt;
  ASSERT_TRUE(optimizer_init(ref.layout, OptimizerConfig(), &ref_opt).ok());
  for (int k = 0; k < kSteps; k++) {
    fill_grads(&ref, k);
    ASSERT_TRUE(optimizer_step(&ref_opt, &ref, 0.7f, k).ok());
  }
  MuonShardPlan plan;
  ASSERT_TRUE(muon_shard_plan_build(ref.layout, world, &plan).ok());
  std::vector<float> shared(plan.slab_floats * (size_t)world);
  Barrier barrier(world);
  std::vector<ParamStore> ps((size_t)world);
  std::vector<OptimizerState> opt((size_t)world);
  std::vector<std::vector<float>> slabs((size_t)world, std::vector<float>(shared.size()));
  for (int r = 0; r < world; r++) {
    ASSERT_TRUE(param_store_init(small_config(), &ps[(size_t)r]).ok());
    params_init(&ps[(size_t)r], 5, InitOptions());
    ASSERT_TRUE(optimizer_init(ps[(size_t)r].layout, OptimizerConfig(), &opt[(size_t)r]).ok());
  }
  std::vector<Status> result((size_t)world, Status::Ok());
  std::vector<std::thread> ranks;
  for (int r = 0; r < world; r++) {
    ranks.emplace_back([&, r] {
      omp_set_num_threads(1);
      auto all_gather = [&](float* s, size_t floats) {
        std::memcpy(shared.data() + (size_t)r * floats, s + (size_t)r * floats, floats * sizeof(float));
        barrier.wait();
        std::memcpy(s, shared.data(), shared.size() * sizeof(float));
        barrier.wait();
        return Status::Ok();
      };
      for (int k = 0; k < kSteps && result[(size_t)r].ok(); k++) {
        fill_grads(&ps[(size_t)r], k);
        result[(size_t)r] = optimizer_step_sharded(&opt[(size_t)r], &ps[(size_t)r], 0.7f, k, plan, r,
                                                   slabs[(size_t)r].data(), all_gather);
      }
    });
  }
  for (std::thread& t : ranks) t.join();
  for (int r = 0; r < world; r++) {
    ASSERT_TRUE(result[(size_t)r].ok()) << result[(size_t)r].message();
    EXPECT_EQ(0, std::memcmp(ps[(size_t)r].params, ref.params, ref.layout.total * sizeof(float)))
        << "rank " << r << " of " << world << ": parameters differ from one rank's";
    EXPECT_EQ(opt[(size_t)r].adam_step, ref_opt.adam_step);
    EXPECT_EQ(0, std::memcmp(opt[(size_t)r].adam_m, ref_opt.adam_m, ref_opt.adam_total * sizeof(float)));
    for (size_t i : plan.owned[(size_t)r]) {
      const size_t off = ref_opt.state_offset[i];
      EXPECT_EQ(0, std::memcmp(opt[(size_t)r].muon_momentum + off, ref_opt.muon_momentum + off,
                               ref.layout.tensors[i].numel * sizeof(float)))
          << ref.layout.tensors[i].name << " momentum on its owner, rank " << r;
    }
  }
}

TEST(MuonShardStep, TwoRanksEqualOneRankBitForBit) { check_sharded_equals_one_rank(2); }
TEST(MuonShardStep, ThreeRanksEqualOneRankBitForBit) { check_sharded_equals_one_rank(3); }
TEST(MuonShardStep, MoreRanksThanMatrices) { check_sharded_equals_one_rank(20); }

}  // namespace
