// test_half.cpp: tests of half.h: fp16 and bf16 conversions exhaustively and against brute-force references
// (IEEE definition, round-to-nearest-even at every midpoint, subnormals, overflow to inf, NaN).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>

#include "half.h"

namespace golf {
namespace {

// ---------------------------------------------------------------------------------------------------------------
// half.h

bool f16_is_nan(uint16_t h) { return (h & 0x7C00u) == 0x7C00u && (h & 0x3FFu) != 0; }

// The value of a finite f16 bit pattern computed from the IEEE definition, in double.
double f16_value_reference(uint16_t h) {
  const int exp = (h >> 10) & 0x1F;
  const int man = h & 0x3FF;
  const double sign = (h & 0x8000u) ? -1.0 : 1.0;
  if (exp == 0) return sign * std::ldexp((double)man, -24);
  return sign * std::ldexp((double)(1024 + man), exp - 25);
}

// Nearest-even f16 of a finite float by brute force over the table of non-negative f16 values; 0x7C00 stands for
// 65536 (the next value after 65504) so that overflow rounds to infinity exactly as IEEE does.
class F16Reference {
 public:
  F16Reference() {
    for (uint32_t h = 0; h <= 0x7C00u; h++)
      values_.push_back(h == 0x7C00u ? 65536.0 : f16_value_reference((uint16_t)h));
  }
  uint16_t nearest(float f) const {
    const uint16_t sign = std::signbit(f) ? 0x8000u : 0;
    const double a = std::fabs((double)f);
    if (a >= 65536.0) return sign | 0x7C00u;
    // first value >= a
    const size_t hi = (size_t)(std::lower_bound(values_.begin(), values_.end(), a) - values_.begin());
    if (values_[hi] == a) return (uint16_t)(sign | hi);
    const size_t lo = hi - 1;
    const double d_lo = a - values_[lo], d_hi = values_[hi] - a;
    size_t pick;
    if (d_lo < d_hi) pick = lo;
    else if (d_hi < d_lo) pick = hi;
    else pick = (lo % 2 == 0) ? lo : hi;
    return (uint16_t)(sign | pick);
  }
  const std::vector<double>& values() const { return values_; }

