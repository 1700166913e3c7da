// text_util.h: the few text forms every tool prints alike: a tensor shape "[1024, 512]", a byte count
// "16,000,000", and the challenge's budget those counts are held against.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace golf {

// The challenge's artifact budget (challenge.md §0): code bytes + model bytes <= 16,000,000 (decimal). Its
// tokenizer is data and not counted, so neither is a .golf file's TOKN section.
constexpr uint64_t kChallengeBudgetBytes = 16000000;

inline std::string shape_string(const std::vector<uint64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); i++) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

inline std::string with_commas(uint64_t n) {
  std::string s = std::to_string(n);
  for (int i = (int)s.size() - 3; i > 0; i -= 3) s.insert((size_t)i, ",");
  return s;
}

}  // namespace golf
