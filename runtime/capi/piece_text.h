// piece_text.h: turns generated token ids into text as they stream out: each piece's bytes ("▁" as a space, byte
// pieces as their byte, control pieces as nothing, unknown as the tokenizer's unk surface), released only as whole,
// valid UTF-8 characters so a callback never sees half a character; invalid bytes become U+FFFD, as SentencePiece
// decodes them.
#pragma once
#include <string>

#include "tokenizer.h"

namespace golf {

class PieceTextStream {
 public:
  explicit PieceTextStream(const Tokenizer& tokenizer) : tokenizer_(tokenizer) {}
  // Appends token's bytes and returns the whole characters now complete (possibly empty).
  std::string push(int token);
  // The end of generation: an unfinished character left pending becomes U+FFFD per byte.
  std::string flush();

 private:
  const Tokenizer& tokenizer_;
  std::string pending_;
};

}  // namespace golf