 private:
  std::vector<double> values_;
};

TEST(Half, EveryF16MatchesIeeeDefinition) {
  for (uint32_t h = 0; h < 65536; h++) {
    const float f = f16_to_f32((uint16_t)h);
    const int exp = (h >> 10) & 0x1F;
    if (exp == 31) {
      if ((h & 0x3FF) == 0) {
        EXPECT_TRUE(std::isinf(f)) << h;
        EXPECT_EQ(std::signbit(f), (h & 0x8000u) != 0) << h;
      } else {
        EXPECT_TRUE(std::isnan(f)) << h;
      }
      continue;
    }
    EXPECT_EQ((double)f, f16_value_reference((uint16_t)h)) << "f16 bits " << h;
    EXPECT_EQ(std::signbit(f), (h & 0x8000u) != 0) << h;  // -0 stays -0
  }
}

TEST(Half, EveryF16RoundTripsThroughF32) {
  for (uint32_t h = 0; h < 65536; h++) {
    const uint16_t back = f32_to_f16(f16_to_f32((uint16_t)h));
    if (f16_is_nan((uint16_t)h)) {
      // NaN payloads are not kept; the result is a quiet NaN of the same sign.
      EXPECT_TRUE(f16_is_nan(back)) << h;
      EXPECT_EQ(back & 0x8000u, h & 0x8000u) << h;
      EXPECT_TRUE(back & 0x200u) << h;
    } else {
      EXPECT_EQ(back, h) << "f16 bits " << h;
    }
  }
}

TEST(Half, F32ToF16MatchesBruteForceNearestEven) {
  const F16Reference ref;
  std::vector<float> probes = {0.0f, -0.0f, 1.0f, -1.0f, 65504.0f, 65519.99f, 65520.0f, 65536.0f, 1e9f, -1e9f,
                               std::numeric_limits<float>::max(), std::numeric_limits<float>::denorm_min(),
                               std::numeric_limits<float>::min(), 5.9604645e-8f /*2^-24*/, 2.9802322e-8f /*2^-25*/,
                               6.1035156e-5f /*2^-14*/};
  // Every f16 value, every midpoint between neighbours (ties: round to even), and the floats just around both.
  const auto& v = ref.values();
  for (size_t h = 0; h + 1 < v.size(); h++) {
    const float exact = (float)v[h];
    const float mid = (float)((v[h] + v[h + 1]) / 2);  // exact in float: f16 midpoints need 12 significant bits
    ASSERT_EQ((double)mid, (v[h] + v[h + 1]) / 2);
    for (float x : {exact, mid}) {
      probes.push_back(x);
      probes.push_back(std::nextafter(x, 0.0f));
      probes.push_back(std::nextafter(x, 1e30f));
    }
  }
  // A sweep over the float bit patterns (all exponents, f32 subnormals included).
  for (uint64_t bits = 0; bits < 0x7F800000u; bits += 4099) probes.push_back(f32_from_bits((uint32_t)bits));
  size_t mismatches = 0;
  for (float p : probes) {
    for (float x : {p, -p}) {
      const uint16_t got = f32_to_f16(x), want = ref.nearest(x);
      if (got != want && ++mismatches < 10) ADD_FAILURE() << "f32_to_f16(" << x << ") = " << got << ", want " << want;
    }
  }
  EXPECT_EQ(mismatches, 0u) << "of " << 2 * probes.size() << " probes";
}

TEST(Half, F32ToF16SpecialValues) {
  EXPECT_EQ(f32_to_f16(std::numeric_limits<float>::infinity()), 0x7C00u);
  EXPECT_EQ(f32_to_f16(-std::numeric_limits<float>::infinity()), 0xFC00u);
  EXPECT_TRUE(f16_is_nan(f32_to_f16(std::numeric_limits<float>::quiet_NaN())));
  EXPECT_TRUE(f16_is_nan(f32_to_f16(f32_from_bits(0x7F800001u))));  // signalling NaN with a low payload bit only
  EXPECT_EQ(f32_to_f16(65520.0f), 0x7C00u);                          // tie between 65504 (odd) and 65536: inf
  EXPECT_EQ(f32_to_f16(std::nextafter(65520.0f, 0.0f)), 0x7BFFu);
  EXPECT_EQ(f32_to_f16(2.9802322e-8f), 0x0000u);                           // 2^-25: tie with 2^-24, to even 0
  EXPECT_EQ(f32_to_f16(std::nextafter(2.9802322e-8f, 1.0f)), 0x0001u);
  EXPECT_EQ(round_to_f16(1.0f / 127.0f), f16_to_f32(f32_to_f16(1.0f / 127.0f)));
}

// bf16 nearest-even by brute force: the two candidates are the truncation and the next bf16 up in magnitude.
uint16_t bf16_reference(float f) {
  const uint32_t x = f32_bits(f);
  const uint16_t lo = (uint16_t)(x >> 16);
  const uint16_t hi = (uint16_t)(lo + 1);
  const double a = std::fabs((double)f);
  const double v_lo = std::fabs((double)bf16_to_f32(lo));
  const double v_hi = ((hi & 0x7FFFu) == 0x7F80u) ? std::ldexp(1.0, 128) : std::fabs((double)bf16_to_f32(hi));
  if (a - v_lo < v_hi - a) return lo;
  if (v_hi - a < a - v_lo) return hi;
  return (lo & 1u) ? hi : lo;
}

TEST(Half, Bf16RoundsToNearestEven) {
  // Every bf16 round-trips; NaNs stay NaN.
  for (uint32_t b = 0; b < 65536; b++) {
    const float f = bf16_to_f32((uint16_t)b);
    EXPECT_EQ(f32_bits(f), b << 16);
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(f)))) << b;
    } else {
      EXPECT_EQ(f32_to_bf16(f), b) << b;
    }
  }
  size_t mismatches = 0, probes = 0;
  auto probe = [&](uint32_t bits) {
    const float f = f32_from_bits(bits);
    if (std::isnan(f)) return;
    probes++;
    const uint16_t got = f32_to_bf16(f), want = bf16_reference(f);
    if (got != want && ++mismatches < 10)
      ADD_FAILURE() << "f32_to_bf16 bits " << bits << " = " << got << " want " << want;
  };
  for (uint64_t bits = 0; bits < 0x100000000ull; bits += 65521) probe((uint32_t)bits);
  for (uint32_t b = 0; b < 65536; b++) {  // the midpoints and their neighbours
    const uint32_t mid = (b << 16) | 0x8000u;
    probe(mid);
    probe(mid - 1);
    probe(mid + 1);
  }
  EXPECT_EQ(mismatches, 0u) << "of " << probes;
  EXPECT_EQ(f32_to_bf16(std::numeric_limits<float>::max()), 0x7F80u);  // rounds up past the largest bf16: inf
  const uint16_t nan = f32_to_bf16(f32_from_bits(0x7F800001u));         // payload only in the dropped bits
  EXPECT_TRUE(std::isnan(bf16_to_f32(nan)));
}

}  // namespace
}  // namespace golf
