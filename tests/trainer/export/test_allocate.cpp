// test_allocate.cpp: the byte-budget allocator (trainer/export/allocate.h, auto_recipe.h): the obvious choice on a
// constructed case, never over budget on random instances (tight budgets included) and never worse than the best
// uniform assignment that fits, the error below the minimum, and end to end on a small model: the real export's
// counted artifact stays within each budget, from the tightest feasible one up.
#include <gtest/gtest.h>

#include <random>

#include "allocate.h"
#include "auto_recipe.h"
#include "code_size.h"
#include "export_test_util.h"

namespace golf::export_test {
namespace {

using namespace train_export;

TEST(Allocate, PicksTheObviousChoice) {
  // A is sensitive, B is not; the budget buys one wide tensor: A gets it.
  std::vector<AllocTensor> t = {
      {"A", 1000, {{"q8", 1000, 0.001}, {"q4", 500, 0.5}}},
      {"B", 1000, {{"q8", 1000, 0.001}, {"q4", 500, 0.002}}},
  };
  AllocChoice c;
  ASSERT_TRUE(choose_under_budget(t, 1500, &c).ok());
  EXPECT_EQ(c.option[0], 0);
  EXPECT_EQ(c.option[1], 1);
  EXPECT_EQ(c.bytes, 1500u);
  EXPECT_NEAR(c.predicted_dloss, 0.003, 1e-12);
  // Enough bytes for both: both wide. Too few for any: an error naming the minimum.
  ASSERT_TRUE(choose_under_budget(t, 2000, &c).ok());
  EXPECT_EQ(c.option, (std::vector<int>{0, 0}));
  Status st = choose_under_budget(t, 999, &c);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("1000"), std::string::npos) << st.message();
}

TEST(Allocate, NeverOverBudgetAndNeverWorseThanUniform) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> u(0, 1);
  const char* specs[] = {"q8", "q6", "q5", "q4", "q3", "q2"};
  for (int trial = 0; trial < 200; trial++) {
    std::vector<AllocTensor> t(1 + trial % 12);
    uint64_t min_sum = 0, max_sum = 0;
    for (AllocTensor& x : t) {
      const uint64_t n = 1000 + (uint64_t)(u(rng) * 100000);
      const double sens = u(rng) * u(rng);
      for (int b = 8, i = 0; b >= 2; b -= (b == 8 ? 2 : 1), i++)  // 8, 6, 5, 4, 3, 2
        x.options.push_back({specs[i], n * (uint64_t)b / 8 + (uint64_t)(u(rng) * 50),
                             sens * std::pow(4.0, 8 - b) * (0.5 + u(rng))});
      min_sum += x.options.back().bytes;
      max_sum += x.options.front().bytes;
    }
    for (double f : {0.0, 0.001, 0.1, 0.5, 0.9, 1.0}) {
      const uint64_t budget = min_sum + (uint64_t)(f * (double)(max_sum - min_sum));
      AllocChoice c;
      Status st = choose_under_budget(t, budget, &c);
      ASSERT_TRUE(st.ok()) << st.message();
      ASSERT_LE(c.bytes, budget) << "trial " << trial << " f " << f;
      uint64_t bytes = 0;
      double dloss = 0;
      for (size_t i = 0; i < t.size(); i++) bytes += t[i].options[c.option[i]].bytes, dloss += t[i].options[c.option[i]].dloss;
      EXPECT_EQ(bytes, c.bytes);
      EXPECT_NEAR(dloss, c.predicted_dloss, 1e-9 * (1 + dloss));
      for (size_t s = 0; s < t[0].options.size(); s++) {
        uint64_t ub = 0;
        double ud = 0;
        for (const AllocTensor& x : t) ub += x.options[s].bytes, ud += x.options[s].dloss;
        if (ub <= budget) {
          EXPECT_LE(c.predicted_dloss, ud + 1e-12) << "uniform " << specs[s];
        }
      }
    }
    AllocChoice c;
    EXPECT_FALSE(choose_under_budget(t, min_sum - 1, &c).ok());
  }
}

TEST(Allocate, RealExportStaysWithinEachBudget) {
  const ModelConfig cfg = small_config();
  train_cpu::ParamStore ps;
  ASSERT_TRUE(train_cpu::param_store_init(cfg, &ps).ok());
  randomize(&ps, 3);
  const TokenizerData tok = sp1024();
  // A synthetic token stream stands in for training data here; what is checked is bytes, not quality.
  std::mt19937 rng(9);
  std::vector<int32_t> train(64 * 16 + 1);
  for (int32_t& x : train) x = (int32_t)(rng() % (uint32_t)cfg.vocab_size);
  CalibrationData calib;
  ASSERT_TRUE(collect_calibration(ps.layout, ps.params, train, 64, 64 * 16, &calib).ok());
  EXPECT_EQ(calib.tokens, 64 * 16);
  AllocSettings as;
  as.loss_windows = 2;
  as.gptq = true;
  AutoRecipeResult r;
  ExportOptions eo;
  const std::string dir = ::testing::TempDir();
  eo.output_path = dir + "/alloc_test.golf";
  Status st = plan_auto_recipe(ps.layout, ps.params, tok, calib, as, 1000000000, eo, &r);
  ASSERT_TRUE(st.ok()) << st.message();
  // c_q, proj, fc, mlp.proj of each block and the tied embedding; c_k/c_v (32 x 64) are below min_elements.
  ASSERT_EQ(r.tensors.size(), 3u * 4u + 1u);
  const uint64_t fixed = 1000000000 - r.tensor_budget;
  uint64_t min_sum = 0, max_sum = 0;
  for (const AllocTensor& t : r.tensors) {
    uint64_t lo = UINT64_MAX, hi = 0;
    for (const AllocOption& o : t.options) lo = std::min(lo, o.bytes), hi = std::max(hi, o.bytes);
    min_sum += lo, max_sum += hi;
  }
  for (double f : {0.0, 0.02, 0.3, 0.7, 1.0}) {
    const uint64_t budget = fixed + min_sum + (uint64_t)(f * (double)(max_sum - min_sum));
    SCOPED_TRACE(budget);
    st = allocate_auto_recipe(ps.layout, ps.params, tok, budget, eo, &r);
    ASSERT_TRUE(st.ok()) << st.message();
    ExportOptions real = eo;
    real.recipe = kAutoBaseRecipe;
    real.rules = r.rules;
    real.calibration = &calib;
    ExportReport rep;
    ASSERT_TRUE(export_model(ps.layout, ps.params, tok, real, &rep).ok());
    const uint64_t artifact = rep.file_bytes - rep.tokenizer_bytes + counted_code_size().compressed_bytes;
    EXPECT_LE(artifact, budget);
    std::printf("budget %llu: artifact %llu, predicted dloss %.5f\n", (unsigned long long)budget,
                (unsigned long long)artifact, r.choice.predicted_dloss);
  }
  EXPECT_FALSE(allocate_auto_recipe(ps.layout, ps.params, tok, fixed + min_sum - 1, eo, &r).ok());
}

}  // namespace
}  // namespace golf::export_test
