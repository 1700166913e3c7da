// test_tokenize.cpp: document splitting (JSON lines, paragraphs, lines, CRLF, no final newline) and the tokenize
// pipeline with the bundled tokenizer: [BOS] + encode(text) per document, the val/train split, shard sizes,
// byte-identical output for any thread count, the manifest's counts and digests, --max-docs, stale shards.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "data_test_util.h"
#include "documents.h"
#include "golf_writer.h"
#include "loader.h"
#include "model_config.h"
#include "sha256.h"
#include "spm_model.h"
#include "tokenize.h"
#include "tokenizer.h"

namespace golf {
namespace data {
namespace {

using testing_util::read_text_file;
using testing_util::TempDir;
using testing_util::write_text_file;

const std::string kTokenizer = std::string(GOLF_SOURCE_DIR) + "/data/tokenizer_sp1024.model";

std::vector<std::string> read_documents(const std::string& path, InputFormat format) {
  DocumentReader reader;
  EXPECT_TRUE(reader.open(path, format).ok());
  DocumentBatch batch;
  bool end = false;
  while (!end) {
    // Tiny batches: one document at a time exercises the resumption between calls.
    const Status s = reader.read(1, 1, &batch, &end);
    EXPECT_TRUE(s.ok()) << s.message();
    if (!s.ok()) break;
  }
  std::vector<std::string> docs;
  for (size_t i = 0; i < batch.docs.size(); i++) docs.emplace_back(batch.doc(i));
  EXPECT_EQ(reader.documents(), docs.size());
  const std::string bytes = read_text_file(path);
  EXPECT_EQ(reader.sha256_hex(), sha256_hex(bytes.data(), bytes.size()));
  return docs;
}

TEST(Documents, PlainTextParagraphsAndLines) {
  TempDir dir;
  write_text_file(dir.file("a.txt"), "\n\nfirst line\r\nsecond line\n \t\nthird\n\n\n\nlast one\nno newline");
  EXPECT_EQ(read_documents(dir.file("a.txt"), InputFormat::text_paragraphs),
            std::vector<std::string>({"first line\nsecond line", "third", "last one\nno newline"}));
  EXPECT_EQ(read_documents(dir.file("a.txt"), InputFormat::text_lines),
            std::vector<std::string>({"first line", "second line", "third", "last one", "no newline"}));
  write_text_file(dir.file("empty.txt"), "");
  EXPECT_TRUE(read_documents(dir.file("empty.txt"), InputFormat::text_paragraphs).empty());
}

TEST(Documents, JsonLinesSkipBlankLinesAndNameBadOnes) {
  TempDir dir;
  write_text_file(dir.file("a.jsonl"), "{\"text\": \"a\\nb\"}\n\n   \n{\"id\": 1, \"text\": \"\"}\r\n{\"text\":\"z\"}");
  const auto docs = read_documents(dir.file("a.jsonl"), InputFormat::jsonl);
  ASSERT_EQ(docs.size(), 3u);
  std::string text;
  ASSERT_TRUE(extract_text(docs[0], "text", "a.jsonl:1", &text).ok());
  EXPECT_EQ(text, "a\nb");
  ASSERT_TRUE(extract_text(docs[1], "text", "a.jsonl:4", &text).ok());
  EXPECT_EQ(text, "");
  Status s = extract_text(docs[1], "body", "a.jsonl:4", &text);
  EXPECT_NE(s.message().find("a.jsonl:4"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("--text-field"), std::string::npos) << s.message();
  EXPECT_FALSE(extract_text("{not json", "text", "x:1", &text).ok());
  EXPECT_FALSE(extract_text("[1, 2]", "text", "x:1", &text).ok());
  EXPECT_FALSE(extract_text("{\"text\": 5}", "text", "x:1", &text).ok());
  EXPECT_EQ(input_format_for("x.jsonl", false), InputFormat::jsonl);
  EXPECT_EQ(input_format_for("x.txt", true), InputFormat::text_lines);
  EXPECT_EQ(input_format_for("books", false), InputFormat::text_paragraphs);
}

class TokenizeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TokenizerData data;
    const Status s = spm_model_load(kTokenizer, &data);
    ASSERT_TRUE(s.ok()) << s.message();
    ASSERT_TRUE(tokenizer_.init(data).ok());
    // 40 documents of varied length, one empty, one with non-ASCII text.
    std::string jsonl;
    for (int i = 0; i < 40; i++) {
      std::string text = "Document " + std::to_string(i) + ":";
      for (int w = 0; w < (i * 37) % 150; w++) text += " word" + std::to_string(w * i % 97);
      if (i == 5) text = "";
      if (i == 6) text = "caf\xC3\xA9 \xE2\x80\x94 na\xC3\xAFve 123456 \\ \"quoted\"\n\ttab";
      texts_.push_back(text);
      nlohmann_escape(text, &jsonl);
    }
    write_text_file(dir_.file("corpus.jsonl"), jsonl);
  }

