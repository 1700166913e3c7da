// piece_text.h: turns generated token ids into text as they stream out: each piece's bytes as the tokenizer's
// decode() writes them mid-text, released only as whole characters so a callback never sees half a character;
// bytes that are not valid UTF-8 (SentencePiece's rules: overlong forms and surrogates included) become U+FFFD.
#pragma once
#include <string>

#include "tokenizer.h"  // defines: Tokenizer

namespace golf {

class PieceTextStream {
 public:
  explicit PieceTextStream(const Tokenizer& tokenizer) : tokenizer_(tokenizer) {}
  // Appends token's bytes and returns the whole characters now complete (possibly empty).
  std::string push(int token);
  // The end of generation: an unfinished character left pending becomes U+FFFD per byte.
  std::string flush();
  // Forgets pending bytes: a new text starts.
  void reset() { pending_.clear(); }

 private:
  const Tokenizer& tokenizer_;
  std::string pending_;
};

}  // namespace golf
