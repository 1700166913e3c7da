// test_sha256.cpp: SHA-256 against the FIPS 180-4 / NIST example vectors, and the same digest for any split of the
// input into update() calls (block boundaries, padding at 55/56/63/64 bytes).
#include <gtest/gtest.h>

#include <string>

#include "sha256.h"

namespace golf {
namespace data {
namespace {

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex("", 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc", 3), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  EXPECT_EQ(sha256_hex(two_blocks.data(), two_blocks.size()),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  const std::string long_message =
      "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
      "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
  EXPECT_EQ(sha256_hex(long_message.data(), long_message.size()),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  const std::string million_a(1000000, 'a');
  EXPECT_EQ(sha256_hex(million_a.data(), million_a.size()),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  const std::string fox = "The quick brown fox jumps over the lazy dog";
  EXPECT_EQ(sha256_hex(fox.data(), fox.size()), "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592");
}

TEST(Sha256, AnySplitGivesTheSameDigest) {
  for (size_t size : {0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000}) {
    std::string message(size, '\0');
    for (size_t i = 0; i < size; i++) message[i] = char((i * 131 + 7) & 0xff);
    const std::string whole = sha256_hex(message.data(), message.size());
    for (size_t step : {1, 3, 63, 64, 65, 200}) {
      Sha256 hasher;
      for (size_t pos = 0; pos < size; pos += step) {
        hasher.update(message.data() + pos, std::min(step, size - pos));
      }
      EXPECT_EQ(hasher.hex_digest(), whole) << "size " << size << " step " << step;
    }
  }
}

TEST(Sha256, ResetStartsOver) {
  Sha256 hasher;
  hasher.update("junk", 4);
  hasher.hex_digest();
  hasher.reset();
  hasher.update("abc", 3);
  EXPECT_EQ(hasher.hex_digest(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace data
}  // namespace golf
