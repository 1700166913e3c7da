// byte_count.h: how many bytes of text each target token stands for, by the challenge's rule (challenge.md §3.1):
// a piece's UTF-8 bytes without its leading "▁", plus 1 for that space unless the previous token is a boundary
// (control, unknown, unused); byte pieces count 1; boundaries count 0. golf-eval also counts the raw UTF-8 bytes of
// the documents (the ground truth) and reports where the two differ.
#pragma once
#include <cstdint>
#include <vector>

#include "tokenizer_data.h"

namespace golf {

class ByteCounter {
 public:
  // Table for ids [0, vocab_size); ids beyond the tokenizer's pieces are boundaries with 0 bytes (as the challenge).
  ByteCounter(const TokenizerData& tokenizer, int vocab_size);
  // Bytes credited to `target` when it follows `prev`.
  int bytes(int prev, int target) const {
    return base_bytes_[target] + (has_space_[target] && !is_boundary_[prev] ? 1 : 0);
  }
  int vocab_size() const { return (int)base_bytes_.size(); }

 private:
  std::vector<int16_t> base_bytes_;  // (vocab)
  std::vector<uint8_t> has_space_;   // (vocab)
  std::vector<uint8_t> is_boundary_; // (vocab)
};

}  // namespace golf
