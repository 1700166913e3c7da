// charsmap.h: SentencePiece's precompiled normalization rules ("precompiled_charsmap"): a Darts-clone double-array
// trie whose keys are input byte sequences and whose values point into a pool of NUL-terminated replacement strings.
// The blob comes from an untrusted file, so every trie step and every pool offset is bounds-checked.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "status.h"

namespace golf {

class CharsMap {
 public:
  // Blob layout (little-endian): u32 trie_bytes, the trie (trie_bytes / 4 u32 units), then the string pool.
  // An empty blob means "no rules".
  Status init(std::string_view blob);
  bool empty() const { return units_.empty(); }

  // The longest rule whose key is a prefix of text[0, n): returns the key's length (0 when no rule matches) and
  // points *replacement at the rule's output (possibly empty: the rule deletes its input).
  size_t longest_match(const char* text, size_t n, std::string_view* replacement) const;

 private:
  std::vector<uint32_t> units_;
  std::string pool_;
};

}  // namespace golf
