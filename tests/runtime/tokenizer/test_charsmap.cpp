// test_charsmap.cpp: the precompiled charsmap reader: real NFKC rules from the bundled model, broken headers, and
// random or bit-flipped blobs (bounds checks: never a crash or an out-of-range read, which ASan would catch).
#include <gtest/gtest.h>

#include <random>

#include "charsmap.h"
#include "spm_model.h"
#include "tokenizer_test_util.h"

using namespace golf;
using namespace golf_test;

namespace {

std::string bundled_charsmap() {
  TokenizerData t;
  EXPECT_TRUE(spm_model_load(bundled_model_path(), &t).ok());
  return t.precompiled_charsmap;
}

std::string apply(const CharsMap& map, const std::string& text, size_t* length) {
  std::string_view replacement;
  *length = map.longest_match(text.data(), text.size(), &replacement);
  return std::string(replacement);
}

}  // namespace

TEST(CharsMap, EmptyBlobHasNoRules) {
  CharsMap map;
  ASSERT_TRUE(map.init("").ok());
  EXPECT_TRUE(map.empty());
  size_t length = 99;
  EXPECT_EQ(apply(map, "abc", &length), "");
  EXPECT_EQ(length, 0u);
}

TEST(CharsMap, AppliesNfkcRulesOfTheBundledModel) {
  CharsMap map;
  ASSERT_TRUE(map.init(bundled_charsmap()).ok());
  size_t length = 0;
  EXPECT_EQ(apply(map, "\xEF\xAC\x81x", &length), "fi");  // U+FB01 ligature fi
  EXPECT_EQ(length, 3u);
  EXPECT_EQ(apply(map, "\xEF\xBC\xA1", &length), "A");  // full-width A
  EXPECT_EQ(apply(map, "\xC2\xA0", &length), " ");       // no-break space
  EXPECT_EQ(apply(map, "e\xCC\x81", &length), "\xC3\xA9");  // e + combining acute -> é (longest rule wins)
  EXPECT_EQ(length, 3u);
  EXPECT_EQ(apply(map, "abc", &length), "");  // plain ASCII letters have no rule
  EXPECT_EQ(length, 0u);
  EXPECT_EQ(apply(map, "", &length), "");
  EXPECT_EQ(length, 0u);
}

TEST(CharsMap, RejectsBrokenHeaders) {
  CharsMap map;
  EXPECT_EQ(map.init("abc").code(), StatusCode::bad_format);           // shorter than the size field
  EXPECT_EQ(map.init(std::string("\x04\x00\x00\x00", 4)).code(), StatusCode::bad_format);  // nothing after it
  EXPECT_EQ(map.init(std::string("\x09\x00\x00\x00" "abcd", 8)).code(), StatusCode::bad_format);  // trie too big
  EXPECT_EQ(map.init(std::string("\xFF\xFF\xFF\xFF" "abcd", 8)).code(), StatusCode::bad_format);
  EXPECT_TRUE(map.init(std::string("\x00\x00\x00\x00" "pool", 8)).ok());  // no trie: no rules
  size_t length = 0;
  EXPECT_EQ(apply(map, "pool", &length), "");
  EXPECT_EQ(length, 0u);
}

TEST(CharsMap, ValuesOutsideThePoolReplaceWithNothing) {
  // One-unit-per-node trie for the key "a": root offset 1 -> node 1^'a' holds label 'a' with a leaf whose value
  // unit sits at (1^'a') ^ offset. Built by hand so the value can point past the pool.
  std::vector<uint32_t> units(256, 0);
  const uint32_t root_offset = 1;
  units[0] = root_offset << 10;
  const uint32_t node = root_offset ^ 'a';
  const uint32_t child_offset = 2;
  units[node] = (child_offset << 10) | (1u << 8) | 'a';
  units[node ^ child_offset] = (1u << 31) | 1000;  // value 1000: far past the 3-byte pool
  std::string blob(4, '\0');
  const uint32_t trie_bytes = uint32_t(units.size() * 4);
  std::memcpy(&blob[0], &trie_bytes, 4);
  blob.append(reinterpret_cast<const char*>(units.data()), trie_bytes);
  blob += "xy";  // pool without a terminating NUL
  CharsMap map;
  ASSERT_TRUE(map.init(blob).ok());
  size_t length = 0;
  EXPECT_EQ(apply(map, "ab", &length), "");
  EXPECT_EQ(length, 1u);
  // Pointing the value at the pool's last string, which has no NUL: it ends at the pool's end.
  units[node ^ child_offset] = (1u << 31) | 1;
  std::memcpy(&blob[4], units.data(), trie_bytes);
  ASSERT_TRUE(map.init(blob).ok());
  EXPECT_EQ(apply(map, "a", &length), "y");
}

TEST(CharsMap, CorruptedBlobsNeverReadOutOfBounds) {
  const std::string good = bundled_charsmap();
  std::mt19937 rng(11);
  const std::string probes[] = {"abc", "\xEF\xAC\x81", "e\xCC\x81", "\xC2\xA0x", std::string("\0\xFF\x80", 3),
                                "\xE4\xB8\xAD\xE6\x96\x87", "\xF0\x9F\x98\x80"};
  for (int trial = 0; trial < 300; trial++) {
    std::string bad = good;
    if (trial % 3 == 0) {
      for (int f = 0; f < 64; f++) bad[4 + rng() % (bad.size() - 4)] = char(rng());  // scramble the trie
    } else if (trial % 3 == 1) {
      bad.resize(4 + rng() % (bad.size() - 4));  // cut short; the size field now may exceed the blob
    } else {
      bad = bad.substr(0, 4) + std::string(size_t(rng() % 5000), char(rng()));
    }
    CharsMap map;
    if (!map.init(bad).ok()) continue;
    for (const std::string& probe : probes) {
      std::string_view replacement;
      const size_t length = map.longest_match(probe.data(), probe.size(), &replacement);
      EXPECT_LE(length, probe.size());
    }
    // Every byte value at the start of input.
    for (int b = 0; b < 256; b++) {
      const char c[2] = {char(b), 'x'};
      std::string_view replacement;
      EXPECT_LE(map.longest_match(c, 2, &replacement), 2u);
    }
  }
}
