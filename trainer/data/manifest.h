// manifest.h: DIR/manifest.json, the record golf-data tokenize leaves beside its shards: which tokenizer and which
// inputs (with SHA-256 and sizes) made them, the options, and per split the documents, tokens, text bytes and every
// shard's name, token count and SHA-256. `golf-data inspect DIR --verify` checks the shards against it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "status.h"

namespace golf {
namespace data {

struct ShardRecord {
  std::string name;  // file name inside the output directory
  uint64_t tokens = 0;
  std::string sha256;  // of the whole file, header included
};

struct SplitRecord {
  uint64_t documents = 0, tokens = 0;
  uint64_t bytes = 0;  // UTF-8 bytes of the documents' text (before tokenization; BOS excluded)
  std::vector<ShardRecord> shards;
};

struct InputRecord {
  std::string path;
  std::string format;  // "jsonl", "text-paragraphs" or "text-lines"
  uint64_t bytes = 0;  // the file's size
  std::string sha256;  // of the whole file, even when --max-docs stopped early
  uint64_t documents = 0;  // documents taken from it
};

struct Manifest {
  std::string tool;  // "golf-data tokenize <version>"
  std::string tokenizer_path, tokenizer_sha256;
  int vocab_size = 0, bos_id = -1;
  std::vector<InputRecord> inputs;
  // Options that shaped the output.
  std::string prefix = "fineweb", text_field = "text";
  uint64_t val_docs = 0, shard_tokens = 0, max_docs = 0;  // max_docs 0: no limit
  SplitRecord val, train;
};

std::string manifest_to_json(const Manifest& manifest);
Status manifest_from_json(const std::string& text, const std::string& name, Manifest* manifest);
Status write_manifest(const std::string& path, const Manifest& manifest);
Status read_manifest(const std::string& path, Manifest* manifest);

}  // namespace data
}  // namespace golf
