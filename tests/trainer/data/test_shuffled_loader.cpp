// test_shuffled_loader.cpp: the shuffled loader: windows are contiguous with y = x shifted, every window of an
// epoch comes exactly once (so ranks never share one), the output depends only on the seed, state save/restore
// continues identically, and the random numbers are pinned (changing them would break resuming old checkpoints).
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "data_test_util.h"
#include "loader.h"

namespace golf {
namespace data {
namespace {

using testing_util::TempDir;
using testing_util::write_shards;

// Shards whose token at global position p is p (all < 65536), so a window is identified by its first token.
std::vector<std::vector<uint16_t>> counting_shards(const std::vector<size_t>& sizes) {
  std::vector<std::vector<uint16_t>> shards;
  uint16_t next = 0;
  for (size_t n : sizes) {
    shards.emplace_back(n);
    for (uint16_t& t : shards.back()) t = next++;
  }
  return shards;
}

TEST(SplitMix64, PinnedOutputs) {
  // SplitMix64 (Steele, Lea, Flood 2014) from state 0; a change here changes every shuffled run.
  SplitMix64 rng(0);
  EXPECT_EQ(rng.next(), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(rng.next(), 0x6e789e6aa1b965f4ULL);
  SplitMix64 bounded(42);
  std::vector<uint64_t> counts(7);
  for (int i = 0; i < 70000; i++) counts[bounded.below(7)]++;
  for (uint64_t c : counts) EXPECT_NEAR(double(c), 10000.0, 500.0);
}

TEST(ShuffledLoader, WindowsAreContiguousAndEachEpochVisitsEveryWindowOnce) {
  TempDir dir;
  const std::vector<size_t> sizes = {1000, 333, 0, 65, 2000};
  write_shards(dir.path(), "train", counting_shards(sizes));
  const int64_t seq_len = 32;
  ShuffledLoader loader;
  ASSERT_TRUE(loader.open(shard_glob(dir.path(), "train"), 11, seq_len).ok());
  std::vector<int32_t> x, y;
  std::vector<uint64_t> shard_start = {0};
  for (size_t n : sizes) shard_start.push_back(shard_start.back() + n);
  for (uint64_t epoch = 0; epoch < 3; epoch++) {
    std::map<size_t, std::set<int32_t>> starts_by_shard;
    for (;;) {
      const LoaderState before = loader.state();
      ASSERT_TRUE(loader.next_batch(seq_len, seq_len, 1, 0, 1, &x, &y).ok());
      if (loader.state().epoch != epoch) {
        // This window already belongs to the next epoch; give it back by restoring.
        ASSERT_TRUE(loader.restore(before).ok());
        break;
      }
      for (int64_t j = 0; j < seq_len; j++) ASSERT_EQ(y[size_t(j)], x[size_t(j)] + 1) << "not contiguous";
      size_t shard = 0;
      while (uint64_t(x[0]) >= shard_start[shard + 1]) shard++;
      ASSERT_LE(uint64_t(y.back()), shard_start[shard + 1] - 1) << "window crosses a shard end";
      ASSERT_TRUE(starts_by_shard[shard].insert(x[0]).second) << "window repeated within an epoch";
    }
    for (size_t shard = 0; shard < sizes.size(); shard++) {
      const auto& starts = starts_by_shard[shard];
      if (sizes[shard] < size_t(seq_len) + 1) {
        EXPECT_TRUE(starts.empty());
        continue;
      }
      ASSERT_FALSE(starts.empty()) << "shard " << shard << " epoch " << epoch;
      // All windows of a shard share one phase and tile it: phase + w * seq_len for every w that fits.
      const uint64_t phase = uint64_t(*starts.begin()) - shard_start[shard];
      EXPECT_LT(phase, uint64_t(seq_len));
      EXPECT_EQ(starts.size(), (sizes[shard] - phase - 1) / uint64_t(seq_len)) << "shard " << shard;
      for (int32_t s : starts) EXPECT_EQ((uint64_t(s) - shard_start[shard]) % uint64_t(seq_len), phase);
    }
  }
}

TEST(ShuffledLoader, SameSeedSameBatchesOtherSeedOtherBatches) {
  TempDir dir;
  write_shards(dir.path(), "train", counting_shards({5000, 3000, 4000}));
  const std::string pattern = shard_glob(dir.path(), "train");
  ShuffledLoader a, b, c;
  ASSERT_TRUE(a.open(pattern, 1234, 16).ok());
  ASSERT_TRUE(b.open(pattern, 1234, 16).ok());
  ASSERT_TRUE(c.open(pattern, 1235, 16).ok());
  std::vector<int32_t> ax, ay, bx, by, cx, cy;
  bool differs = false;
  for (int step = 0; step < 100; step++) {
    ASSERT_TRUE(a.next_batch(4 * 64, 16, 2, 1, 2, &ax, &ay).ok());
    ASSERT_TRUE(b.next_batch(4 * 64, 16, 2, 1, 2, &bx, &by).ok());
    ASSERT_TRUE(c.next_batch(4 * 64, 16, 2, 1, 2, &cx, &cy).ok());
    ASSERT_EQ(ax, bx);
    ASSERT_EQ(ay, by);
    differs |= ax != cx;
  }
  EXPECT_TRUE(differs);
}

TEST(ShuffledLoader, RanksGetDisjointWindows) {
  TempDir dir;
  write_shards(dir.path(), "train", counting_shards({20000, 7, 30000}));
  const std::string pattern = shard_glob(dir.path(), "train");
  for (int world_size : {1, 2, 8}) {
    const int64_t seq_len = 16, rows = 3, grad_accum = 2;
    std::vector<ShuffledLoader> ranks(static_cast<size_t>(world_size));
    for (auto& loader : ranks) ASSERT_TRUE(loader.open(pattern, 99, seq_len).ok());
    std::set<int32_t> seen;  // window starts over the run (shorter than one epoch: no repeats allowed)
    std::vector<int32_t> x, y;
    const int64_t global = seq_len * rows * world_size * grad_accum;
    for (int step = 0; step < 40; step++) {
      for (int r = 0; r < world_size; r++) {
        ASSERT_TRUE(ranks[size_t(r)].next_batch(global, seq_len, grad_accum, r, world_size, &x, &y).ok());
        ASSERT_EQ(x.size(), size_t(seq_len * rows));
        for (int64_t row = 0; row < rows; row++) {
          EXPECT_TRUE(seen.insert(x[size_t(row * seq_len)]).second)
              << "world " << world_size << " rank " << r << " step " << step << ": window given twice";
        }
      }
      for (int r = 1; r < world_size; r++) EXPECT_EQ(ranks[size_t(r)].state(), ranks[0].state());
    }
    EXPECT_EQ(seen.size(), size_t(40 * world_size * rows));
  }
}

TEST(ShuffledLoader, SaveAndRestoreContinuesIdentically) {
  TempDir dir;
  write_shards(dir.path(), "train", counting_shards({900, 450, 1300}));
  const std::string pattern = shard_glob(dir.path(), "train");
  for (int cut : {0, 3, 17, 40, 95}) {  // mid-shard, at shard ends and over epoch boundaries
    ShuffledLoader a, b;
    ASSERT_TRUE(a.open(pattern, 5, 24).ok());
    ASSERT_TRUE(b.open(pattern, 5, 24).ok());
    std::vector<int32_t> x, y, bx, by;
    for (int step = 0; step < cut; step++) ASSERT_TRUE(a.next_batch(2 * 48, 24, 1, 0, 2, &x, &y).ok());
    const std::string saved = encode_loader_state(a.state());
    LoaderState state;
    ASSERT_TRUE(decode_loader_state(saved.data(), saved.size(), &state).ok());
    ASSERT_TRUE(b.restore(state).ok());
    for (int step = 0; step < 60; step++) {
      ASSERT_TRUE(a.next_batch(2 * 48, 24, 1, 0, 2, &x, &y).ok());
      ASSERT_TRUE(b.next_batch(2 * 48, 24, 1, 0, 2, &bx, &by).ok());
      ASSERT_EQ(x, bx) << "cut " << cut << " step " << step;
      ASSERT_EQ(y, by);
    }
  }
}

TEST(ShuffledLoader, RestoreRefusesOtherSettingsAndKinds) {
  TempDir dir;
  write_shards(dir.path(), "train", counting_shards({900, 450}));
  const std::string pattern = shard_glob(dir.path(), "train");
  ShuffledLoader a, other_seed, other_len;
  ASSERT_TRUE(a.open(pattern, 5, 24).ok());
  ASSERT_TRUE(other_seed.open(pattern, 6, 24).ok());
  ASSERT_TRUE(other_len.open(pattern, 5, 32).ok());
  Status s = other_seed.restore(a.state());
  EXPECT_NE(s.message().find("seed 5"), std::string::npos) << s.message();
  EXPECT_FALSE(other_len.restore(a.state()).ok());
  TokenStream sequential;
  ASSERT_TRUE(sequential.open(pattern).ok());
  EXPECT_FALSE(a.restore(sequential.state()).ok());
  EXPECT_FALSE(sequential.restore(a.state()).ok());
  LoaderState bad = a.state();
  bad.offset = 1000000;
  const LoaderState before = a.state();
  EXPECT_FALSE(a.restore(bad).ok());
  EXPECT_EQ(a.state(), before) << "a refused restore must leave the loader as it was";
}

TEST(ShuffledLoader, ClearErrors) {
  TempDir dir;
  write_shards(dir.path(), "train", counting_shards({40, 30}));
  ShuffledLoader loader;
  Status s = loader.open(shard_glob(dir.path(), "train"), 1, 64);
  EXPECT_NE(s.message().find("no shard holds seq_len + 1 = 65 tokens"), std::string::npos) << s.message();
  ASSERT_TRUE(loader.open(shard_glob(dir.path(), "train"), 1, 8).ok());
  std::vector<int32_t> x, y;
  s = loader.next_batch(16, 16, 1, 0, 1, &x, &y);
  EXPECT_NE(s.message().find("opened for seq_len 8"), std::string::npos) << s.message();
  // 4 ranks x 4 windows = 16 windows of 9 tokens; an epoch may hold only 4 + 2 = 6.
  s = loader.next_batch(4 * 32, 8, 1, 0, 4, &x, &y);
  EXPECT_NE(s.message().find("need at least 129 tokens"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("16 windows"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("hold 70 tokens"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("at least 6 windows per epoch"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace data
}  // namespace golf
