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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  exercise(data, size);
  std::vector<uint8_t> copy(data, data + size);
  golf::golf_refresh_checksums(&copy);
  exercise(copy.data(), copy.size());
  return 0;
}
