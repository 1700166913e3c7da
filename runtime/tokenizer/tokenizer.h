// tokenizer.h: golf::Tokenizer, a SentencePiece-compatible BPE tokenizer with no SentencePiece dependency. For any
// input bytes (invalid UTF-8 included) encode() returns exactly the ids SentencePiece's Encode returns, and
// decode() the text its Decode returns. Built from TokenizerData (a .golf TOKN section or a parsed .model).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bpe_encoder.h"
#include "normalizer.h"
#include "status.h"
#include "tokenizer_data.h"
#include "vocab.h"

namespace golf {

class Tokenizer {
 public:
  Tokenizer() = default;
  // The parts point at each other; copying would leave them pointing into the source.
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  // Validates the data as SentencePiece validates a model: BPE only (unigram, word, char -> unsupported); unknown
  // flag bits, a broken charsmap or a malformed vocabulary -> bad_format.
  Status init(const TokenizerData& data);
  bool ready() const { return ready_; }

  // Replaces *ids with the ids of text. No BOS/EOS is added: the caller adds them.
  Status encode(std::string_view text, std::vector<int32_t>* ids) const;
  // Replaces *out with SentencePiece's decoding of ids[0, n): "▁" -> space, leading "▁" dropped while nothing has
  // been written yet (dummy prefix / stripped whitespace), byte pieces reassembled (bad UTF-8 -> U+FFFD per byte),
  // control pieces -> nothing, unknown -> unk_surface. An id outside [0, vocab_size) -> invalid_argument.
  Status decode(const int32_t* ids, size_t n, std::string* out) const;
  // Appends the bytes id stands for in the middle of decoded text, as decode() writes them: a byte piece's raw byte,
  // nothing for control, unk_surface for unknown, else the piece with "▁" as a space. Returns true for a byte piece:
  // decode() checks a run of consecutive byte pieces as UTF-8 together, and any other piece ends the run. id must be
  // in [0, vocab_size). For streaming (runtime/capi/piece_text.h).
  bool append_piece_bytes(int32_t id, std::string* out) const;
  // SentencePiece's normalized form of text (what the BPE pieces spell, "▁" for spaces).
  std::string normalize(std::string_view text) const;

  int vocab_size() const { return vocab_.size(); }
  const TokenizerPiece& piece(int id) const { return vocab_.piece(id); }
  const TokenizerData& data() const { return data_; }

 private:
  TokenizerData data_;
  Vocab vocab_;
  Normalizer normalizer_;
  BpeEncoder encoder_;
  bool ready_ = false;
};

// Builds a Tokenizer from data and drops it: the runtime's part of validate_model_file (format/validate.h) for
// callers that only check a file (golf-inspect); Model::load keeps the tokenizer it builds instead.
Status tokenizer_check(const TokenizerData& data);

}  // namespace golf