  static void nlohmann_escape(const std::string& text, std::string* out) {
    *out += "{\"id\": 0, \"text\": \"";
    for (char c : text) {
      if (c == '"' || c == '\\') {
        *out += '\\';
        *out += c;
      } else if (c == '\n') {
        *out += "\\n";
      } else if (c == '\t') {
        *out += "\\t";
      } else {
        *out += c;
      }
    }
    *out += "\"}\n";
  }

  std::vector<uint16_t> expected_tokens(size_t first, size_t last) {
    std::vector<uint16_t> out;
    std::vector<int32_t> ids;
    for (size_t i = first; i < last; i++) {
      EXPECT_TRUE(tokenizer_.encode(texts_[i], &ids).ok());
      out.push_back(1);
      for (int32_t id : ids) out.push_back(uint16_t(id));
    }
    return out;
  }

  TokenizeOptions options(const std::string& out, int threads) {
    TokenizeOptions o;
    o.tokenizer_path = kTokenizer;
    o.inputs = {dir_.file("corpus.jsonl")};
    o.out_dir = out;
    o.val_docs = 7;
    o.shard_tokens = 500;
    o.threads = threads;
    return o;
  }

  TempDir dir_;
  Tokenizer tokenizer_;
  std::vector<std::string> texts_;
};

TEST_F(TokenizeTest, DocumentsSplitsShardsAndManifest) {
  Manifest m;
  const Status s = tokenize_corpus(options(dir_.file("out"), 3), &m);
  ASSERT_TRUE(s.ok()) << s.message();
  std::vector<uint16_t> val, train;
  ASSERT_TRUE(read_shard_tokens(shard_glob(dir_.file("out"), "val"), &val).ok());
  ASSERT_TRUE(read_shard_tokens(shard_glob(dir_.file("out"), "train"), &train).ok());
  EXPECT_EQ(val, expected_tokens(0, 7));
  EXPECT_EQ(train, expected_tokens(7, 40));
  EXPECT_EQ(m.val.documents, 7u);
  EXPECT_EQ(m.train.documents, 33u);
  EXPECT_EQ(m.val.tokens, val.size());
  EXPECT_EQ(m.train.tokens, train.size());
  uint64_t val_bytes = 0;
  for (size_t i = 0; i < 7; i++) val_bytes += texts_[i].size();
  EXPECT_EQ(m.val.bytes, val_bytes);
  // Full shards of 500 tokens, the last of each split holding the rest.
  for (const SplitRecord* split : {&m.val, &m.train}) {
    for (size_t i = 0; i < split->shards.size(); i++) {
      if (i + 1 < split->shards.size()) {
        EXPECT_EQ(split->shards[i].tokens, 500u);
      }
      const std::string bytes = read_text_file(dir_.file("out/" + split->shards[i].name));
      EXPECT_EQ(split->shards[i].sha256, sha256_hex(bytes.data(), bytes.size()));
    }
  }
  EXPECT_GT(m.train.shards.size(), 2u);
  EXPECT_EQ(m.train.shards[0].name, "fineweb_train_000000.bin");
  const std::string corpus = read_text_file(dir_.file("corpus.jsonl"));
  ASSERT_EQ(m.inputs.size(), 1u);
  EXPECT_EQ(m.inputs[0].sha256, sha256_hex(corpus.data(), corpus.size()));
  EXPECT_EQ(m.inputs[0].bytes, corpus.size());
  EXPECT_EQ(m.inputs[0].documents, 40u);
  const std::string model = read_text_file(kTokenizer);
  EXPECT_EQ(m.tokenizer_sha256, sha256_hex(model.data(), model.size()));
  // The manifest on disk says the same.
  Manifest on_disk;
  ASSERT_TRUE(read_manifest(dir_.file("out/manifest.json"), &on_disk).ok());
  EXPECT_EQ(manifest_to_json(on_disk), manifest_to_json(m));
}

TEST_F(TokenizeTest, OutputIsIdenticalForAnyThreadCount) {
  Manifest one, many;
  ASSERT_TRUE(tokenize_corpus(options(dir_.file("one"), 1), &one).ok());
  ASSERT_TRUE(tokenize_corpus(options(dir_.file("many"), 7), &many).ok());
  ASSERT_EQ(one.train.shards.size(), many.train.shards.size());
  for (size_t i = 0; i < one.train.shards.size(); i++) {
    EXPECT_EQ(one.train.shards[i].sha256, many.train.shards[i].sha256);
  }
  ASSERT_EQ(one.val.shards.size(), many.val.shards.size());
  EXPECT_EQ(one.val.shards[0].sha256, many.val.shards[0].sha256);
}

TEST_F(TokenizeTest, MaxDocsAndStaleShards) {
  TokenizeOptions o = options(dir_.file("out"), 2);
  o.max_docs = 10;
  Manifest m;
  ASSERT_TRUE(tokenize_corpus(o, &m).ok());
  EXPECT_EQ(m.val.documents + m.train.documents, 10u);
  EXPECT_EQ(m.inputs[0].documents, 10u);
  const std::string corpus = read_text_file(dir_.file("corpus.jsonl"));
  EXPECT_EQ(m.inputs[0].sha256, sha256_hex(corpus.data(), corpus.size())) << "the hash covers the whole file";
  // Running again into the same directory must not silently mix old and new shards.
  Status s = tokenize_corpus(o, &m);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("--overwrite"), std::string::npos) << s.message();
  o.overwrite = true;
  o.shard_tokens = 100000;
  ASSERT_TRUE(tokenize_corpus(o, &m).ok());
  std::vector<std::string> shards;
  ASSERT_TRUE(list_shards(shard_glob(dir_.file("out"), "train"), &shards).ok());
  EXPECT_EQ(shards.size(), 1u);
}

TEST_F(TokenizeTest, PlainTextAndErrors) {
  write_text_file(dir_.file("book.txt"), "Para one.\nStill one.\n\nPara two.\n");
  TokenizeOptions o = options(dir_.file("txt"), 2);
  o.inputs = {dir_.file("book.txt")};
  o.val_docs = 0;
  Manifest m;
  ASSERT_TRUE(tokenize_corpus(o, &m).ok());
  std::vector<uint16_t> train;
  ASSERT_TRUE(read_shard_tokens(shard_glob(dir_.file("txt"), "train"), &train).ok());
  texts_ = {"Para one.\nStill one.", "Para two."};
  EXPECT_EQ(train, expected_tokens(0, 2));
  EXPECT_EQ(m.val.shards.size(), 0u);

  write_text_file(dir_.file("bad.jsonl"), "{\"text\": \"ok\"}\n{\"txt\": \"no\"}\n");
  o.inputs = {dir_.file("bad.jsonl")};
  o.out_dir = dir_.file("bad");
  Status s = tokenize_corpus(o, &m);
  EXPECT_NE(s.message().find("bad.jsonl:2"), std::string::npos) << s.message();
  o.inputs = {dir_.file("missing.jsonl")};
  s = tokenize_corpus(o, &m);
  EXPECT_NE(s.message().find("missing.jsonl"), std::string::npos) << s.message();
  o.inputs = {dir_.file("book.txt")};
  o.tokenizer_path = dir_.file("book.txt");
  s = tokenize_corpus(o, &m);
  EXPECT_NE(s.message().find("book.txt"), std::string::npos) << s.message();
}

TEST_F(TokenizeTest, TokenizerFromAGolfFileGivesTheSameShards) {
  TokenizerData data;
  ASSERT_TRUE(spm_model_load(kTokenizer, &data).ok());
  GolfWriter writer;
  model_config_to_kv(ModelConfig(), &writer.config());
  writer.set_tokenizer(data);
  Status s = writer.write_file(dir_.file("model.golf"));
  ASSERT_TRUE(s.ok()) << s.message();
  Manifest from_model, from_golf;
  ASSERT_TRUE(tokenize_corpus(options(dir_.file("a"), 2), &from_model).ok());
  TokenizeOptions o = options(dir_.file("b"), 2);
  o.tokenizer_path = dir_.file("model.golf");
  s = tokenize_corpus(o, &from_golf);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(from_model.train.shards.size(), from_golf.train.shards.size());
  for (size_t i = 0; i < from_model.train.shards.size(); i++) {
    EXPECT_EQ(from_model.train.shards[i].sha256, from_golf.train.shards[i].sha256);
  }
  GolfWriter bare;
  model_config_to_kv(ModelConfig(), &bare.config());
  ASSERT_TRUE(bare.write_file(dir_.file("bare.golf")).ok());
  o.tokenizer_path = dir_.file("bare.golf");
  o.overwrite = true;
  s = tokenize_corpus(o, &from_golf);
  EXPECT_NE(s.message().find("no TOKN section"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace data
}  // namespace golf
