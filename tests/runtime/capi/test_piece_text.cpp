// test_piece_text.cpp: the text golf_generate streams (PieceTextStream) is decode()'s text, released in whole
// characters: malformed byte-piece sequences (a surrogate, an overlong form, a cut-off character) become U+FFFD
// exactly as decode() writes them, a character split over three byte pieces comes out whole on the third, and
// random id sequences stream to the same bytes decode() gives.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "piece_text.h"
#include "spm_model.h"
#include "tokenizer.h"

namespace {

const std::string kFffd = "\xEF\xBF\xBD";

class PieceTextTest : public ::testing::Test {
 protected:
  void SetUp() override {
    golf::TokenizerData data;
    ASSERT_TRUE(golf::spm_model_load(std::string(GOLF_SOURCE_DIR) + "/data/tokenizer_sp1024.model", &data).ok());
    ASSERT_TRUE(tok_.init(data).ok());
    for (int id = 0; id < tok_.vocab_size(); id++)
      if (tok_.piece(id).type == golf::PieceType::byte) byte_ids_[std::stoi(tok_.piece(id).piece.substr(3, 2), nullptr, 16)] = id;
  }
  // Streams ids (pushes, then flush) and checks the result against decode().
  std::string stream(const std::vector<int32_t>& ids) {
    golf::PieceTextStream s(tok_);
    std::string out;
    for (int32_t id : ids) out += s.push(id);
    out += s.flush();
    std::string decoded;
    EXPECT_TRUE(tok_.decode(ids.data(), ids.size(), &decoded).ok());
    EXPECT_EQ(out, decoded);
    return out;
  }
  std::vector<int32_t> bytes(std::initializer_list<int> bs) {
    std::vector<int32_t> ids;
    for (int b : bs) ids.push_back(byte_ids_[b]);
    return ids;
  }
  golf::Tokenizer tok_;
  int32_t byte_ids_[256] = {};
};

TEST_F(PieceTextTest, MalformedBytesBecomeReplacementCharacters) {
  EXPECT_EQ(stream(bytes({'x', 0xED, 0xA0, 0x80})), "x" + kFffd + kFffd + kFffd);  // UTF-16 surrogate
  EXPECT_EQ(stream(bytes({'x', 0xE0, 0x80, 0x80})), "x" + kFffd + kFffd + kFffd);  // overlong form
  EXPECT_EQ(stream(bytes({'x', 0xE2, 0x82})), "x" + kFffd + kFffd);                // cut off at the end
  EXPECT_EQ(stream(bytes({'x', 0xC3, 'y'})), "x" + kFffd + "y");                   // continuation missing
}

TEST_F(PieceTextTest, SplitCharacterIsReleasedWhole) {
  golf::PieceTextStream s(tok_);
  EXPECT_EQ(s.push(byte_ids_[0xE2]), "");
  EXPECT_EQ(s.push(byte_ids_[0x82]), "");
  EXPECT_EQ(s.push(byte_ids_[0xAC]), "\xE2\x82\xAC");  // €
  EXPECT_EQ(s.flush(), "");
}

TEST_F(PieceTextTest, RandomSequencesStreamAsDecoded) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 300; trial++) {
    std::vector<int32_t> ids = bytes({'x'});  // a first character, so decode strips no leading space
    for (int i = 0; i < 24; i++) {
      const bool byte = rng() % 2 == 0;  // many byte pieces: they are where malformed UTF-8 can arise
      ids.push_back(byte ? byte_ids_[0x80 + rng() % 128] : int32_t(rng() % tok_.vocab_size()));
    }
    stream(ids);
  }
}

}  // namespace
