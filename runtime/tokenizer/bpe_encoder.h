// bpe_encoder.h: SentencePiece's BPE segmentation of normalized text (bpe::Model::Encode plus the unknown-piece
// handling of SentencePieceProcessor::Encode), reproduced id for id: repeatedly merge the adjacent pair whose
// merged piece has the highest score, the leftmost pair on ties; unknown characters become byte pieces under
// byte fallback, else one unknown id per run of unknown characters.
#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

#include "piece_index.h"
#include "status.h"
#include "vocab.h"

namespace golf {

class BpeEncoder {
 public:
  // `vocab` must outlive the encoder (the Tokenizer owns both).
  Status init(const Vocab* vocab, bool treat_whitespace_as_suffix);
  // Appends the ids of `normalized` (the Normalizer's output) to *ids. Fails only on text SentencePiece also refuses
  // (a piece that turns out to be a control symbol) or text over 2 GiB.
  Status encode(std::string_view normalized, std::vector<int32_t>* ids) const;

 private:
  struct Symbol;
  struct Candidate;
  class Workspace;

  // The id of the ordinary piece spelled by symbols a and b side by side, or -1.
  int32_t merged_id(std::string_view text, const Symbol& a, const Symbol& b) const;
  void merge_range(std::string_view text, Workspace* w, int32_t first, int32_t last) const;
  Status emit(std::string_view text, Workspace* w, std::vector<int32_t>* ids) const;

  const Vocab* vocab_ = nullptr;
  PairIndex pairs_;
  int32_t ascii_ids_[128] = {};      // ordinary id of each one-byte piece, -1 if none
  bool suffix_mode_ = false;         // treat_whitespace_as_suffix: "▁" ends words instead of starting them
  bool split_words_ = false;         // no merge can cross a word boundary, so words can be merged one by one
};

}  // namespace golf
