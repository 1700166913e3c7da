// test_shard.cpp: the challenge's shard format: byte layout, round trips, names, sorted listing, and readable
// errors for corrupt magic/version/count and truncated or padded files.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "data_test_util.h"
#include "loader.h"
#include "sha256.h"
#include "shard.h"

namespace golf {
namespace data {
namespace {

using testing_util::read_text_file;
using testing_util::TempDir;
using testing_util::write_text_file;

std::string le32(int32_t v) {
  std::string out(4, '\0');
  for (int i = 0; i < 4; i++) out[i] = char(uint8_t(uint32_t(v) >> (8 * i)));
  return out;
}

TEST(Shard, ExactByteLayout) {
  TempDir dir;
  const std::vector<uint16_t> tokens = {1, 2, 0x1234, 65535, 0};
  std::string digest;
  ASSERT_TRUE(write_shard(dir.file("s.bin"), tokens.data(), tokens.size(), &digest).ok());
  const std::string bytes = read_text_file(dir.file("s.bin"));
  ASSERT_EQ(bytes.size(), 1024u + 2 * tokens.size());
  EXPECT_EQ(bytes.substr(0, 4), le32(20240520));
  EXPECT_EQ(bytes.substr(4, 4), le32(1));
  EXPECT_EQ(bytes.substr(8, 4), le32(5));
  EXPECT_EQ(bytes.substr(12, 1012), std::string(1012, '\0'));
  EXPECT_EQ(bytes.substr(1024 + 4, 2), std::string("\x34\x12", 2));
  EXPECT_EQ(bytes.substr(1024 + 6, 2), std::string("\xff\xff", 2));
  EXPECT_EQ(digest, sha256_hex(bytes.data(), bytes.size()));
}

TEST(Shard, RoundTripAndNoTemporaryLeftBehind) {
  TempDir dir;
  std::vector<uint16_t> tokens(100000);
  for (size_t i = 0; i < tokens.size(); i++) tokens[i] = uint16_t(i * 7919);
  ASSERT_TRUE(write_shard(dir.file("a.bin"), tokens.data(), tokens.size()).ok());
  std::vector<uint16_t> back;
  ASSERT_TRUE(read_shard(dir.file("a.bin"), &back).ok());
  EXPECT_EQ(back, tokens);
  uint64_t count = 0;
  ASSERT_TRUE(read_shard_header(dir.file("a.bin"), &count).ok());
  EXPECT_EQ(count, tokens.size());
  // Overwriting replaces the file whole.
  ASSERT_TRUE(write_shard(dir.file("a.bin"), tokens.data(), 3).ok());
  ASSERT_TRUE(read_shard(dir.file("a.bin"), &back).ok());
  EXPECT_EQ(back, std::vector<uint16_t>(tokens.begin(), tokens.begin() + 3));
  std::vector<std::string> all;
  ASSERT_TRUE(list_shards(dir.path() + "/*", &all).ok());
  EXPECT_EQ(all.size(), 1u) << "a temporary file was left behind";
}

TEST(Shard, EmptyShardIsValid) {
  TempDir dir;
  ASSERT_TRUE(write_shard(dir.file("e.bin"), nullptr, 0).ok());
  std::vector<uint16_t> back = {9};
  ASSERT_TRUE(read_shard(dir.file("e.bin"), &back).ok());
  EXPECT_TRUE(back.empty());
}

TEST(Shard, NamesAndGlob) {
  EXPECT_EQ(shard_file_name("fineweb", "train", 0), "fineweb_train_000000.bin");
  EXPECT_EQ(shard_file_name("fineweb", "val", 123), "fineweb_val_000123.bin");
  EXPECT_EQ(shard_file_name("x", "train", 1234567), "x_train_1234567.bin");
  EXPECT_EQ(shard_glob("d", "val"), "d/fineweb_val_*.bin");
  EXPECT_EQ(shard_glob("d/", "train", "sp8192"), "d/sp8192_train_*.bin");
}

TEST(Shard, ListingIsSortedAndMissingIsAnError) {
  TempDir dir;
  const uint16_t t = 5;
  for (int i : {10, 2, 0, 1}) {
    ASSERT_TRUE(write_shard(dir.file(shard_file_name("fineweb", "train", uint64_t(i))), &t, 1).ok());
  }
  std::vector<std::string> paths;
  ASSERT_TRUE(list_shards(shard_glob(dir.path(), "train"), &paths).ok());
  ASSERT_EQ(paths.size(), 4u);
  EXPECT_EQ(paths[0], dir.file("fineweb_train_000000.bin"));
  EXPECT_EQ(paths[3], dir.file("fineweb_train_000010.bin"));
  const Status missing = list_shards(shard_glob(dir.path(), "val"), &paths);
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("fineweb_val_*.bin"), std::string::npos) << missing.message();
}

// Writes a shard with 4 tokens, then lets `damage` edit its bytes; returns the reader's error.
template <typename Damage>
Status open_damaged(const TempDir& dir, Damage damage) {
  const std::vector<uint16_t> tokens = {1, 2, 3, 4};
  EXPECT_TRUE(write_shard(dir.file("d.bin"), tokens.data(), tokens.size()).ok());
  std::string bytes = read_text_file(dir.file("d.bin"));
  damage(&bytes);
  write_text_file(dir.file("d.bin"), bytes);
  ShardReader reader;
  const Status via_map = reader.open(dir.file("d.bin"));
  uint64_t count = 0;
  const Status via_header = read_shard_header(dir.file("d.bin"), &count);
  EXPECT_EQ(via_map.ok(), via_header.ok());
  EXPECT_EQ(via_map.message(), via_header.message());
  return via_map;
}

TEST(Shard, CorruptHeadersAndSizesAreNamed) {
  TempDir dir;
  Status s = open_damaged(dir, [](std::string* b) { (*b)[0] = 'X'; });
  EXPECT_EQ(s.code(), StatusCode::bad_format);
  EXPECT_NE(s.message().find("d.bin"), std::string::npos);
  EXPECT_NE(s.message().find("magic"), std::string::npos) << s.message();

  s = open_damaged(dir, [](std::string* b) { b->replace(4, 4, le32(2)); });
  EXPECT_EQ(s.code(), StatusCode::unsupported);
  EXPECT_NE(s.message().find("version 2"), std::string::npos) << s.message();

  s = open_damaged(dir, [](std::string* b) { b->replace(8, 4, le32(-1)); });
  EXPECT_EQ(s.code(), StatusCode::bad_format);
  EXPECT_NE(s.message().find("negative"), std::string::npos) << s.message();

  // Truncated by one byte: expected vs actual sizes are both named.
  s = open_damaged(dir, [](std::string* b) { b->pop_back(); });
  EXPECT_EQ(s.code(), StatusCode::bad_format);
  EXPECT_NE(s.message().find("1032"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("1031"), std::string::npos) << s.message();

  // Extra bytes are as wrong as missing ones.
  s = open_damaged(dir, [](std::string* b) { b->append("ab"); });
  EXPECT_NE(s.message().find("1034"), std::string::npos) << s.message();

  // A count that claims more tokens than the file holds.
  s = open_damaged(dir, [](std::string* b) { b->replace(8, 4, le32(5)); });
  EXPECT_NE(s.message().find("5 tokens"), std::string::npos) << s.message();

  // Shorter than the header.
  s = open_damaged(dir, [](std::string* b) { b->resize(100); });
  EXPECT_NE(s.message().find("shorter than the 1024-byte"), std::string::npos) << s.message();
  s = open_damaged(dir, [](std::string* b) { b->clear(); });
  EXPECT_FALSE(s.ok());

  ShardReader reader;
  s = reader.open(dir.file("absent.bin"));
  EXPECT_EQ(s.code(), StatusCode::io_error);
  EXPECT_NE(s.message().find("absent.bin"), std::string::npos) << s.message();
}

TEST(Shard, ShardListRejectsADamagedShardUpFront) {
  TempDir dir;
  testing_util::write_shards(dir.path(), "train", {{1, 2, 3}, {4, 5}});
  std::string bytes = read_text_file(dir.file("fineweb_train_000001.bin"));
  bytes.pop_back();
  write_text_file(dir.file("fineweb_train_000001.bin"), bytes);
  ShardList list;
  const Status s = open_shard_list(shard_glob(dir.path(), "train"), &list);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("fineweb_train_000001.bin"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace data
}  // namespace golf
