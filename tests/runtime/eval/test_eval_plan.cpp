// test_eval_plan.cpp: the evaluation bookkeeping that needs no model: every target is scored exactly once by the
// window plans (non-overlapping and sliding, many lengths and strides), and the byte table follows the challenge's
// rule on the bundled tokenizer (leading space, byte pieces, boundaries).
#include <gtest/gtest.h>

#include "byte_count.h"
#include "spm_model.h"
#include "windows.h"

using namespace golf;

TEST(EvalWindows, EveryTargetScoredExactlyOnce) {
  for (int64_t n : {2, 3, 17, 64, 65, 1000, 1025, 4097})
    for (int L : {1, 2, 16, 64, 1024})
      for (int stride : {0, 1, 7, 16, 64, 1024}) {
        if (stride > L) continue;
        std::vector<int> seen(n - 1, 0);
        int64_t min_context = INT64_MAX;
        for (const EvalWindow& w : plan_eval_windows(n, L, stride)) {
          ASSERT_GE(w.start, 0);
          ASSERT_LE(w.length, L);
          ASSERT_LE(w.start + w.length, n - 1);
          for (int64_t p = w.score_from; p < w.length; p++) {
            seen[w.start + p]++;
            if (w.start > 0) min_context = std::min(min_context, p + 1);
          }
        }
        for (int64_t t = 0; t < n - 1; t++) {
          ASSERT_EQ(seen[t], 1) << "n " << n << " L " << L << " stride " << stride << " target " << t;
        }
        if (stride > 0 && stride < L && min_context != INT64_MAX) {
          EXPECT_GE(min_context, L - stride + 1);
        }
      }
}

TEST(EvalWindows, MatchesTheChallengeSlidingStarts) {
  // challenge.md §3.4: starts = [ws for ws in range(0, T, stride) if ws + ctx < T]
  int64_t n = 5000;
  int L = 1024, stride = 64, ctx = L - stride;
  int64_t T = n - 1;
  std::vector<int64_t> want;
  for (int64_t ws = 0; ws < T; ws += stride)
    if (ws + ctx < T) want.push_back(ws);
  std::vector<int64_t> got;
  for (const EvalWindow& w : plan_eval_windows(n, L, stride)) got.push_back(w.start);
  EXPECT_EQ(got, want);
}

TEST(EvalBytes, ChallengeRuleOnBundledTokenizer) {
  TokenizerData t;
  ASSERT_TRUE(spm_model_load(std::string(GOLF_SOURCE_ROOT) + "/data/tokenizer_sp1024.model", &t).ok());
  ByteCounter bc(t, 1024);
  int space = -1, byte_a = -1, word = -1;
  for (int i = 0; i < (int)t.pieces.size(); i++) {
    if (t.pieces[i].piece == "\xE2\x96\x81") space = i;
    if (t.pieces[i].piece == "<0x41>") byte_a = i;
    if (t.pieces[i].piece == "\xE2\x96\x81the") word = i;
  }
  ASSERT_GE(space, 0);
  ASSERT_GE(byte_a, 0);
  ASSERT_GE(word, 0);
  EXPECT_EQ(bc.bytes(word, word), 4);      // " the" after a normal piece
  EXPECT_EQ(bc.bytes(1, word), 3);         // after BOS the space is free
  EXPECT_EQ(bc.bytes(word, space), 1);     // a lone "▁"
  EXPECT_EQ(bc.bytes(word, byte_a), 1);    // byte pieces count 1, never 3
  EXPECT_EQ(bc.bytes(word, 1), 0);         // BOS targets count 0 bytes
  EXPECT_EQ(bc.bytes(word, 0), 0);         // pad
  EXPECT_EQ(bc.bytes(word, 3), 0);         // unk
}
