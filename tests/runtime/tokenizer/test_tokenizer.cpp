// test_tokenizer.cpp: golf::Tokenizer on the bundled model: ids known from SentencePiece, UTF-8 edge cases,
// SentencePiece's decode rules, validation of bad vocabularies, the .golf (TOKN) round trip, thread safety.
// Full parity with SentencePiece over real corpora is check_tokenizer_parity.py's job.
#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "spm_model.h"
#include "tokenizer.h"
#include "tokenizer_test_util.h"
#include "utf8.h"

using namespace golf;
using namespace golf_test;

namespace {

using Ids = std::vector<int32_t>;

const TokenizerData& bundled_data() {
  static TokenizerData data = [] {
    TokenizerData t;
    EXPECT_TRUE(spm_model_load(bundled_model_path(), &t).ok());
    return t;
  }();
  return data;
}

const Tokenizer& bundled() {
  static Tokenizer* tokenizer = [] {
    auto* t = new Tokenizer;
    EXPECT_TRUE(t->init(bundled_data()).ok());
    return t;
  }();
  return *tokenizer;
}

Ids encode(const std::string& text, const Tokenizer& t = bundled()) {
  Ids ids;
  EXPECT_TRUE(t.encode(text, &ids).ok());
  return ids;
}

std::string decode(const Ids& ids, const Tokenizer& t = bundled()) {
  std::string out;
  EXPECT_TRUE(t.decode(ids.data(), ids.size(), &out).ok());
  return out;
}

constexpr int32_t kByte0 = 4;  // <0x00> in the bundled model

}  // namespace

TEST(Tokenizer, MatchesSentencePieceOnKnownText) {
  // Expected ids were produced by python3-sentencepiece 0.1.97 with data/tokenizer_sp1024.model.
  EXPECT_EQ(encode("hello world"), (Ids{262, 353, 944, 481, 373}));
  EXPECT_EQ(encode("  Hello,  World!  "), (Ids{984, 689, 944, 962, 379, 276, 373, 1015}));
  EXPECT_EQ(encode("h\xC3\xA9 12345"), (Ids{949, 199, 173, 940, 970, 973, 991, 996, 994}));
  EXPECT_EQ(encode("The quick brown fox."), (Ids{461, 605, 794, 282, 307, 691, 283, 944, 977, 960}));
  EXPECT_EQ(encode("\xEF\xAC\x81 \xEF\xBC\xA1\xEF\xBC\xA2\xEF\xBC\xA3\xEF\xBC\x91\xEF\xBC\x92\xEF\xBC\x93"),
            (Ids{955, 945, 318, 978, 967, 970, 973, 991}));  // "ﬁ ＡＢＣ１２３" after NFKC
  EXPECT_EQ(encode(std::string("a\0b", 3)), (Ids{943, kByte0 + 0, 961}));
  EXPECT_EQ(encode("x\xE3\x80\x80y"), (Ids{977, 344}));  // ideographic space -> "▁"
}

TEST(Tokenizer, WhitespaceOnlyAndEmptyTextGiveNoIds) {
  EXPECT_TRUE(encode("").empty());
  EXPECT_TRUE(encode("  ").empty());
  EXPECT_TRUE(encode("\t\n \r\n").empty());
  EXPECT_EQ(bundled().normalize("  a  b  "), "a\xE2\x96\x81" "b");
}

