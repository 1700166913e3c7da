// test_spm_model.cpp: the hand-written SentencePiece .model (protobuf) parser: the bundled model's contents,
// protobuf defaults and merging, unknown fields, and truncated or corrupted bytes (errors, never a crash).
#include <gtest/gtest.h>

#include <random>

#include "spm_model.h"
#include "tokenizer_test_util.h"

using namespace golf;
using namespace golf_test;

TEST(SpmModel, ReadsTheBundledModel) {
  TokenizerData t;
  ASSERT_TRUE(spm_model_load(bundled_model_path(), &t).ok());
  EXPECT_EQ(t.model_type, kModelBpe);
  ASSERT_EQ(t.pieces.size(), 1024u);
  EXPECT_EQ(t.pad_id, 0);
  EXPECT_EQ(t.bos_id, 1);
  EXPECT_EQ(t.eos_id, 2);
  EXPECT_EQ(t.unk_id, 3);
  EXPECT_EQ(t.pieces[3].type, PieceType::unknown);
  EXPECT_EQ(t.pieces[1].type, PieceType::control);
  EXPECT_EQ(t.pieces[4].piece, "<0x00>");
  EXPECT_EQ(t.pieces[4].type, PieceType::byte);
  EXPECT_EQ(t.pieces[259].piece, "<0xFF>");
  EXPECT_EQ(t.pieces[940].piece, "\xE2\x96\x81");
  EXPECT_EQ(t.normalizer_name, "nmt_nfkc");
  EXPECT_FALSE(t.precompiled_charsmap.empty());
  EXPECT_TRUE(t.has(kTokByteFallback));
  EXPECT_FALSE(t.has(kTokAddDummyPrefix));
  EXPECT_TRUE(t.has(kTokRemoveExtraWhitespaces));
  EXPECT_TRUE(t.has(kTokEscapeWhitespaces));
  EXPECT_TRUE(t.has(kTokSplitDigits));
  EXPECT_FALSE(t.has(kTokTreatWhitespaceAsSuffix));
  EXPECT_EQ(t.unk_surface, " \xE2\x81\x87 ");
  // BPE scores fall with the merge rank.
  EXPECT_GT(t.pieces[300].score, t.pieces[900].score);
}

TEST(SpmModel, AbsentFieldsTakeTheProtoDefaults) {
  const std::string model = piece_field("<unk>", 0, 2) + piece_field("a", -1, 1) + field_bytes(2, "") +
                            field_bytes(3, "");
  TokenizerData t;
  ASSERT_TRUE(spm_model_parse(bytes_of(model), model.size(), &t).ok());
  EXPECT_EQ(t.model_type, kModelUnigram);
  EXPECT_EQ(t.max_piece_length, 16u);
  EXPECT_TRUE(t.has(kTokAddDummyPrefix));
  EXPECT_TRUE(t.has(kTokRemoveExtraWhitespaces));
  EXPECT_TRUE(t.has(kTokEscapeWhitespaces));
  EXPECT_TRUE(t.has(kTokSplitByWhitespace));
  EXPECT_TRUE(t.has(kTokSplitByUnicodeScript));
  EXPECT_TRUE(t.has(kTokSplitByNumber));
  EXPECT_FALSE(t.has(kTokByteFallback));
  EXPECT_FALSE(t.has(kTokSplitDigits));
  EXPECT_EQ(t.unk_surface, " \xE2\x81\x87 ");
  EXPECT_EQ(t.unk_id, 0);
  EXPECT_EQ(t.bos_id, -1);  // no "<s>" piece
  EXPECT_EQ(t.pieces[1].type, PieceType::normal);
  EXPECT_EQ(t.pieces[1].score, -1.0f);
}

TEST(SpmModel, LaterFieldsWinAndSpecsMerge) {
  std::string model = read_file(bundled_model_path());
  model += field_bytes(3, field_varint(3, 1));                        // add_dummy_prefix = true
  model += field_bytes(2, field_varint(24, 1) + field_varint(3, 1));  // suffix whitespace, model_type unigram
  model += field_bytes(2, field_bytes(44, "?"));                      // unk_surface
  TokenizerData t;
  ASSERT_TRUE(spm_model_parse(bytes_of(model), model.size(), &t).ok());
  EXPECT_TRUE(t.has(kTokAddDummyPrefix));
  EXPECT_TRUE(t.has(kTokTreatWhitespaceAsSuffix));
  EXPECT_TRUE(t.has(kTokByteFallback));  // from the first trainer_spec, untouched by the second
  EXPECT_EQ(t.model_type, kModelUnigram);
  EXPECT_EQ(t.unk_surface, "?");
  EXPECT_FALSE(t.precompiled_charsmap.empty());
}

