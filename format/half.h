// half.h: exact conversions between fp32 and fp16 / bf16 (round to nearest even), used by the quantizers for
// scales and by the readers for f16/bf16 tensors. Header-only so kernels can inline them.
#pragma once
#include <cstdint>
#include <cstring>

namespace golf {

inline uint32_t f32_bits(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }
inline float f32_from_bits(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }

// IEEE binary16 -> binary32, exact (subnormals, inf, nan included).
inline float f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1Fu;
  uint32_t man = h & 0x3FFu;
  if (exp == 0) {
    if (man == 0) return f32_from_bits(sign);
    // subnormal: value = man * 2^-24
    float v = (float)man * (1.0f / 16777216.0f);
    return sign ? -v : v;
  }
  if (exp == 31) return f32_from_bits(sign | 0x7F800000u | (man << 13));
  return f32_from_bits(sign | ((exp + 112u) << 23) | (man << 13));
}

// binary32 -> binary16 with round-to-nearest-even; overflow gives inf, nan stays nan.
inline uint16_t f32_to_f16(float f) {
  uint32_t x = f32_bits(f);
  uint32_t sign = (x >> 16) & 0x8000u;
  uint32_t absx = x & 0x7FFFFFFFu;
  if (absx >= 0x7F800000u) return (uint16_t)(sign | 0x7C00u | (absx > 0x7F800000u ? 0x200u : 0u));
  if (absx >= 0x477FF000u) return (uint16_t)(sign | 0x7C00u);  // rounds to >= 65520: inf
  if (absx < 0x38800000u) {                                    // below the smallest normal half (2^-14)
    if (absx < 0x33000000u) return (uint16_t)sign;             // < 2^-25: rounds to zero
    uint32_t exp = absx >> 23;
    uint32_t man = (absx & 0x7FFFFFu) | 0x800000u;
    uint32_t shift = 126u - exp;  // 14..24 ; result = man >> (shift)
    uint32_t q = man >> shift;
    uint32_t rem = man & ((1u << shift) - 1u);
    uint32_t half = 1u << (shift - 1u);
    if (rem > half || (rem == half && (q & 1u))) q++;
    return (uint16_t)(sign | q);
  }
  uint32_t q = ((absx - 0x38000000u) >> 13);  // rebias exponent 127 -> 15
  uint32_t rem = absx & 0x1FFFu;
  if (rem > 0x1000u || (rem == 0x1000u && (q & 1u))) q++;
  return (uint16_t)(sign | q);
}

inline float bf16_to_f32(uint16_t b) { return f32_from_bits((uint32_t)b << 16); }

inline uint16_t f32_to_bf16(float f) {
  uint32_t x = f32_bits(f);
  if ((x & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((x >> 16) | 0x40u);  // quiet nan
  uint32_t rounding = 0x7FFFu + ((x >> 16) & 1u);
  return (uint16_t)((x + rounding) >> 16);
}

// fp32 value rounded through fp16 (what a stored f16 scale will read back as).
inline float round_to_f16(float f) { return f16_to_f32(f32_to_f16(f)); }

}  // namespace golf
