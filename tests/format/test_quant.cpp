// test_quant.cpp: tests of quant.h: quantize/dequantize for q2..q8, every group size and clip method, the q4 nibble
// layout of SPEC.md §5.2, codes <-> raw, float encoders, recipe validation, error magnitudes on Gaussian weights.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "dtype.h"
#include "half.h"
#include "quant.h"
#include "quant_test_util.h"

namespace golf {
namespace {

// ---------------------------------------------------------------------------------------------------------------
// Quantizers: helpers and an independent, deliberately simple reference.

float reference_percentile_abs(const float* x, size_t n, double percentile) {
  std::vector<float> a(x, x + n);
  for (float& v : a) v = std::fabs(v);
  std::sort(a.begin(), a.end());
  const float rank = (float)(percentile / 100.0) * (float)(n - 1);
  const size_t below = (size_t)rank, above = (size_t)std::ceil(rank);
  const float weight = rank - (float)below;
  const float lo = a[below], hi = a[std::min(above, n - 1)];
  return weight < 0.5f ? lo + weight * (hi - lo) : hi - (hi - lo) * (1.0f - weight);
}

float reference_clip(const float* x, size_t n, ClipMethod method, double value) {
  if (method == ClipMethod::percentile) return reference_percentile_abs(x, n, value);
  if (method == ClipMethod::std_k) {
    double mean = 0;
    for (size_t i = 0; i < n; i++) mean += x[i];
    mean /= (double)n;
    double var = 0;
    for (size_t i = 0; i < n; i++) var += (x[i] - mean) * (x[i] - mean);
    return (float)(value * std::sqrt(var / (double)(n - 1)));
  }
  float m = 0;
  for (size_t i = 0; i < n; i++) m = std::max(m, std::fabs(x[i]));
  return m;
}

struct ReferenceQuant {
  std::vector<int8_t> codes;     // logical order
  std::vector<uint16_t> scales;  // row-major f16 bits
  std::vector<float> clips;
};

ReferenceQuant reference_quantize(const std::vector<float>& w, const std::vector<uint64_t>& dims,
                                  const QuantRecipe& r) {
  const uint64_t cols = dims.back(), rows = product(dims) / cols;
  const uint64_t span = r.group_size ? r.group_size : cols;
  const int code_max = dtype_code_max(r.dtype);
  ReferenceQuant out;
  out.codes.assign(w.size(), 0);
  for (uint64_t row = 0; row < rows; row++) {
    for (uint64_t first = row * cols; first < (row + 1) * cols; first += span) {
      const float clip = reference_clip(&w[first], span, r.clip, r.clip_value);
      float s = std::max(clip / (float)code_max, r.scale_floor);
      uint16_t bits = f32_to_f16(s);
      if (bits == 0 && s > 0) bits = 1;
      out.scales.push_back(bits);
      out.clips.push_back(clip);
      const float scale = f16_to_f32(bits);
      for (uint64_t i = first; i < first + span; i++) {
        if (scale == 0) continue;
        float q = std::nearbyint(std::min(std::max(w[i], -clip), clip) / scale);
        out.codes[i] = (int8_t)std::max(-code_max, std::min(code_max, (int)q));
      }
    }
  }
  return out;
}

std::string describe(const QuantRecipe& r, const std::vector<uint64_t>& dims) {
  std::string s = std::string(dtype_name(r.dtype)) + " g" + std::to_string(r.group_size) + " clip" +
                  std::to_string((int)r.clip) + "(" + std::to_string(r.clip_value) + ") dims";
  for (uint64_t d : dims) s += " " + std::to_string(d);
  return s;
}

std::vector<uint16_t> scales_of(const std::vector<uint8_t>& raw, const TensorLayout& L) {
  std::vector<uint16_t> s(L.scale_count);
  std::memcpy(s.data(), raw.data() + L.scales_offset, 2 * L.scale_count);
  return s;
}

// ---------------------------------------------------------------------------------------------------------------
// quantize / dequantize over the whole grid of dtypes, group sizes, shapes and clip methods.

TEST(Quant, EveryDtypeGroupShapeAndClipMatchesReferenceAndErrorBound) {
  const std::vector<std::vector<uint64_t>> shapes = {{64}, {96}, {128}, {1, 256}, {3, 96}, {7, 128}, {5, 2, 64},
                                                     {2, 3, 4, 32}, {1, 33}, {4, 5}, {2, 384}};
  struct Clip {
    ClipMethod method;
    double value;
  };
  const Clip clips[] = {{ClipMethod::none, 0}, {ClipMethod::percentile, 99.0}, {ClipMethod::percentile, 50.0},
                        {ClipMethod::percentile, 100.0}, {ClipMethod::std_k, 2.5}, {ClipMethod::std_k, 6.0}};
  int combos = 0;
  uint32_t seed = 1;
  for (Dtype d : kQuantDtypes)
    for (uint32_t g : allowed_group_sizes(d))
      for (const auto& dims : shapes) {
        if (g != 0 && dims.back() % g != 0) continue;
        for (const Clip& c : clips) {
          QuantRecipe r;
          r.dtype = d;
          r.group_size = g;
          r.clip = c.method;
          r.clip_value = c.value;
          const std::string what = describe(r, dims);
          std::vector<float> w = gaussian(product(dims), seed++, 0.05f);
          std::vector<uint8_t> raw;
          ASSERT_TRUE(quantize(w.data(), dims, r, &raw).ok()) << what;
          TensorLayout L;
          ASSERT_TRUE(tensor_layout(d, dims, g, &L).ok());
          ASSERT_EQ(raw.size(), L.raw_size) << what;
          for (uint64_t i = L.code_bytes; i < L.scales_offset; i++) ASSERT_EQ(raw[i], 0) << what << " padding";

          const ReferenceQuant ref = reference_quantize(w, dims, r);
          std::vector<int8_t> codes(L.count);
          codes_from_raw(d, L, g, raw.data(), codes.data());
          ASSERT_EQ(codes, ref.codes) << what;
          ASSERT_EQ(scales_of(raw, L), ref.scales) << what;

          // Each group's clip from the public quant_clip equals the brute-force reference.
          const uint64_t span = g ? g : L.cols;
          for (uint64_t k = 0; k < L.scale_count; k++) {
            float clip = -1;
            ASSERT_TRUE(quant_clip(&w[k * span], span, c.method, c.value, &clip).ok()) << what;
            ASSERT_EQ(clip, ref.clips[k]) << what << " group " << k;
          }

          // Error bound: |w - w'| <= scale/2 for unclipped elements, plus the slack of the f16 scale (which may be
          // a bit below clip/code_max, so the largest elements can saturate at code_max), plus float rounding.
          std::vector<float> back(L.count);
          ASSERT_TRUE(dequantize(d, L, g, raw.data(), back.data()).ok()) << what;
          const int code_max = dtype_code_max(d);
          for (uint64_t i = 0; i < L.count; i++) {
            const uint64_t k = i / span;
            const float scale = f16_to_f32(ref.scales[k]), clip = ref.clips[k];
            ASSERT_EQ(back[i], (float)codes[i] * scale);
            const double slack = code_max * scale * std::ldexp(1.0, -11) + 1e-6 * std::fabs(w[i]);
            if (std::fabs(w[i]) <= clip) {
              ASSERT_LE(std::fabs(w[i] - back[i]), scale / 2 + slack) << what << " element " << i;
            } else {  // clipped: reconstructed at the clip, same sign
              ASSERT_LE(std::fabs(clip - std::fabs(back[i])), scale / 2 + slack) << what << " element " << i;
              ASSERT_TRUE(back[i] == 0 || std::signbit(back[i]) == std::signbit(w[i])) << what;
            }
          }
          combos++;
        }
      }
  EXPECT_GT(combos, 300);
}

TEST(Quant, ExactMultiplesOfTheScaleRoundTripExactly) {
  for (Dtype d : kQuantDtypes)
    for (uint32_t g : allowed_group_sizes(d)) {
      const std::vector<uint64_t> dims = {3, 128};
      const uint64_t span = g ? g : 128;
      const int code_max = dtype_code_max(d);
      std::mt19937 rng(7);
      std::uniform_int_distribution<int> pick(-code_max, code_max);
      const float scale = 3.0f / 512.0f;  // exact in f16
      std::vector<int8_t> want(3 * 128);
      std::vector<float> w(want.size());
      for (size_t i = 0; i < w.size(); i++) {
        want[i] = (int8_t)(i % span == 5 ? code_max : pick(rng));  // every group reaches code_max: clip = max
        w[i] = (float)want[i] * scale;
      }
      QuantRecipe r;
      r.dtype = d;
      r.group_size = g;
      std::vector<uint8_t> raw;
      ASSERT_TRUE(quantize(w.data(), dims, r, &raw).ok());
      TensorLayout L;
      ASSERT_TRUE(tensor_layout(d, dims, g, &L).ok());
      std::vector<int8_t> codes(L.count);
      codes_from_raw(d, L, g, raw.data(), codes.data());
      EXPECT_EQ(codes, want) << dtype_name(d) << " g" << g;
      for (uint16_t s : scales_of(raw, L)) EXPECT_EQ(f16_to_f32(s), scale);
      std::vector<float> back(L.count);
      ASSERT_TRUE(dequantize(d, L, g, raw.data(), back.data()).ok());
      EXPECT_EQ(back, w) << dtype_name(d) << " g" << g;
    }
}

TEST(Quant, TiesRoundHalfToEven) {
  // scale = 1 (clip 7 with q4): 0.5 -> 0, 1.5 -> 2, 2.5 -> 2, -2.5 -> -2, like torch.round.
  std::vector<float> w(32, 0.0f);
  w[0] = 7.0f;
  w[1] = 0.5f;
  w[2] = 1.5f;
  w[3] = 2.5f;
  w[4] = -2.5f;
  w[5] = -0.5f;
  QuantRecipe r;
  r.dtype = Dtype::q4;
  r.group_size = 32;
  std::vector<uint8_t> raw;
  ASSERT_TRUE(quantize(w.data(), {32}, r, &raw).ok());
  TensorLayout L;
  ASSERT_TRUE(tensor_layout(Dtype::q4, {32}, 32, &L).ok());
  std::vector<int8_t> codes(32);
  codes_from_raw(Dtype::q4, L, 32, raw.data(), codes.data());
  EXPECT_EQ(codes[0], 7);
  EXPECT_EQ(codes[1], 0);
  EXPECT_EQ(codes[2], 2);
  EXPECT_EQ(codes[3], 2);
  EXPECT_EQ(codes[4], -2);
  EXPECT_EQ(codes[5], 0);
}

// ---------------------------------------------------------------------------------------------------------------
// Layout details.

TEST(Quant, Q4PackingMatchesSpecByteByByte) {
  // One row of two groups of 32. Group 0: element j < 16 has code j-7 (j=15: 0), element 16+j has code 7-j
  // (j=15: 1). Byte j = (code[j]+8) | (code[j+16]+8) << 4.
  const float scale = 0.25f;
  std::vector<int8_t> group0(32);
  for (int j = 0; j < 16; j++) {
    group0[j] = (int8_t)(j < 15 ? j - 7 : 0);
    group0[16 + j] = (int8_t)(j < 15 ? 7 - j : 1);
  }
  std::vector<float> w(64, 0.0f);
  for (int j = 0; j < 32; j++) w[j] = group0[j] * scale;
  w[32 + 3] = -7 * 0.5f;  // group 1: a single nonzero element at position 3, code -7 with scale 0.5
  QuantRecipe r;
  r.dtype = Dtype::q4;
  r.group_size = 32;
  std::vector<uint8_t> raw;
  ASSERT_TRUE(quantize(w.data(), {1, 64}, r, &raw).ok());
  const uint8_t want_codes[32] = {0xF1, 0xE2, 0xD3, 0xC4, 0xB5, 0xA6, 0x97, 0x88, 0x79, 0x6A, 0x5B,
                                  0x4C, 0x3D, 0x2E, 0x1F, 0x98,  // group 0
                                  0x88, 0x88, 0x88, 0x81, 0x88, 0x88, 0x88, 0x88, 0x88, 0x88, 0x88,
                                  0x88, 0x88, 0x88, 0x88, 0x88};  // group 1: element 3 = -7 -> nibble 1
  ASSERT_EQ(raw.size(), 64u + 4u);  // codes 32 bytes, padding to 64, 2 f16 scales
  for (int i = 0; i < 32; i++) EXPECT_EQ(raw[i], want_codes[i]) << "byte " << i;
  for (int i = 32; i < 64; i++) EXPECT_EQ(raw[i], 0) << "padding byte " << i;
  EXPECT_EQ(raw[64] | raw[65] << 8, f32_to_f16(0.25f));  // little-endian f16 scales, row-major
  EXPECT_EQ(raw[66] | raw[67] << 8, f32_to_f16(0.5f));

  // A nibble 0 written by another producer decodes to code -8 (readers accept -8).
  TensorLayout L;
  ASSERT_TRUE(tensor_layout(Dtype::q4, {1, 64}, 32, &L).ok());
  raw[0] = 0x80;  // element 0: nibble 0 -> -8; element 16: nibble 8 -> 0
  std::vector<int8_t> codes(64);
  codes_from_raw(Dtype::q4, L, 32, raw.data(), codes.data());
  EXPECT_EQ(codes[0], -8);
  EXPECT_EQ(codes[16], 0);
  std::vector<float> back(64);
  ASSERT_TRUE(dequantize(Dtype::q4, L, 32, raw.data(), back.data()).ok());
  EXPECT_EQ(back[0], -8 * 0.25f);
  EXPECT_EQ(back[35], -3.5f);
}

TEST(Quant, Q4Group64Layout) {
  // Group 64: byte j holds elements j and j+32.
  std::vector<float> w(128, 0.0f);
  w[0] = 7;     // byte 0 low
  w[32] = -7;   // byte 0 high
  w[31] = 1;    // byte 31 low
  w[64 + 63] = 7;  // group 1, element 63: byte 32+31 high
  QuantRecipe r;
  r.dtype = Dtype::q4;
  r.group_size = 64;
  std::vector<uint8_t> raw;
  ASSERT_TRUE(quantize(w.data(), {128}, r, &raw).ok());
  EXPECT_EQ(raw[0], 0x1F);
  EXPECT_EQ(raw[31], 0x89);
  EXPECT_EQ(raw[63], 0xF8);
  EXPECT_EQ(raw[1], 0x88);
}

TEST(Quant, Int8CodesAreRowMajorBytes) {
  std::vector<float> w = {1, -1, 0.5f, 0, 2, -2, 0, 1};  // 2 rows x 4
  QuantRecipe r;
  r.dtype = Dtype::q8;
  std::vector<uint8_t> raw;
  ASSERT_TRUE(quantize(w.data(), {2, 4}, r, &raw).ok());
  ASSERT_EQ(raw.size(), 64u + 4u);
  const int8_t want[8] = {127, -127, 64, 0, 127, -127, 0, 64};  // f16(1/127) < 1/127: 0.5/scale = 63.504
  for (int i = 0; i < 8; i++) EXPECT_EQ((int8_t)raw[i], want[i]) << i;
  EXPECT_EQ(raw[64] | raw[65] << 8, f32_to_f16(1.0f / 127.0f));
  EXPECT_EQ(raw[66] | raw[67] << 8, f32_to_f16(2.0f / 127.0f));
}

TEST(Quant, CodesRawRoundTrip) {
  for (Dtype d : kQuantDtypes)
    for (uint32_t g : allowed_group_sizes(d)) {
      const std::vector<uint64_t> dims = {3, 2, 128};
      TensorLayout L;
      ASSERT_TRUE(tensor_layout(d, dims, g, &L).ok());
      std::mt19937 rng(g + (uint32_t)d);
      std::uniform_int_distribution<int> pick(dtype_code_min(d), dtype_code_max(d));
      std::vector<int8_t> codes(L.count), back(L.count);
      for (int8_t& c : codes) c = (int8_t)pick(rng);
      std::vector<uint8_t> raw(L.raw_size, 0xAB);
      codes_to_raw(d, L, g, codes.data(), raw.data());
      codes_from_raw(d, L, g, raw.data(), back.data());
      EXPECT_EQ(back, codes) << dtype_name(d) << " g" << g;
      for (uint64_t i = L.code_bytes; i < L.raw_size; i++) ASSERT_EQ(raw[i], 0xAB) << "wrote past the codes block";
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Clip values.

TEST(Quant, PercentileClipEqualsSortedReference) {
  const size_t sizes[] = {1, 2, 3, 5, 32, 64, 100, 128, 512, 1000, 4096};
  const double percentiles[] = {1e-4, 1, 25, 50, 90, 99, 99.9, 99.99, 99.99984, 100};
  uint32_t seed = 100;
  for (size_t n : sizes)
    for (double p : percentiles) {
      std::vector<float> w = gaussian(n, seed++);
      if (n > 10) w[n / 3] = w[n / 2];  // ties
      float clip = -1;
      ASSERT_TRUE(quant_clip(w.data(), n, ClipMethod::percentile, p, &clip).ok());
      EXPECT_EQ(clip, reference_percentile_abs(w.data(), n, p)) << "n " << n << " p " << p;
    }
  // Hand-checked: |w| = 1..5, p = 50 -> rank 2 -> 3; p = 90 -> rank 3.6 -> 4.6; p = 100 -> 5.
  const float w[5] = {-5, 2, -3, 1, 4};
  float clip;
  ASSERT_TRUE(quant_clip(w, 5, ClipMethod::percentile, 50, &clip).ok());
  EXPECT_EQ(clip, 3.0f);
  ASSERT_TRUE(quant_clip(w, 5, ClipMethod::percentile, 90, &clip).ok());
  EXPECT_NEAR(clip, 4.6f, 1e-6);
  ASSERT_TRUE(quant_clip(w, 5, ClipMethod::percentile, 100, &clip).ok());
  EXPECT_EQ(clip, 5.0f);
}

TEST(Quant, StdClipIsKTimesUnbiasedStd) {
  const float w[4] = {1, 2, 3, 4};  // mean 2.5, unbiased variance 5/3
  float clip;
  ASSERT_TRUE(quant_clip(w, 4, ClipMethod::std_k, 3.0, &clip).ok());
  EXPECT_FLOAT_EQ(clip, (float)(3.0 * std::sqrt(5.0 / 3.0)));
  std::vector<float> g = gaussian(100000, 5, 0.02f);
  ASSERT_TRUE(quant_clip(g.data(), g.size(), ClipMethod::std_k, 2.0, &clip).ok());
  EXPECT_NEAR(clip, 0.04f, 0.04f * 0.01f);
  EXPECT_EQ(quant_clip(w, 1, ClipMethod::std_k, 3.0, &clip).code(), StatusCode::invalid_argument);
}

TEST(Quant, ClippedElementsSaturate) {
  // Percentile 50 of |w| = 1..8 is 4.5 (rank 3.5): the values above saturate at code_max.
  std::vector<float> w = {1, -2, 3, -4, 5, -6, 7, -8};
  QuantRecipe r;
  r.dtype = Dtype::q8;
  r.clip = ClipMethod::percentile;
  r.clip_value = 50;
  std::vector<uint8_t> raw;
  ASSERT_TRUE(quantize(w.data(), {8}, r, &raw).ok());
  const float scale = round_to_f16(4.5f / 127);
  EXPECT_EQ(raw[64] | raw[65] << 8, f32_to_f16(scale));
  for (int i = 4; i < 8; i++) EXPECT_EQ(std::abs((int8_t)raw[i]), 127) << i;
  EXPECT_EQ((int8_t)raw[5], -127);
}

}  // namespace
}  // namespace golf
