// charsmap.cpp: reading and querying SentencePiece's precompiled charsmap (see charsmap.h). The trie walk is
// Darts-clone's commonPrefixSearch, with the array bounds checks Darts leaves to its (trusted) builder.
#include "charsmap.h"

#include <cstring>

namespace golf {
namespace {

// A Darts-clone unit packs: bits 0-7 label, bit 8 "has a leaf child", bit 9 offset scale, bits 10-31 offset; a
// leaf (value) unit has bit 31 set, so its label never equals an input byte, and bits 0-30 hold the value.
inline uint32_t unit_label(uint32_t u) { return u & ((1u << 31) | 0xFFu); }
inline bool unit_has_leaf(uint32_t u) { return (u >> 8) & 1u; }
inline uint32_t unit_value(uint32_t u) { return u & ((1u << 31) - 1); }
inline uint32_t unit_offset(uint32_t u) { return (u >> 10) << ((u & (1u << 9)) >> 6); }

}  // namespace

Status CharsMap::init(std::string_view blob) {
  units_.clear();
  pool_.clear();
  if (blob.empty()) return Status::Ok();
  uint32_t trie_bytes = 0;
  if (blob.size() <= 4) return Status(StatusCode::bad_format, "precompiled_charsmap: shorter than its header");
  std::memcpy(&trie_bytes, blob.data(), 4);
  if (trie_bytes > blob.size() - 4)
    return Status(StatusCode::bad_format, "precompiled_charsmap: trie size " + std::to_string(trie_bytes) +
                                              " exceeds the blob (" + std::to_string(blob.size()) + " bytes)");
  units_.resize(trie_bytes / 4);
  if (!units_.empty()) std::memcpy(units_.data(), blob.data() + 4, units_.size() * 4);
  pool_.assign(blob.data() + 4 + trie_bytes, blob.size() - 4 - trie_bytes);
  return Status::Ok();
}

size_t CharsMap::longest_match(const char* text, size_t n, std::string_view* replacement) const {
  *replacement = std::string_view();
  if (units_.empty()) return 0;
  const size_t size = units_.size();
  size_t node = unit_offset(units_[0]);
  size_t best_length = 0;
  uint32_t best_value = 0;
  for (size_t i = 0; i < n; i++) {
    const uint8_t c = static_cast<uint8_t>(text[i]);
    node ^= c;
    if (node >= size) break;
    const uint32_t unit = units_[node];
    if (unit_label(unit) != c) break;
    node ^= unit_offset(unit);
    if (unit_has_leaf(unit)) {
      if (node >= size) break;
      best_length = i + 1;
      best_value = unit_value(units_[node]);
    }
  }
  if (best_length == 0) return 0;
  // The replacement runs to the pool's next NUL; a value outside the pool (a corrupt blob) replaces with nothing.
  if (best_value < pool_.size()) {
    const char* start = pool_.data() + best_value;
    const void* nul = std::memchr(start, 0, pool_.size() - best_value);
    const size_t length = nul ? size_t(static_cast<const char*>(nul) - start) : pool_.size() - best_value;
    *replacement = std::string_view(start, length);
  }
  return best_length;
}

}  // namespace golf
