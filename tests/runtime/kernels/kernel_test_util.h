// kernel_test_util.h: what the kernel tests share: CHECK macros that count instead of aborting (the test is a
// plain program so it also runs cross-compiled under qemu), a portable RNG, quantized test matrices built from
// logical codes in the raw layout of SPEC.md §5.2, activation rows with outliers and ties, and the list of paths.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "half.h"
#include "quant_matrix.h"
#include "thread_pool.h"

namespace kernel_test {

using golf::Dtype;
using namespace golf::kernels;

extern long g_checks;    // checks run and failed, over all test files (test_kernels.cpp defines them)
extern long g_failures;

#define CHECK_MSG(cond, ...)                                                   \
  do {                                                                         \
    ++g_checks;                                                                \
    if (!(cond)) {                                                             \
      if (++g_failures <= 40) {                                                \
        std::fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond); \
        std::fprintf(stderr, __VA_ARGS__);                                     \
        std::fprintf(stderr, "\n");                                            \
      }                                                                        \
    }                                                                          \
  } while (0)
#define CHECK(cond) CHECK_MSG(cond, "%s", "")

// splitmix64: the same stream on every architecture.
struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed) {}
  uint64_t next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  int range(int lo, int hi) { return lo + (int)(next() % (uint64_t)(hi - lo + 1)); }  // inclusive
  float uniform() { return (float)(int32_t)(next() >> 40) / 8388608.0f - 1.0f; }     // [-1, 1), exact
};

inline uint64_t case_seed(int a, int b, int c, int d, int e) {
  uint64_t h = 1469598103934665603ull;
  for (int v : {a, b, c, d, e}) h = (h ^ (uint64_t)(uint32_t)v) * 1099511628211ull;
  return h;
}

inline const char* dtype_str(Dtype d) {
  switch (d) {
    case Dtype::q2: return "q2"; case Dtype::q3: return "q3"; case Dtype::q4: return "q4";
    case Dtype::q5: return "q5"; case Dtype::q6: return "q6"; case Dtype::q7: return "q7";
    case Dtype::q8: return "q8"; default: return "?";
  }
}
inline int code_max(Dtype d) { return d == Dtype::q4 ? 7 : (1 << ((int)d - 0x10 - 1)) - 1; }
inline int code_min(Dtype d) { return d == Dtype::q4 ? -8 : -code_max(d); }

// A quantized matrix built by the test from logical codes, in the raw layout of SPEC.md §5.2.
struct TestMatrix {
  Dtype dtype;
  int rows, cols;
  uint32_t group;
  std::vector<int8_t> codes;     // [rows][cols] logical order
  std::vector<uint16_t> scales;  // [rows][n_groups] f16 bits
  std::vector<uint64_t> raw64;   // raw layout, 8-byte aligned storage
  QuantMatrix view;

  int n_groups() const { return group == 0 ? 1 : cols / (int)group; }
  float scale(int r, int c) const { return golf::f16_to_f32(scales[(size_t)r * n_groups() + (group ? c / group : 0)]); }
};

inline TestMatrix make_matrix(Dtype dtype, int rows, int cols, uint32_t group, Rng& rng) {
  TestMatrix t;
  t.dtype = dtype;
  t.rows = rows;
  t.cols = cols;
  t.group = group;
  t.codes.resize((size_t)rows * cols);
  int lo = code_min(dtype), hi = code_max(dtype);
  for (int r = 0; r < rows; ++r) {
    int style = rng.range(0, 5);  // 0: all extreme codes, 1: all zero, else random
    for (int c = 0; c < cols; ++c) {
      int8_t v = style == 0 ? (int8_t)((rng.next() & 1) ? hi : lo) : style == 1 ? 0 : (int8_t)rng.range(lo, hi);
      t.codes[(size_t)r * cols + c] = v;
    }
  }
  t.scales.resize((size_t)rows * t.n_groups());
  for (auto& s : t.scales) {
    float mantissa = 1.0f + 0.5f * rng.uniform();  // separate statements: argument order is unspecified
    float v = std::ldexp(mantissa, -rng.range(3, 12));
    s = golf::f32_to_f16(rng.range(0, 30) == 0 ? 0.0f : v);
  }
  bool q4 = dtype == Dtype::q4;
  size_t code_bytes = q4 ? (size_t)rows * cols / 2 : (size_t)rows * cols;
  size_t scales_offset = (code_bytes + 63) / 64 * 64;
  size_t raw_size = scales_offset + 2 * t.scales.size();
  t.raw64.assign((raw_size + 7) / 8, 0);
  uint8_t* raw = reinterpret_cast<uint8_t*>(t.raw64.data());
  if (!q4) {
    std::memcpy(raw, t.codes.data(), code_bytes);
  } else {
    int G = (int)group;
    for (int r = 0; r < rows; ++r)
      for (int g = 0; g < cols / G; ++g)
        for (int j = 0; j < G / 2; ++j) {
          const int8_t* src = &t.codes[(size_t)r * cols + (size_t)g * G];
          raw[(size_t)r * cols / 2 + (size_t)g * G / 2 + j] = (uint8_t)((src[j] + 8) | ((src[j + G / 2] + 8) << 4));
        }
  }
  std::memcpy(raw + scales_offset, t.scales.data(), 2 * t.scales.size());
  golf::Status st = quant_matrix_from_raw(dtype, rows, cols, group, raw, &t.view);
  CHECK_MSG(st.ok(), "quant_matrix_from_raw: %s", st.message().c_str());
  CHECK(reinterpret_cast<const uint8_t*>(t.view.scales) == raw + scales_offset);
  return t;
}

inline std::vector<float> make_acts(int rows, int cols, Rng& rng) {
  std::vector<float> x((size_t)rows * cols);
  for (size_t b = 0; b < x.size() / 32; ++b) {
    int style = rng.range(0, 9);
    float mag = std::ldexp(1.0f, rng.range(-12, 6));
    for (int c = 0; c < 32; ++c) {
      float v = style == 0 ? 0.0f : rng.uniform() * mag;
      if (style == 1 && c == 7) v = 1000.0f * mag;  // an outlier
      if (style == 2) v = (c & 1) ? mag : -mag;      // ties: x · 127/amax lands on exact integers
      x[b * 32 + c] = v;
    }
  }
  return x;
}


// Every path this build and CPU can run, best last.
std::vector<std::string> available_paths();

// Checks matmul_quant_f32act on every path against fp64 (test_f32act.cpp).
void test_quant_f32act(const std::vector<std::string>& paths, ThreadPool* pools[3]);

}  // namespace kernel_test
