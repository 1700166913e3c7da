// sha256.h: SHA-256 (FIPS 180-4), written here so the data pipeline needs no OpenSSL. golf-data records the digest
// of every input, tokenizer and shard in manifest.json, and `golf-data inspect --verify` checks shards against it.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace golf {
namespace data {

class Sha256 {
 public:
  Sha256() { reset(); }
  void reset();
  // Feeds bytes; any split of the input into update() calls gives the same digest.
  void update(const void* data, size_t size);
  // The digest of everything fed since reset(). Leaves the object finished: reset() before reusing it.
  std::array<uint8_t, 32> digest();
  // digest() as 64 lowercase hex digits.
  std::string hex_digest();

 private:
  void compress(const uint8_t* block);

  uint32_t state_[8];
  uint8_t buffer_[64];
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

// One-shot helpers.
std::string sha256_hex(const void* data, size_t size);
std::string to_hex(const uint8_t* bytes, size_t size);

}  // namespace data
}  // namespace golf
