// test_format_corruption.cpp: broken files get clear errors, never crashes: every single-byte change in the header
// and section table, a bit flip anywhere in the file, every truncation, and hostile sizes. Run under ASan+UBSan in
// CI, so an out-of-bounds read here fails the suite.
#include <gtest/gtest.h>

#include "format_test_util.h"
#include "golf_file.h"

using namespace golf;

namespace {
Status open_bytes(const std::vector<uint8_t>& b, bool verify = true) {
  std::unique_ptr<GolfFile> f;
  OpenOptions o;
  o.verify_checksums = verify;
  return GolfFile::open_memory(b.data(), b.size(), &f, o, "model.golf");
}
uint32_t section_count(const std::vector<uint8_t>& b) {
  uint32_t n;
  std::memcpy(&n, b.data() + 12, 4);
  return n;
}
}  // namespace

TEST(FormatCorruption, EveryByteChangeInHeaderAndTableIsRejected) {
  std::vector<uint8_t> good = golf_test::small_file_bytes();
  ASSERT_TRUE(open_bytes(good).ok());
  size_t table_end = 64 + 48 * section_count(good);
  int rejected = 0;
  for (size_t i = 0; i < table_end; i++) {
    for (uint8_t mask : {0x01, 0x10, 0x80, 0xFF}) {
      std::vector<uint8_t> b = good;
      b[i] ^= mask;
      // Even with payload checksums off, the header checksum guards the header and table.
      for (bool verify : {true, false}) {
        Status st = open_bytes(b, verify);
        EXPECT_FALSE(st.ok()) << "byte " << i << " mask " << (int)mask << " verify " << verify;
        EXPECT_EQ(st.message().rfind("model.golf: ", 0), 0u) << st.message();
        rejected += !st.ok();
      }
    }
  }
  EXPECT_EQ(rejected, (int)table_end * 8);
}

TEST(FormatCorruption, EveryBitFlipAnywhereIsRejectedWithChecksums) {
  std::vector<uint8_t> good = golf_test::small_file_bytes();
  for (size_t i = 0; i < good.size(); i++) {
    std::vector<uint8_t> b = good;
    b[i] ^= (uint8_t)(1u << (i % 8));
    Status st = open_bytes(b);
    EXPECT_FALSE(st.ok()) << "byte " << i;
    // Without checksums the parser must still survive whatever it gets.
    (void)open_bytes(b, false);
  }
}

TEST(FormatCorruption, DamagedTensorIsNamed) {
  std::vector<uint8_t> b = golf_test::small_file_bytes();
  std::unique_ptr<GolfFile> f;
  ASSERT_TRUE(GolfFile::open_memory(b.data(), b.size(), &f).ok());
  const TensorInfo* t = f->find_tensor("w.q4");
  size_t off = (size_t)(t->stored - b.data()) + 5;
  f.reset();
  b[off] ^= 0x40;
  Status st = open_bytes(b);
  EXPECT_EQ(st.code(), StatusCode::checksum_mismatch);
  EXPECT_NE(st.message().find("DATA"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("w.q4"), std::string::npos) << st.message();
}

TEST(FormatCorruption, EveryTruncationIsRejected) {
  std::vector<uint8_t> good = golf_test::small_file_bytes();
  for (size_t n = 0; n < good.size(); n++) {
    std::vector<uint8_t> b(good.begin(), good.begin() + (long)n);
    Status st = open_bytes(b);
    ASSERT_FALSE(st.ok()) << "truncated to " << n;
    if (n >= 64 + 48 * section_count(good)) {
      EXPECT_NE(st.message().find("truncated"), std::string::npos) << st.message();
    }
  }
  std::vector<uint8_t> longer = good;
  longer.push_back(0);
  EXPECT_FALSE(open_bytes(longer).ok());
}

TEST(FormatCorruption, MessagesSayWhatIsWrong) {
  std::vector<uint8_t> b = golf_test::small_file_bytes();
  std::vector<uint8_t> m = b;
  m[0] = 'X';
  EXPECT_NE(open_bytes(m).message().find("not a .golf file"), std::string::npos);
  std::unique_ptr<GolfFile> f;
  Status st = GolfFile::open("/nonexistent/dir/model.golf", &f);
  EXPECT_EQ(st.code(), StatusCode::io_error);
  EXPECT_NE(st.message().find("/nonexistent/dir/model.golf"), std::string::npos);
  EXPECT_FALSE(GolfFile::open_memory(nullptr, 100, &f).ok());
}

TEST(FormatCorruption, HostileTensorDirectoryWithValidChecksums) {
  // Rewrite fields of the first tensor entry and re-checksum, so only the parser's own checks stand in the way.
  std::vector<uint8_t> good = golf_test::small_file_bytes();
  std::unique_ptr<GolfFile> f;
  ASSERT_TRUE(GolfFile::open_memory(good.data(), good.size(), &f).ok());
  uint64_t tens_off = 0;
  for (const SectionInfo& s : f->sections())
    if (s.kind == "TENS") tens_off = s.offset;
  f.reset();
  // Entry 0 is "w.q8": u32 count, u16 len, 4 name bytes, dtype, codec, ndim, scale_dtype, u32 group, dims, ...
  size_t e = tens_off + 4 + 2 + 4;
  struct Edit { size_t at; std::vector<uint8_t> bytes; };
  const uint64_t huge = ~uint64_t(0);
  std::vector<uint8_t> huge_bytes(8);
  std::memcpy(huge_bytes.data(), &huge, 8);
  std::vector<Edit> edits = {
      {e + 0, {0x77}},                      // unknown dtype
      {e + 1, {9}},                         // unknown codec
      {e + 2, {0}},                         // ndim 0
      {e + 2, {5}},                         // ndim 5
      {e + 3, {0}},                         // wrong scale dtype
      {e + 4, {7, 0, 0, 0}},                // group size 7
      {e + 8, huge_bytes},                  // dims[0] = 2^64-1 (overflow)
      {e + 8, {0, 0, 0, 0, 0, 0, 0, 0}},    // dims[0] = 0
      {e + 8, {0, 0, 0, 0, 0, 0, 1, 0}},    // 2^48 rows: past the 2^40 element cap
      {e + 24, {1, 0, 0, 0, 0, 0, 0, 0}},   // misaligned data offset
      {e + 24, huge_bytes},                 // offset overflow
      {e + 32, huge_bytes},                 // stored size overflow
      {e + 32, {1, 0, 0, 0, 0, 0, 0, 0}},   // stored size 1 for a rans tensor
  };
  for (const Edit& ed : edits) {
    std::vector<uint8_t> b = good;
    std::memcpy(b.data() + ed.at, ed.bytes.data(), ed.bytes.size());
    golf_test::refresh_checksums(b);
    Status st = open_bytes(b);
    EXPECT_FALSE(st.ok()) << "edit at " << ed.at - e;
    EXPECT_NE(st.message().find("w.q8"), std::string::npos) << st.message();
  }
}
