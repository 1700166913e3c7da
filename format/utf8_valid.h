// utf8_valid.h: whether bytes are well-formed UTF-8 (RFC 3629: shortest form, no surrogates, at most U+10FFFF).
// The .golf strings SPEC.md calls UTF-8 (key/value strings, tensor names, tokenizer pieces and names) are checked
// with it, so a file that breaks the rule is refused by every reader alike.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace golf {

inline bool utf8_is_valid(std::string_view s) {
  const uint8_t* p = reinterpret_cast<const uint8_t*>(s.data());
  const size_t n = s.size();
  for (size_t i = 0; i < n;) {
    const uint8_t b = p[i];
    if (b < 0x80) { i++; continue; }
    size_t len;
    uint32_t c, min;
    if ((b & 0xE0) == 0xC0) len = 2, c = b & 0x1F, min = 0x80;
    else if ((b & 0xF0) == 0xE0) len = 3, c = b & 0x0F, min = 0x800;
    else if ((b & 0xF8) == 0xF0) len = 4, c = b & 0x07, min = 0x10000;
    else return false;  // a continuation byte without a lead, or 0xF8..0xFF
    if (n - i < len) return false;
    for (size_t k = 1; k < len; k++) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
      c = (c << 6) | (p[i + k] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c < 0xE000)) return false;
    i += len;
  }
  return true;
}

}  // namespace golf
