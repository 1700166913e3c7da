// train_tokenizer.h: trains a SentencePiece BPE tokenizer with the challenge's recipe (challenge.md §2.3) through
// Debian's libsentencepiece: model_type=bpe, character_coverage=0.999, byte_fallback, split_digits, nmt_nfkc,
// no dummy prefix, pad/bos/eos/unk = 0/1/2/3, hard_vocab_limit=false. Documents are fed whole, as the challenge
// feeds them (NUL -> space, surrounding whitespace stripped, empty ones dropped), and the first exclude_val_docs
// documents of every input are never seen: tokenize sends the first val_docs documents to validation.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "status.h"
#include "tokenize.h"

namespace golf {
namespace data {

struct TrainTokenizerOptions {
  std::vector<std::string> inputs;
  int vocab_size = 0;
  std::string out_prefix;  // writes <out_prefix>.model and <out_prefix>.vocab
  uint64_t max_docs = 0;   // training documents to use after the exclusion; 0: all
  uint64_t exclude_val_docs = kDefaultValDocs;
  std::string text_field = "text";
  bool doc_per_line = false;
  // Documents longer than this many bytes are skipped by SentencePiece (its default, 4192, would drop most web
  // pages; the challenge's script kept that default).
  uint64_t max_sentence_length = 100000;
  int threads = 0;  // 0: one per core
  // When not empty, SentencePiece's log (it writes a lot to stderr) goes to this file instead while training.
  std::string log_path;
};

struct TrainTokenizerReport {
  uint64_t documents_excluded = 0;  // skipped as validation documents
  uint64_t documents_used = 0;      // handed to SentencePiece
  uint64_t documents_too_long = 0;  // of those, longer than max_sentence_length (SentencePiece skips them)
  uint64_t bytes_used = 0;
  int pieces = 0;                   // vocabulary size of the trained model (may be below vocab_size)
  int space_id = -1;                // id of the piece "▁", -1 when it has none
  std::string model_path, vocab_path;
  bool sentencepiece_failed = false;  // the error came from SentencePiece itself: its log says more
};

Status train_tokenizer(const TrainTokenizerOptions& options, TrainTokenizerReport* report);

// The last `max_lines` lines of a text file ("" when unreadable): shows the end of SentencePiece's log on failure.
std::string tail_of_file(const std::string& path, int max_lines);

}  // namespace data
}  // namespace golf