TEST(SpmModel, SkipsUnknownFieldsOfEveryWireType) {
  const std::string base = read_file(bundled_model_path());
  std::string model = base;
  model += field_varint(99, 12345);
  model += varint((100u << 3) | 1) + std::string(8, 'x');  // fixed64
  model += field_bytes(101, "opaque");
  model += varint((102u << 3) | 5) + std::string(4, 'y');  // fixed32
  model += varint((103u << 3) | 3) + field_varint(1, 7) + varint((103u << 3) | 4);  // a group
  model += field_bytes(4, field_bytes(1, field_bytes(1, "in") + field_bytes(2, "out")));  // self_test_data
  TokenizerData a, b;
  ASSERT_TRUE(spm_model_parse(bytes_of(base), base.size(), &a).ok());
  ASSERT_TRUE(spm_model_parse(bytes_of(model), model.size(), &b).ok());
  ASSERT_EQ(a.pieces.size(), b.pieces.size());
  EXPECT_EQ(a.flags, b.flags);
  EXPECT_EQ(a.pieces[500].piece, b.pieces[500].piece);
}

TEST(SpmModel, RejectsMalformedWireData) {
  const std::string base = piece_field("<unk>", 0, 2);
  auto parse = [](const std::string& bytes) {
    TokenizerData t;
    return spm_model_parse(bytes_of(bytes), bytes.size(), &t);
  };
  ASSERT_TRUE(parse(base).ok());
  EXPECT_EQ(parse(base + std::string(11, '\x80')).code(), StatusCode::bad_format);             // endless varint
  EXPECT_EQ(parse(base + varint((5u << 3) | 2) + varint(100) + "ab").code(), StatusCode::bad_format);  // too long
  EXPECT_EQ(parse(base + varint(0)).code(), StatusCode::bad_format);                            // field 0
  EXPECT_EQ(parse(base + varint((5u << 3) | 6)).code(), StatusCode::bad_format);                // wire type 6
  EXPECT_EQ(parse(base + varint((5u << 3) | 4)).code(), StatusCode::bad_format);                // stray end group
  EXPECT_EQ(parse(base + varint((5u << 3) | 3) + varint((6u << 3) | 4)).code(), StatusCode::bad_format);
  EXPECT_EQ(parse(base + varint((5u << 3) | 5) + "ab").code(), StatusCode::bad_format);         // short fixed32
  EXPECT_EQ(parse(base + varint((5u << 3) | 1) + "abc").code(), StatusCode::bad_format);        // short fixed64
  std::string deep = base;
  for (int i = 0; i < 100000; i++) deep += varint((7u << 3) | 3);  // groups nested far too deep
  EXPECT_EQ(parse(deep).code(), StatusCode::bad_format);
  EXPECT_EQ(parse("").code(), StatusCode::bad_format);  // no pieces
  EXPECT_EQ(parse(field_bytes(1, field_bytes(1, "x") + field_fixed32(2, NAN))).code(), StatusCode::bad_format);
  // A bad field inside a nested message is reported too.
  EXPECT_EQ(parse(base + field_bytes(2, varint((3u << 3) | 2) + varint(9))).code(), StatusCode::bad_format);
}

TEST(SpmModel, TruncatedModelsNeverCrash) {
  const std::string model = read_file(bundled_model_path());
  ASSERT_GT(model.size(), 1000u);
  size_t ok = 0, failed = 0;
  for (size_t length = 0; length < model.size(); length += (length < 3000 ? 1 : 211)) {
    TokenizerData t;
    const Status s = spm_model_parse(bytes_of(model), length, &t);
    if (s.ok()) {
      ok++;
      EXPECT_LE(t.pieces.size(), 1024u);
    } else {
      failed++;
      EXPECT_EQ(s.code(), StatusCode::bad_format);
    }
  }
  EXPECT_GT(failed, 0u);
  EXPECT_GT(ok, 0u);  // a cut between two fields is a valid, shorter message
}

TEST(SpmModel, CorruptedModelsNeverCrash) {
  const std::string model = read_file(bundled_model_path());
  std::mt19937 rng(7);
  for (int trial = 0; trial < 400; trial++) {
    std::string bad = model;
    const int flips = 1 + int(rng() % 8);
    for (int f = 0; f < flips; f++) bad[rng() % bad.size()] = char(rng());
    TokenizerData t;
    const Status s = spm_model_parse(bytes_of(bad), bad.size(), &t);
    if (s.ok()) {
      EXPECT_FALSE(t.pieces.empty());
    }
  }
}

TEST(SpmModel, LoadReportsMissingFiles) {
  TokenizerData t;
  EXPECT_EQ(spm_model_load("/nonexistent/dir/x.model", &t).code(), StatusCode::io_error);
}
