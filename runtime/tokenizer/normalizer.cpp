// normalizer.cpp: SentencePiece-identical text normalization (see normalizer.h).
#include "normalizer.h"

#include "utf8.h"

namespace golf {
namespace {

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

Status Normalizer::init(const TokenizerData& data, const UserSymbols* user_symbols) {
  user_symbols_ = user_symbols;
  add_dummy_prefix_ = data.has(kTokAddDummyPrefix);
  remove_extra_whitespaces_ = data.has(kTokRemoveExtraWhitespaces);
  escape_whitespaces_ = data.has(kTokEscapeWhitespaces);
  treat_whitespace_as_suffix_ = data.has(kTokTreatWhitespaceAsSuffix);
  return charsmap_.init(data.precompiled_charsmap).prefix("tokenizer: ");
}

std::string_view Normalizer::normalize_prefix(std::string_view input, size_t* consumed) const {
  // User-defined symbols are never normalized.
  if (user_symbols_ != nullptr) {
    const size_t length = user_symbols_->match(input.data(), input.size());
    if (length > 0) {
      *consumed = length;
      return input.substr(0, length);
    }
  }
  std::string_view replacement;
  const size_t rule_length = charsmap_.longest_match(input.data(), input.size(), &replacement);
  if (rule_length > 0) {
    *consumed = rule_length;
    return replacement;
  }
  size_t length = 0;
  if (!utf8::valid_char(input.data(), input.size(), &length)) {
    *consumed = 1;  // one malformed byte becomes one U+FFFD; the next byte starts afresh
    return std::string_view(utf8::kReplacementUtf8, 3);
  }
  *consumed = length;
  return input.substr(0, length);
}

void Normalizer::normalize(std::string_view input, std::string* out) const {
  out->clear();
  size_t consumed = 0;
  if (remove_extra_whitespaces_) {  // leading whitespace goes, whatever rule produced it
    while (!input.empty() && normalize_prefix(input, &consumed) == " ") input.remove_prefix(consumed);
  }
  if (input.empty()) return;
  out->reserve(input.size() + input.size() / 2 + 8);

  const std::string_view space = escape_whitespaces_ ? kSpaceSymbol : std::string_view(" ");
  if (add_dummy_prefix_ && !treat_whitespace_as_suffix_) out->append(space);

  // While the last emitted character is a space, further spaces are dropped (remove_extra_whitespaces).
  bool is_prev_space = remove_extra_whitespaces_;
  while (!input.empty()) {
    std::string_view piece = normalize_prefix(input, &consumed);
    while (is_prev_space && !piece.empty() && piece.front() == ' ') piece.remove_prefix(1);
    if (!piece.empty()) {
      if (escape_whitespaces_) {
        for (char c : piece) {
          if (c == ' ') out->append(kSpaceSymbol);
          else out->push_back(c);
        }
      } else {
        out->append(piece);
      }
      is_prev_space = piece.back() == ' ';
    }
    input.remove_prefix(consumed);
    if (!remove_extra_whitespaces_) is_prev_space = false;
  }

  if (remove_extra_whitespaces_) {
    while (ends_with(*out, space)) out->resize(out->size() - space.size());
  }
  if (add_dummy_prefix_ && treat_whitespace_as_suffix_) out->append(space);
}

}  // namespace golf
