// checksum.cpp: XXH3-64 through Debian's libxxhash-dev, inlined (no library to link).
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "checksum.h"

#include <cstring>

#include "golf_file.h"

namespace golf {

uint64_t xxh3_64(const void* data, size_t size) { return XXH3_64bits(data, size); }

struct Xxh3Stream::State {
  XXH3_state_t s;
};

Xxh3Stream::Xxh3Stream() : state_(new State) { XXH3_64bits_reset(&state_->s); }
Xxh3Stream::~Xxh3Stream() = default;
void Xxh3Stream::update(const void* data, size_t size) { XXH3_64bits_update(&state_->s, data, size); }
uint64_t Xxh3Stream::digest() const { return XXH3_64bits_digest(&state_->s); }

uint64_t golf_header_checksum(const uint8_t* file, uint32_t section_count) {
  Xxh3Stream h;
  h.update(file, 56);
  h.update(file + kHeaderSize, (size_t)section_count * kSectionEntrySize);
  return h.digest();
}

void golf_refresh_checksums(std::vector<uint8_t>* file) {
  std::vector<uint8_t>& b = *file;
  if (b.size() < kHeaderSize) return;
  uint32_t count;
  std::memcpy(&count, b.data() + 12, 4);
  const bool table_whole = count <= kMaxSections && kHeaderSize + (size_t)count * kSectionEntrySize <= b.size();
  for (uint32_t i = 0; table_whole && i < count; i++) {
    uint8_t* e = b.data() + kHeaderSize + (size_t)i * kSectionEntrySize;
    uint64_t off, size;
    std::memcpy(&off, e + 8, 8);
    std::memcpy(&size, e + 16, 8);
    if (off > b.size() || size > b.size() - off) continue;
    const uint64_t c = xxh3_64(b.data() + off, size);
    std::memcpy(e + 24, &c, 8);
  }
  const uint64_t file_checksum = xxh3_64(b.data() + kHeaderSize, b.size() - kHeaderSize);
  std::memcpy(b.data() + 48, &file_checksum, 8);
  if (!table_whole) return;
  const uint64_t header_checksum = golf_header_checksum(b.data(), count);
  std::memcpy(b.data() + 56, &header_checksum, 8);
}

}  // namespace golf
