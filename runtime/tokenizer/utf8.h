// utf8.h: SentencePiece's own UTF-8 rules, which decide how malformed input is cut into characters. Matching them
// byte for byte is what makes our ids equal SentencePiece's on invalid UTF-8 (each bad byte becomes one U+FFFD).
#pragma once
#include <cstddef>
#include <cstdint>

namespace golf {
namespace utf8 {

constexpr uint32_t kReplacementChar = 0xFFFD;
constexpr char kReplacementUtf8[] = "\xEF\xBF\xBD";

// The length SentencePiece assigns to a character from its lead byte alone (its OneCharLen): continuation bytes
// and ASCII count 1, 0xC0-0xDF 2, 0xE0-0xEF 3, 0xF0-0xFF 4. The caller clips it to the bytes that remain.
inline size_t lead_length(uint8_t lead) {
  static constexpr uint8_t kLength[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLength[lead >> 4];
}

inline bool is_trail(uint8_t b) { return (b & 0xC0) == 0x80; }
inline bool is_valid_codepoint(uint32_t c) { return c < 0xD800 || (c >= 0xE000 && c <= 0x10FFFF); }

// Decodes the character at p (n >= 1 bytes available). A well-formed, shortest-form, non-surrogate character
// gives its code point and length; anything else gives U+FFFD with length 1.
inline uint32_t decode(const char* p, size_t n, size_t* length) {
  const uint8_t* b = reinterpret_cast<const uint8_t*>(p);
  if (b[0] < 0x80) {
    *length = 1;
    return b[0];
  }
  if (n >= 2 && (b[0] & 0xE0) == 0xC0) {
    const uint32_t c = (uint32_t(b[0] & 0x1F) << 6) | (b[1] & 0x3F);
    if (is_trail(b[1]) && c >= 0x80 && is_valid_codepoint(c)) {
      *length = 2;
      return c;
    }
  } else if (n >= 3 && (b[0] & 0xF0) == 0xE0) {
    const uint32_t c = (uint32_t(b[0] & 0x0F) << 12) | (uint32_t(b[1] & 0x3F) << 6) | (b[2] & 0x3F);
    if (is_trail(b[1]) && is_trail(b[2]) && c >= 0x800 && is_valid_codepoint(c)) {
      *length = 3;
      return c;
    }
  } else if (n >= 4 && (b[0] & 0xF8) == 0xF0) {
    const uint32_t c = (uint32_t(b[0] & 0x07) << 18) | (uint32_t(b[1] & 0x3F) << 12) |
                       (uint32_t(b[2] & 0x3F) << 6) | (b[3] & 0x3F);
    if (is_trail(b[1]) && is_trail(b[2]) && is_trail(b[3]) && c >= 0x10000 && is_valid_codepoint(c)) {
      *length = 4;
      return c;
    }
  }
  *length = 1;
  return kReplacementChar;
}

// True when the character at p is well formed; a literal U+FFFD in the text counts as well formed.
inline bool valid_char(const char* p, size_t n, size_t* length) {
  return decode(p, n, length) != kReplacementChar || *length == 3;
}

}  // namespace utf8
}  // namespace golf
