// rans.h: the static-frequency rANS codec of .golf (SPEC.md §6.1): 32-bit states, 16-bit words, n interleaved
// states over one word stream, frequencies normalised to 2^scale_bits. Encodes and decodes the int8 codes of a
// quantized tensor; the scales block is handled by the caller.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "status.h"

namespace golf {

constexpr int kRansStates = 8;       // interleaved states the encoder writes
constexpr int kRansScaleBits = 14;   // frequency precision the encoder writes (M = 16384)

// Appends the rans payload header + stream for `count` codes (all within [code_min, code_max]) to out.
Status rans_encode(const int8_t* codes, uint64_t count, int code_min, int code_max, std::vector<uint8_t>* out);

// Decodes `count` codes from payload[0, size). Checks every rule of SPEC.md §6.1 (header ranges, frequency sum and
// cap, code range, the size bound, stream exhaustion, final states) and never reads outside the buffer.
// *consumed gets the bytes used by header + stream, so the caller finds the scales block right after.
Status rans_decode(const uint8_t* payload, size_t size, uint64_t count, int code_min, int code_max, int8_t* out,
                   size_t* consumed);

// Shannon entropy of the codes' empirical distribution, in bits per code (for reports and tests).
double empirical_entropy_bits(const int8_t* codes, uint64_t count);

}  // namespace golf
