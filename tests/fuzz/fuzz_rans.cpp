// fuzz_rans.cpp: libFuzzer harness for the rANS codec (format/rans.cpp, SPEC.md §6.1). Input: byte 0 picks the code
// range (q2..q8), bytes 1-2 the element count, the rest is a rans payload. The payload is decoded as given (it must
// be refused or decoded, never read out of bounds); then the same bytes taken as codes are encoded and decoded
// back, which must give them exactly (a mismatch traps, so libFuzzer reports it).
#include <cstdint>
#include <cstring>
#include <vector>

#include "rans.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const int bits = 2 + data[0] % 7;  // q2 .. q8
  const int hi = (1 << (bits - 1)) - 1, lo = -hi;
  uint16_t count;
  std::memcpy(&count, data + 1, 2);
  const uint8_t* payload = data + 3;
  const size_t payload_size = size - 3;

  std::vector<int8_t> decoded(count);
  size_t consumed = 0;
  (void)golf::rans_decode(payload, payload_size, count, lo, hi, decoded.data(), &consumed);

  if (payload_size == 0) return 0;
  std::vector<int8_t> codes(payload_size);
  for (size_t i = 0; i < payload_size; i++) codes[i] = (int8_t)(lo + payload[i] % (hi - lo + 1));
  std::vector<uint8_t> encoded;
  if (!golf::rans_encode(codes.data(), codes.size(), lo, hi, &encoded).ok()) __builtin_trap();
  std::vector<int8_t> back(codes.size());
  if (!golf::rans_decode(encoded.data(), encoded.size(), codes.size(), lo, hi, back.data(), &consumed).ok() ||
      consumed != encoded.size() || back != codes)
    __builtin_trap();
  return 0;
}
