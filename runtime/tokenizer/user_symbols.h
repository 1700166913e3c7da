// user_symbols.h: finds SentencePiece USER_DEFINED pieces at a text position. SentencePiece copies these through
// normalization untouched and never splits or merges them (its PrefixMatcher); the longest one that matches wins.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace golf {

class UserSymbols {
 public:
  // Replaces the set; symbols are non-empty and distinct (the vocabulary checks both).
  void build(const std::vector<std::string_view>& symbols) {
    symbols_.assign(symbols.begin(), symbols.end());
    for (auto& list : by_first_byte_) list.clear();
    for (size_t i = 0; i < symbols_.size(); i++) by_first_byte_[uint8_t(symbols_[i][0])].push_back(uint32_t(i));
    // Longest first, so the first hit in match() is the longest match.
    for (auto& list : by_first_byte_)
      std::stable_sort(list.begin(), list.end(),
                       [&](uint32_t a, uint32_t b) { return symbols_[a].size() > symbols_[b].size(); });
  }
  bool empty() const { return symbols_.empty(); }

  // Length of the longest symbol that is a prefix of text[0, n), or 0.
  size_t match(const char* text, size_t n) const {
    if (n == 0 || symbols_.empty()) return 0;
    for (uint32_t index : by_first_byte_[uint8_t(text[0])]) {
      const std::string& s = symbols_[index];
      if (s.size() <= n && std::memcmp(s.data(), text, s.size()) == 0) return s.size();
    }
    return 0;
  }

 private:
  std::vector<std::string> symbols_;
  std::array<std::vector<uint32_t>, 256> by_first_byte_;
};

}  // namespace golf