TEST(Tokenizer, InvalidUtf8BecomesOneReplacementCharacterPerByte) {
  const Ids fffd = {kByte0 + 0xEF, kByte0 + 0xBF, kByte0 + 0xBD};  // U+FFFD through byte fallback
  EXPECT_EQ(encode("hello \xFF world"), (Ids{262, 353, 944, 940, 243, 195, 193, 481, 373}));
  Ids three = fffd;
  three.insert(three.end(), fffd.begin(), fffd.end());
  three.insert(three.end(), fffd.begin(), fffd.end());
  EXPECT_EQ(encode("\xED\xA0\x80"), three);  // a UTF-16 surrogate: three bad bytes
  Ids two = fffd;
  two.insert(two.end(), fffd.begin(), fffd.end());
  EXPECT_EQ(encode("\xC0\xAF"), two);  // overlong '/'
  EXPECT_TRUE(encode("\xEF\xBF\xBD").empty());  // a real U+FFFD is valid, and NFKC here deletes it
  EXPECT_EQ(bundled().normalize("a\xF0\x9F\x98"), "a\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // truncated emoji
}

TEST(Utf8, FollowsSentencePieceRules) {
  size_t length = 0;
  EXPECT_EQ(utf8::decode("A", 1, &length), 0x41u);
  EXPECT_EQ(length, 1u);
  EXPECT_EQ(utf8::decode("\xC3\xA9", 2, &length), 0xE9u);
  EXPECT_EQ(length, 2u);
  EXPECT_EQ(utf8::decode("\xF0\x9F\x98\x80", 4, &length), 0x1F600u);
  EXPECT_EQ(length, 4u);
  EXPECT_FALSE(utf8::valid_char("\xC3", 1, &length));  // truncated
  EXPECT_EQ(length, 1u);
  EXPECT_FALSE(utf8::valid_char("\xC1\xBF", 2, &length));  // overlong
  EXPECT_FALSE(utf8::valid_char("\xE0\x80\xAF", 3, &length));
  EXPECT_FALSE(utf8::valid_char("\xED\xB0\x80", 3, &length));  // surrogate
  EXPECT_FALSE(utf8::valid_char("\xF4\x90\x80\x80", 4, &length));  // above U+10FFFF
  EXPECT_FALSE(utf8::valid_char("\xF8\x88\x80\x80", 4, &length));
  EXPECT_FALSE(utf8::valid_char("\x80", 1, &length));
  EXPECT_TRUE(utf8::valid_char("\xEF\xBF\xBD", 3, &length));  // U+FFFD itself is fine
  EXPECT_EQ(length, 3u);
  EXPECT_EQ(utf8::lead_length(0x41), 1u);
  EXPECT_EQ(utf8::lead_length(0x80), 1u);
  EXPECT_EQ(utf8::lead_length(0xC3), 2u);
  EXPECT_EQ(utf8::lead_length(0xE2), 3u);
  EXPECT_EQ(utf8::lead_length(0xFF), 4u);
}

TEST(Tokenizer, DecodeFollowsSentencePieceRules) {
  // Expected strings were produced by python3-sentencepiece 0.1.97 (▁ = 940, "▁h" = 300).
  EXPECT_EQ(decode({940, 940, 300}), "h");  // leading "▁" dropped while nothing is written
  EXPECT_EQ(decode({1, 940, 300}), "h");    // control pieces emit nothing
  EXPECT_EQ(decode({2, 1}), "");
  EXPECT_EQ(decode({3, 940, 300}), " \xE2\x81\x87   h");  // unk -> " ⁇ "
  EXPECT_EQ(decode({3, 3}), " \xE2\x81\x87  \xE2\x81\x87 ");
  EXPECT_EQ(decode({kByte0 + 0xC3, kByte0 + 0xA9}), "\xC3\xA9");  // bytes reassembled into é
  EXPECT_EQ(decode({kByte0 + 0xFF}), "\xEF\xBF\xBD");
  EXPECT_EQ(decode({kByte0 + 0xE2, kByte0 + 0x82, 300}), "\xEF\xBF\xBD\xEF\xBF\xBD h");
  EXPECT_EQ(decode({940, kByte0 + 0x41, 940}), "A ");
  EXPECT_EQ(decode({}), "");
  std::string out = "stale";
  const Ids bad1 = {262, -1}, bad2 = {1024};
  EXPECT_EQ(bundled().decode(bad1.data(), bad1.size(), &out).code(), StatusCode::invalid_argument);
  EXPECT_EQ(bundled().decode(bad2.data(), bad2.size(), &out).code(), StatusCode::invalid_argument);
}

TEST(Tokenizer, RoundTripsNormalizedText) {
  const std::string text = "Don't stop: 3.14 caf\xC3\xA9, na\xC3\xAFve \xE4\xB8\xAD\xE6\x96\x87 \xF0\x9F\x98\x80!";
  EXPECT_EQ(decode(encode(text)), text);
  EXPECT_EQ(bundled().vocab_size(), 1024);
  EXPECT_EQ(bundled().piece(940).piece, "\xE2\x96\x81");
}

TEST(Tokenizer, EncodesLongAndRandomInputsSafely) {
  const std::string long_word(200000, 'a');
  EXPECT_EQ(decode(encode(long_word)), long_word);
  std::mt19937 rng(3);
  for (int trial = 0; trial < 300; trial++) {
    std::string text(size_t(rng() % 300), '\0');
    for (char& c : text) c = char(rng());
    Ids ids;
    ASSERT_TRUE(bundled().encode(text, &ids).ok());
    for (int32_t id : ids) ASSERT_TRUE(id >= 0 && id < 1024);
    std::string out;
    ASSERT_TRUE(bundled().decode(ids.data(), ids.size(), &out).ok());
  }
}

TEST(Tokenizer, SurvivesACorruptedCharsmap) {
  std::mt19937 rng(5);
  for (int trial = 0; trial < 40; trial++) {
    TokenizerData data = bundled_data();
    std::string& blob = data.precompiled_charsmap;
    for (int f = 0; f < 200; f++) blob[4 + rng() % (blob.size() - 4)] = char(rng());
    Tokenizer t;
    if (!t.init(data).ok()) continue;
    Ids ids;
    ASSERT_TRUE(t.encode("caf\xC3\xA9 \xEF\xAC\x81 \xEF\xBC\xA1 e\xCC\x81 \xF0\x9F\x98\x80 abc \xFF", &ids).ok());
    for (int32_t id : ids) ASSERT_TRUE(id >= 0 && id < 1024);
  }
}

TEST(Tokenizer, ValidatesTheVocabulary) {
  auto init = [](const TokenizerData& data) {
    Tokenizer t;
    return t.init(data).code();
  };
  TokenizerData unigram = bundled_data();
  unigram.model_type = kModelUnigram;
  EXPECT_EQ(init(unigram), StatusCode::unsupported);
  TokenizerData flags = bundled_data();
  flags.flags |= 1u << 20;
  EXPECT_EQ(init(flags), StatusCode::bad_format);
  TokenizerData no_unk = bundled_data();
  no_unk.pieces[3].type = PieceType::normal;
  no_unk.unk_id = -1;
  EXPECT_EQ(init(no_unk), StatusCode::bad_format);
  TokenizerData empty_piece = bundled_data();
  empty_piece.pieces[500].piece.clear();
  EXPECT_EQ(init(empty_piece), StatusCode::bad_format);
  TokenizerData duplicate = bundled_data();
  duplicate.pieces[500].piece = duplicate.pieces[501].piece;
  EXPECT_EQ(init(duplicate), StatusCode::bad_format);
  TokenizerData missing_byte = bundled_data();
  missing_byte.pieces[kByte0 + 7].piece = "<0xZZ>";
  EXPECT_EQ(init(missing_byte), StatusCode::bad_format);
  TokenizerData no_fallback = bundled_data();
  no_fallback.flags &= ~uint32_t(kTokByteFallback);
  EXPECT_EQ(init(no_fallback), StatusCode::bad_format);  // byte pieces without byte fallback
  TokenizerData broken_map = bundled_data();
  broken_map.precompiled_charsmap = "xyz";
  EXPECT_EQ(init(broken_map), StatusCode::bad_format);
  Tokenizer unready;
  Ids ids;
  EXPECT_EQ(unready.encode("a", &ids).code(), StatusCode::invalid_argument);
}

TEST(Tokenizer, SameIdsAfterTheGolfTokenizerSection) {
  ByteWriter w;
  tokenizer_encode(bundled_data(), &w);
  TokenizerData decoded;
  ASSERT_TRUE(tokenizer_decode(w.buffer().data(), w.size(), &decoded).ok());
  Tokenizer t;
  ASSERT_TRUE(t.init(decoded).ok());
  const std::string text = "Section 5(b) of the Act \xE2\x80\x94 \xEF\xAC\x81nal: 1,234 caf\xC3\xA9s \xFF";
  EXPECT_EQ(encode(text, t), encode(text));
}

TEST(Tokenizer, IsSafeToShareAcrossThreads) {
  std::string text;
  for (int i = 0; i < 2000; i++) text += "word" + std::to_string(i) + " caf\xC3\xA9 ";
  const Ids expected = encode(text);
  Ids a, b;
  std::thread ta([&] { EXPECT_TRUE(bundled().encode(text, &a).ok()); });
  std::thread tb([&] { EXPECT_TRUE(bundled().encode(text, &b).ok()); });
  ta.join();
  tb.join();
  EXPECT_EQ(a, expected);
  EXPECT_EQ(b, expected);
}

TEST(Tokenizer, CorruptedModelsNeverCrashTheTokenizer) {
  const std::string model = read_file(bundled_model_path());
  std::mt19937 rng(9);
  int usable = 0;
  for (int trial = 0; trial < 150; trial++) {
    std::string bad = model;
    // Flip bytes in the pieces (the first ~20 KB), where a flip still parses more often than not.
    for (int f = 0; f < 4; f++) bad[rng() % 20000] = char(rng());
    TokenizerData data;
    if (!spm_model_parse(bytes_of(bad), bad.size(), &data).ok()) continue;
    data.model_type = kModelBpe;
    Tokenizer t;
    if (!t.init(data).ok()) continue;
    usable++;
    Ids ids;
    const Status s = t.encode("The caf\xC3\xA9 \xEF\xAC\x81 <s> \xFF 12345 \xE2\x96\x81x", &ids);
    if (!s.ok()) continue;  // e.g. a flipped piece now spells a control symbol, as SentencePiece refuses too
    for (int32_t id : ids) ASSERT_TRUE(id >= 0 && id < t.vocab_size());
    std::string out;
    ASSERT_TRUE(t.decode(ids.data(), ids.size(), &out).ok());
  }
  EXPECT_GT(usable, 0);
}
