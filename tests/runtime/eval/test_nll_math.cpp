// test_nll_math.cpp: the GPU scorer's NLL arithmetic (runtime/cuda/nll_math.h, in the kernel's lane and tree order)
// against the scorer's nll_of, the CPU function it must equal, on rows of several vocab sizes (fewer logits than
// lanes, not a multiple of the lanes, large), softcapped-range and wide-range values, every target position kind.
// Runs without a GPU: the kernel calls these same functions.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "nll_math.h"
#include "scorer.h"

TEST(NllMath, KernelOrderEqualsScorer) {
  std::mt19937 rng(5);
  for (int vocab : {1, 7, 255, 256, 1000, 1024, 8192, 50257})
    for (float spread : {1.0f, 30.0f, 80.0f}) {
      std::uniform_real_distribution<float> u(-spread, spread);
      std::vector<float> z((size_t)vocab);
      for (float& v : z) v = u(rng);
      for (int target : {0, vocab / 2, vocab - 1}) {
        const double want = golf::nll_of(z.data(), vocab, target);
        const double got = golf::runtime_cuda::nll_row_lanes(z.data(), vocab, target);
        // Only the order of the double sum differs.
        EXPECT_NEAR(got, want, 1e-12 * std::max(1.0, std::fabs(want))) << "vocab " << vocab << " spread " << spread;
      }
    }
}

TEST(NllMath, SingleLogitAndTiesAreExact) {
  const float one[1] = {3.5f};
  EXPECT_EQ(golf::runtime_cuda::nll_row_lanes(one, 1, 0), 0.0);
  std::vector<float> ties(300, 2.0f);  // uniform: ln 300 exactly as the CPU computes it
  EXPECT_NEAR(golf::runtime_cuda::nll_row_lanes(ties.data(), 300, 17), std::log(300.0), 1e-14);
  EXPECT_NEAR(golf::nll_of(ties.data(), 300, 17), std::log(300.0), 1e-14);
}
