// text_format.cpp: shortest round-trip number formatting, JSON quoting, strprintf.
#include "text_format.h"

#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>

namespace golf::train {

std::string format_float(float x) {
  if (x == std::floor(x) && std::fabs(x) < 1e7f) return format_double((double)x);  // "600", not "6e+02"
  char buf[64];
  for (int precision = 1; precision <= 9; precision++) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, (double)x);
    if (std::strtof(buf, nullptr) == x) break;
  }
  return buf;
}

std::string format_double(double x) {
  char buf[64];
  if (x == std::floor(x) && std::fabs(x) < 1e15) {  // integers print as integers: "600", not "6e+02"
    std::snprintf(buf, sizeof buf, "%.0f", x);
    return buf;
  }
  for (int precision = 1; precision <= 17; precision++) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, x);
    if (std::strtod(buf, nullptr) == x) break;
  }
  return buf;
}

std::string json_quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += (char)c;
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += (char)c;
    }
  }
  return out + "\"";
}

std::string strprintf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  va_list ap2;
  va_copy(ap2, ap);
  int n = std::vsnprintf(nullptr, 0, fmt, ap);
  va_end(ap);
  std::string out(n > 0 ? (size_t)n : 0, '\0');
  if (n > 0) std::vsnprintf(&out[0], (size_t)n + 1, fmt, ap2);
  va_end(ap2);
  return out;
}

}  // namespace golf::train
