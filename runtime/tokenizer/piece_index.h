// piece_index.h: the two hash tables the BPE encoder queries in its inner loop: PieceIndex (piece bytes -> id) and
// PairIndex ((left id, right id) -> id of the merged piece). Open addressing over flat arrays, keys stored as
// offsets into one arena, so lookups do no allocation and the tables stay valid when copied or moved.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace golf {

// Hash of a short byte string: 8 bytes at a time, multiply-xorshift mixing. Not cryptographic; keys are the
// model's own pieces, and a collision only costs a probe.
inline uint64_t hash_bytes(const char* p, size_t n) {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xC2B2AE3D27D4EB4Full);
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * 0xFF51AFD7ED558CCDull;
    h ^= h >> 32;
    p += 8;
    n -= 8;
  }
  if (n) {
    uint64_t w = 0;
    std::memcpy(&w, p, n);
    h = (h ^ w) * 0xFF51AFD7ED558CCDull;
  }
  h ^= h >> 29;
  h *= 0xC4CEB9FE1A85EC53ull;
  return h ^ (h >> 32);
}

class PieceIndex {
 public:
  // Sizes the table for up to `count` keys; call before insert().
  void reserve(size_t count) {
    size_t capacity = 16;
    while (capacity < count * 2) capacity <<= 1;
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
  }
  // Adds key -> id (id >= 0); false when the key is already present (its id is left unchanged).
  bool insert(std::string_view key, int32_t id) {
    size_t i = hash_bytes(key.data(), key.size()) & mask_;
    for (;; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.id < 0) {
        s.offset = uint32_t(arena_.size());
        s.length = uint32_t(key.size());
        s.id = id;
        arena_.append(key.data(), key.size());
        return true;
      }
      if (s.length == key.size() && std::memcmp(arena_.data() + s.offset, key.data(), key.size()) == 0) return false;
    }
  }
  // The id of key, or -1.
  int32_t find(const char* p, size_t n) const {
    if (slots_.empty()) return -1;
    size_t i = hash_bytes(p, n) & mask_;
    for (;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.id < 0) return -1;
      if (s.length == n && std::memcmp(arena_.data() + s.offset, p, n) == 0) return s.id;
    }
  }
  int32_t find(std::string_view key) const { return find(key.data(), key.size()); }

 private:
  struct Slot {
    uint32_t offset = 0, length = 0;
    int32_t id = -1;
  };
  std::vector<Slot> slots_;
  std::string arena_;
  size_t mask_ = 0;
};

class PairIndex {
 public:
  void reserve(size_t count) {
    size_t capacity = 16;
    while (capacity < count * 2) capacity <<= 1;
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
  }
  // Records that pieces left and right concatenate to piece merged (ids >= 0). Re-inserting a pair is a no-op.
  void insert(int32_t left, int32_t right, int32_t merged) {
    const uint64_t key = pack(left, right);
    size_t i = slot_of(key);
    for (;; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.merged < 0) {
        s.key = key;
        s.merged = merged;
        return;
      }
      if (s.key == key) return;
    }
  }
  // The id of the piece spelled left + right, or -1.
  int32_t find(int32_t left, int32_t right) const {
    if (slots_.empty()) return -1;
    const uint64_t key = pack(left, right);
    for (size_t i = slot_of(key);; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.merged < 0) return -1;
      if (s.key == key) return s.merged;
    }
  }

 private:
  struct Slot {
    uint64_t key = 0;
    int32_t merged = -1;
  };
  static uint64_t pack(int32_t left, int32_t right) { return (uint64_t(uint32_t(left)) << 32) | uint32_t(right); }
  size_t slot_of(uint64_t key) const {
    uint64_t h = key * 0x9E3779B97F4A7C15ull;
    return size_t(h ^ (h >> 31)) & mask_;
  }
  std::vector<Slot> slots_;
  size_t mask_ = 0;
};

}  // namespace golf
