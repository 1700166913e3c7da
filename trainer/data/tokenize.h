// tokenize.h: corpus -> challenge shards, the engine of `golf-data tokenize`. Every document becomes
// [BOS] + encode(text) (no EOS, as the challenge writes them); the first val_docs documents of the concatenated
// inputs go to val shards, the rest to train shards (val and train never share a shard); shards hold shard_tokens
// tokens except the last of each split, and documents run across shard boundaries. Documents are tokenized on
// worker threads and written strictly in input order, so the output is byte-identical for any thread count.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "manifest.h"
#include "status.h"

namespace golf {
namespace data {

// The challenge's NUM_VAL_DOCS; train-tokenizer's --exclude-val-docs default matches it.
constexpr uint64_t kDefaultValDocs = 50000;
// The challenge's SHARD_SIZE.
constexpr uint64_t kDefaultShardTokens = 100000000;

struct TokenizeProgress {
  uint64_t documents = 0;
  uint64_t input_bytes_done = 0;   // input bytes whose documents are written
  uint64_t input_bytes_total = 0;  // all inputs' sizes
  uint64_t max_docs = 0;           // the --max-docs limit (0: none), for estimating the end
  double seconds = 0;
  bool finished = false;
};

struct TokenizeOptions {
  std::string tokenizer_path;       // SentencePiece .model or .golf
  std::vector<std::string> inputs;  // read in order, as one corpus
  std::string out_dir;              // created if missing
  uint64_t val_docs = kDefaultValDocs;
  uint64_t shard_tokens = kDefaultShardTokens;
  std::string text_field = "text";
  uint64_t max_docs = 0;  // 0: all documents
  bool doc_per_line = false;
  std::string prefix = "fineweb";
  int threads = 0;  // tokenizing threads; 0: one per core
  // Existing <prefix>_{train,val}_*.bin in out_dir are an error unless overwrite, which deletes them first (stale
  // shards would otherwise join the new ones under the loaders' glob).
  bool overwrite = false;
  // Called from the writing thread about five times a second and once at the end.
  std::function<void(const TokenizeProgress&)> progress;
};

// Tokenizes the inputs, writes the shards and out_dir/manifest.json, and fills *manifest with what was written.
Status tokenize_corpus(const TokenizeOptions& options, Manifest* manifest);

}  // namespace data
}  // namespace golf
