// normalizer.h: SentencePiece's Normalizer::Normalize, reproduced exactly: user-defined symbols copied as they are,
// the precompiled charsmap's longest rule at each position, malformed UTF-8 bytes replaced one by one with U+FFFD,
// extra whitespace removed, the dummy prefix added and spaces escaped to U+2581 "▁", as the model's flags say.
#pragma once
#include <string>
#include <string_view>

#include "charsmap.h"
#include "status.h"
#include "tokenizer_data.h"
#include "user_symbols.h"

namespace golf {

class Normalizer {
 public:
  // `user_symbols` must outlive the normalizer (the Tokenizer owns both).
  Status init(const TokenizerData& data, const UserSymbols* user_symbols);
  // Replaces *out with the normalized text. Never fails: every byte sequence has a normalization.
  void normalize(std::string_view input, std::string* out) const;

 private:
  // The normalized form of the next unit of input and the number of input bytes it stands for (>= 1).
  std::string_view normalize_prefix(std::string_view input, size_t* consumed) const;

  CharsMap charsmap_;
  const UserSymbols* user_symbols_ = nullptr;
  bool add_dummy_prefix_ = false, remove_extra_whitespaces_ = false, escape_whitespaces_ = false;
  bool treat_whitespace_as_suffix_ = false;
};

}  // namespace golf
