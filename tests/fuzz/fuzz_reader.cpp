// fuzz_reader.cpp: libFuzzer harness for the .golf reader. Each input is opened twice: as given (so the magic,
// version and checksum paths are fuzzed) and with its header and file checksums recomputed (so mutations reach the
// section, tensor, tokenizer and rANS parsers behind the checksums). Every tensor that opens is dequantized.
#include <cstdint>
#include <cstring>
#include <vector>

#include "checksum.h"
#include "golf_file.h"
#include "quant.h"

namespace {

void exercise(const uint8_t* data, size_t size) {
  std::unique_ptr<golf::GolfFile> f;
  if (!golf::GolfFile::open_memory(data, size, &f).ok()) return;
  (void)f->verify_all();
  for (const golf::TensorInfo& t : f->tensors()) {
    if (t.layout.count > (1u << 22)) continue;  // keep each run fast; sizes are already bounded by the reader
    std::vector<float> out(t.layout.count);
    (void)golf::dequantize(t.dtype, t.layout, t.group_size, t.raw, out.data());
  }
}

// Recomputes header_checksum and file_checksum (SPEC.md §2.1) of a mutated copy.
void fix_checksums(std::vector<uint8_t>& b) {
  if (b.size() < golf::kHeaderSize) return;
  uint32_t count;
  std::memcpy(&count, b.data() + 12, 4);
  uint64_t file_checksum = golf::xxh3_64(b.data() + golf::kHeaderSize, b.size() - golf::kHeaderSize);
  std::memcpy(b.data() + 48, &file_checksum, 8);
  if (count == 0 || count > golf::kMaxSections) return;
  size_t table = (size_t)count * golf::kSectionEntrySize;
  if (golf::kHeaderSize + table > b.size()) return;
  // Section checksums too, so the file checksum is not the only thing standing between mutations and parsers.
  for (uint32_t i = 0; i < count; i++) {
    uint8_t* e = b.data() + golf::kHeaderSize + (size_t)i * golf::kSectionEntrySize;
    uint64_t off, sz;
    std::memcpy(&off, e + 8, 8);
    std::memcpy(&sz, e + 16, 8);
    if (off <= b.size() && sz <= b.size() - off) {
      uint64_t c = golf::xxh3_64(b.data() + off, sz);
      std::memcpy(e + 24, &c, 8);
    }
  }
  file_checksum = golf::xxh3_64(b.data() + golf::kHeaderSize, b.size() - golf::kHeaderSize);
  std::memcpy(b.data() + 48, &file_checksum, 8);
  golf::Xxh3Stream h;
  h.update(b.data(), 56);
  h.update(b.data() + golf::kHeaderSize, table);
  uint64_t header_checksum = h.digest();
  std::memcpy(b.data() + 56, &header_checksum, 8);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  exercise(data, size);
  std::vector<uint8_t> copy(data, data + size);
  fix_checksums(copy);
  exercise(copy.data(), copy.size());
  return 0;
}
