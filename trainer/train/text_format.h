// text_format.h: number and string formatting shared by golf-train's options, logs and metrics: shortest
// round-trip decimal forms (so a value printed in a log or stored in a checkpoint reads back to the same bits),
// JSON string quoting, and printf into a std::string.
#pragma once
#include <string>

namespace golf::train {

// The shortest decimal text that strtof / strtod read back to exactly x ("0.04", "1e-08", "600").
std::string format_float(float x);
std::string format_double(double x);
// A JSON string literal, with quotes, escaping '"', '\\' and control characters.
std::string json_quote(const std::string& s);
// printf-style formatting into a std::string.
std::string strprintf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace golf::train
