// test_rans.cpp: tests of the rANS codec (format/rans.cpp, SPEC.md §6.1): exact round trips over many
// distributions, code ranges and sizes; compression within 1% of the empirical entropy; interoperability with a
// spec-literal reference coder for other scale_bits and n_states; rejection of every malformed header field; and
// survival of every byte flip and truncation (these run under ASan+UBSan in CI).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "rans.h"

namespace golf {
namespace {

// ----- sample generators ---------------------------------------------------------------------------------------

// Laplace(0, b) rounded to integer codes and clamped to [lo, hi]: the shape of quantized weight codes.
std::vector<int8_t> laplacian_codes(uint64_t n, double b, int lo, int hi, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uniform(-0.5, 0.5);
  std::vector<int8_t> codes(n);
  for (auto& c : codes) {
    const double u = uniform(rng);
    const double x = -b * (u < 0 ? -1 : 1) * std::log(1 - 2 * std::fabs(u));
    c = (int8_t)std::clamp((int)std::lround(x), lo, hi);
  }
  return codes;
}

std::vector<int8_t> uniform_codes(uint64_t n, int lo, int hi, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> pick(lo, hi);
  std::vector<int8_t> codes(n);
  for (auto& c : codes) c = (int8_t)pick(rng);
  return codes;
}

// Geometric: code lo + k with probability ~ (1-p)^k; heavily skewed towards lo.
std::vector<int8_t> skewed_codes(uint64_t n, double p, int lo, int hi, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::geometric_distribution<int> geo(p);
  std::vector<int8_t> codes(n);
  for (auto& c : codes) c = (int8_t)std::min(lo + geo(rng), hi);
  return codes;
}

// Two codes, the second with probability p.
std::vector<int8_t> two_symbol_codes(uint64_t n, int a, int b, double p, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::bernoulli_distribution coin(p);
  std::vector<int8_t> codes(n);
  for (auto& c : codes) c = (int8_t)(coin(rng) ? b : a);
  return codes;
}

// ----- helpers -------------------------------------------------------------------------------------------------

// Encodes, decodes, and checks the decoded codes and consumed size; returns the payload.
std::vector<uint8_t> round_trip(const std::vector<int8_t>& codes, int code_min, int code_max) {
  std::vector<uint8_t> payload;
  Status st = rans_encode(codes.data(), codes.size(), code_min, code_max, &payload);
  EXPECT_TRUE(st.ok()) << st.message();
  std::vector<int8_t> decoded(codes.size() + 1, 99);  // one sentinel past the end must stay untouched
  size_t consumed = 0;
  st = rans_decode(payload.data(), payload.size(), codes.size(), code_min, code_max, decoded.data(), &consumed);
  EXPECT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(consumed, payload.size());
  EXPECT_EQ(decoded.back(), 99);
  decoded.pop_back();
  EXPECT_TRUE(decoded == codes) << "decoded codes differ from the input (" << codes.size() << " codes)";
  return payload;
}

// Reads the little-endian fields of a payload, for tests that inspect or rebuild headers.
uint16_t get_u16(const std::vector<uint8_t>& b, size_t at) { return (uint16_t)(b[at] | b[at + 1] << 8); }
uint32_t get_u32(const std::vector<uint8_t>& b, size_t at) {
  return (uint32_t)b[at] | (uint32_t)b[at + 1] << 8 | (uint32_t)b[at + 2] << 16 | (uint32_t)b[at + 3] << 24;
}
void put_u16(std::vector<uint8_t>* b, uint16_t v) { b->push_back((uint8_t)v), b->push_back((uint8_t)(v >> 8)); }
void put_u32(std::vector<uint8_t>* b, uint32_t v) {
  for (int k = 0; k < 4; ++k) b->push_back((uint8_t)(v >> (8 * k)));
}

// A payload built field by field (for malformed-header tests).
struct RawStream {
  int scale_bits = 14, n_states = 8, alphabet = 2, symbol_min = 0, reserved = 0;
  std::vector<uint16_t> freq{8192, 8192};
  std::vector<uint32_t> state = std::vector<uint32_t>(8, 1u << 16);
  uint32_t word_count = 0;
  std::vector<uint16_t> words;

  std::vector<uint8_t> bytes() const {
    std::vector<uint8_t> b{(uint8_t)scale_bits, (uint8_t)n_states};
    put_u16(&b, (uint16_t)alphabet);
    put_u16(&b, (uint16_t)(int16_t)symbol_min);
    put_u16(&b, (uint16_t)reserved);
    for (uint16_t f : freq) put_u16(&b, f);
    for (uint32_t s : state) put_u32(&b, s);
    put_u32(&b, word_count);
    for (uint16_t w : words) put_u16(&b, w);
    return b;
  }
};

// ----- a spec-literal reference coder, any scale_bits and n_states ---------------------------------------------

// Crude but valid frequencies: proportional floor, at least 1 for present codes, any excess taken from the largest,
// any remainder to the most frequent code unless that passes the cap, then to the others in turn.
std::vector<uint16_t> reference_frequencies(const std::vector<int8_t>& codes, int lo, int alphabet, int scale_bits) {
  const uint32_t total = 1u << scale_bits, cap = total - total / 256;
  std::vector<uint64_t> counts(alphabet);
  for (int8_t c : codes) ++counts[c - lo];
  std::vector<uint16_t> freq(alphabet);
  uint32_t sum = 0;
  for (int s = 0; s < alphabet; ++s) {
    if (counts[s]) freq[s] = (uint16_t)std::min<uint64_t>(cap, std::max<uint64_t>(1, counts[s] * total / codes.size()));
    sum += freq[s];
  }
  while (sum > total) {  // the minimum of 1 can overshoot a small total: take back from the largest
    --*std::max_element(freq.begin(), freq.end());
    --sum;
  }
  int most = (int)(std::max_element(counts.begin(), counts.end()) - counts.begin());
  for (int s = most; sum < total; s = (s + 1) % alphabet) {
    uint32_t add = std::min(total - sum, cap - freq[s]);
    freq[s] = (uint16_t)(freq[s] + add), sum += add;
  }
  return freq;
}

// Follows the encoder text of SPEC.md §6.1 line by line.
std::vector<uint8_t> reference_encode(const std::vector<int8_t>& codes, int lo, int alphabet, int scale_bits,
                                      int n_states) {
  const std::vector<uint16_t> freq = reference_frequencies(codes, lo, alphabet, scale_bits);
  std::vector<uint32_t> cum(alphabet + 1, 0);
  for (int s = 0; s < alphabet; ++s) cum[s + 1] = cum[s] + freq[s];
  std::vector<uint32_t> x(n_states, 1u << 16);
  std::vector<uint16_t> emitted;
  for (uint64_t i = codes.size(); i-- > 0;) {
    const int s = codes[i] - lo;
    uint32_t& st = x[i % n_states];
    if ((uint64_t)st >= (uint64_t)freq[s] << (32 - scale_bits)) emitted.push_back((uint16_t)st), st >>= 16;
    st = (st / freq[s]) * (1u << scale_bits) + st % freq[s] + cum[s];
  }
  RawStream r;
  r.scale_bits = scale_bits, r.n_states = n_states, r.alphabet = alphabet, r.symbol_min = lo;
  r.freq = freq, r.state = x, r.word_count = (uint32_t)emitted.size();
  r.words.assign(emitted.rbegin(), emitted.rend());
  return r.bytes();
}

// Follows the decoder text of SPEC.md §6.1; returns false where the spec says error. Trusts the header.
bool reference_decode(const std::vector<uint8_t>& b, uint64_t count, std::vector<int8_t>* out) {
  const int scale_bits = b[0], n_states = b[1], alphabet = get_u16(b, 2), lo = (int16_t)get_u16(b, 4);
  const uint32_t total = 1u << scale_bits;
  std::vector<uint32_t> freq(alphabet), cum(alphabet + 1, 0);
  for (int s = 0; s < alphabet; ++s) freq[s] = get_u16(b, 8 + 2 * s), cum[s + 1] = cum[s] + freq[s];
  size_t at = 8 + 2 * (size_t)alphabet;
  std::vector<uint32_t> x(n_states);
  for (auto& st : x) st = get_u32(b, at), at += 4;
  const uint32_t word_count = get_u32(b, at);
  at += 4;
  uint32_t pos = 0;
  out->assign(count, 0);
  for (uint64_t i = 0; i < count; ++i) {
    uint32_t& st = x[i % n_states];
    const uint32_t slot = st % total;
    int s = 0;
    while (!(cum[s] <= slot && slot < cum[s] + freq[s])) ++s;
    st = freq[s] * (st >> scale_bits) + slot - cum[s];
    if (st < (1u << 16)) {
      if (pos == word_count) return false;
      st = (st << 16) | get_u16(b, at + 2 * pos), ++pos;
    }
    (*out)[i] = (int8_t)(lo + s);
  }
  if (pos != word_count) return false;
  for (uint32_t st : x)
    if (st != (1u << 16)) return false;
  return true;
}

struct CodeRange {
  const char* dtype;
  int lo, hi;
};
const CodeRange kDtypeRanges[] = {{"q2", -1, 1},   {"q3", -3, 3},   {"q4", -8, 7},    {"q5", -15, 15},
                                  {"q6", -31, 31}, {"q7", -63, 63}, {"q8", -127, 127}};
const uint64_t kCounts[] = {0, 1, 2, 7, 8, 9, 15, 17, 1000, 4097, 12345, 65537};

// ----- round trips ---------------------------------------------------------------------------------------------

TEST(Rans, RoundTripsEveryDistributionRangeAndSize) {
  uint64_t seed = 1;
  for (const CodeRange& r : kDtypeRanges) {
    for (uint64_t n : kCounts) {
      SCOPED_TRACE(std::string(r.dtype) + " n=" + std::to_string(n));
      const double b = std::max(0.3, (r.hi - r.lo) / 12.0);
      round_trip(uniform_codes(n, r.lo, r.hi, ++seed), r.lo, r.hi);
      round_trip(laplacian_codes(n, b, r.lo, r.hi, ++seed), r.lo, r.hi);
      round_trip(skewed_codes(n, 0.7, r.lo, r.hi, ++seed), r.lo, r.hi);
      round_trip(std::vector<int8_t>(n, 0), r.lo, r.hi);
      round_trip(std::vector<int8_t>(n, (int8_t)r.lo), r.lo, r.hi);
      round_trip(std::vector<int8_t>(n, (int8_t)r.hi), r.lo, r.hi);  // widens the alphabet downwards
      round_trip(two_symbol_codes(n, r.lo, r.hi, 0.3, ++seed), r.lo, r.hi);
      round_trip(two_symbol_codes(n, 0, 1, 0.001, ++seed), r.lo, r.hi);
    }
  }
}

TEST(Rans, RoundTripsAMillionCodes) {
  round_trip(laplacian_codes(1000000, 5.0, -31, 31, 7), -31, 31);
  round_trip(uniform_codes(1000003, -127, 127, 8), -127, 127);
  round_trip(two_symbol_codes(1000001, -1, 1, 1e-5, 9), -1, 1);  // one code nearly alone: the cap binds
  round_trip(std::vector<int8_t>(1000000, 3), -8, 7);
}

TEST(Rans, RoundTripsTheFullInt8Range) {
  std::vector<int8_t> codes = uniform_codes(100000, -128, 127, 11);
  codes[0] = -128, codes[1] = 127;  // alphabet of 256, the largest allowed
  std::vector<uint8_t> payload = round_trip(codes, -128, 127);
  EXPECT_EQ(get_u16(payload, 2), 256);
}

TEST(Rans, ZeroCodesGiveAValidEmptyStream) {
  std::vector<uint8_t> payload;
  ASSERT_TRUE(rans_encode(nullptr, 0, -8, 7, &payload).ok());
  size_t consumed = 0;
  Status st = rans_decode(payload.data(), payload.size(), 0, -8, 7, nullptr, &consumed);
  EXPECT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(consumed, payload.size());
  EXPECT_EQ(get_u32(payload, payload.size() - 4), 0u);  // word_count
}

TEST(Rans, AppendsToTheOutputAndReportsConsumedBeforeTheScales) {
  const std::vector<int8_t> codes = laplacian_codes(5000, 3.0, -15, 15, 12);
  std::vector<uint8_t> payload{0xAA, 0xBB};
  ASSERT_TRUE(rans_encode(codes.data(), codes.size(), -15, 15, &payload).ok());
  EXPECT_EQ(payload[0], 0xAA);
  EXPECT_EQ(payload[1], 0xBB);
  const size_t stream_bytes = payload.size() - 2;
  payload.insert(payload.end(), {1, 2, 3, 4, 5, 6});  // a scales block follows in a real tensor
  std::vector<int8_t> decoded(codes.size());
  size_t consumed = 0;
  Status st = rans_decode(payload.data() + 2, payload.size() - 2, codes.size(), -15, 15, decoded.data(), &consumed);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(consumed, stream_bytes);
  EXPECT_EQ(decoded, codes);
}

TEST(Rans, FrequencyTableFollowsTheRules) {
  for (const auto& codes : {laplacian_codes(200000, 5.0, -31, 31, 13), skewed_codes(200000, 0.9, -127, 127, 14),
                            two_symbol_codes(200000, 0, 1, 1e-6, 15), std::vector<int8_t>(100, 5)}) {
    std::vector<uint8_t> payload;
    ASSERT_TRUE(rans_encode(codes.data(), codes.size(), -127, 127, &payload).ok());
    EXPECT_EQ(payload[0], kRansScaleBits);
    EXPECT_EQ(payload[1], kRansStates);
    const int alphabet = get_u16(payload, 2), lo = (int16_t)get_u16(payload, 4);
    const uint32_t total = 1u << kRansScaleBits;
    std::vector<uint64_t> counts(alphabet);
    for (int8_t c : codes) ++counts[c - lo];
    uint32_t sum = 0;
    for (int s = 0; s < alphabet; ++s) {
      const uint32_t f = get_u16(payload, 8 + 2 * s);
      EXPECT_LE(f, total - total / 256);
      if (counts[s]) {
        EXPECT_GE(f, 1u);
      }
      sum += f;
    }
    EXPECT_EQ(sum, total);
    EXPECT_GE(alphabet, 2);
  }
}

// ----- compression ---------------------------------------------------------------------------------------------

TEST(Rans, Int6LaplacianIsWithinOnePercentOfEntropy) {
  for (double b : {4.0, 5.0, 6.0}) {
    const std::vector<int8_t> codes = laplacian_codes(1 << 20, b, -31, 31, 16);
    const std::vector<uint8_t> payload = round_trip(codes, -31, 31);
    const double entropy = empirical_entropy_bits(codes.data(), codes.size());
    const double ideal_bytes = codes.size() * entropy / 8;
    const double ratio = payload.size() / ideal_bytes;
    std::printf("int6 Laplace(0, %.0f), %zu codes: H = %.4f bits/code, payload %zu bytes = %.4f bits/code, "
                "ratio to entropy %.5f\n",
                b, codes.size(), entropy, payload.size(), 8.0 * payload.size() / codes.size(), ratio);
    EXPECT_LE(ratio, 1.01);
    EXPECT_GE(ratio, 1.0);  // no coder beats the empirical entropy of a static model
  }
}

TEST(Rans, SkewedDataIsCloseToEntropyToo) {
  const std::vector<int8_t> codes = two_symbol_codes(1 << 20, 0, 1, 0.02, 17);
  const std::vector<uint8_t> payload = round_trip(codes, -1, 1);
  const double ideal_bytes = codes.size() * empirical_entropy_bits(codes.data(), codes.size()) / 8;
  EXPECT_LE(payload.size() / ideal_bytes, 1.01);
}

TEST(Rans, EmpiricalEntropyOfKnownDistributions) {
  EXPECT_EQ(empirical_entropy_bits(nullptr, 0), 0.0);
  const std::vector<int8_t> constant(1000, -3);
  EXPECT_EQ(empirical_entropy_bits(constant.data(), constant.size()), 0.0);
  std::vector<int8_t> four;
  for (int i = 0; i < 4000; ++i) four.push_back((int8_t)(i % 4 - 2));
  EXPECT_NEAR(empirical_entropy_bits(four.data(), four.size()), 2.0, 1e-12);
}

// ----- interoperability with the spec text ---------------------------------------------------------------------

TEST(Rans, DecodesReferenceStreamsOfOtherScaleBitsAndStateCounts) {
  uint64_t seed = 100;
  for (int scale_bits : {8, 11, 14, 15}) {
    for (int n_states : {1, 2, 3, 8, 13, 32}) {
      for (uint64_t n : {0ull, 1ull, 5ull, 33ull, 1000ull, 20001ull}) {
        SCOPED_TRACE("scale_bits=" + std::to_string(scale_bits) + " n_states=" + std::to_string(n_states) +
                     " n=" + std::to_string(n));
        std::vector<int8_t> codes = laplacian_codes(n, 4.0, -31, 31, ++seed);
        if (n) codes[0] = -31, codes[n - 1] = 31;  // a fixed alphabet of 63 codes
        const std::vector<uint8_t> payload = reference_encode(codes, -31, 63, scale_bits, n_states);
        std::vector<int8_t> decoded(n);
        size_t consumed = 0;
        Status st = rans_decode(payload.data(), payload.size(), n, -31, 31, decoded.data(), &consumed);
        ASSERT_TRUE(st.ok()) << st.message();
        EXPECT_EQ(consumed, payload.size());
        EXPECT_EQ(decoded, codes);
      }
    }
  }
}

TEST(Rans, ReferenceDecoderReadsOurStreams) {
  for (uint64_t n : kCounts) {
    const std::vector<int8_t> codes = laplacian_codes(n, 2.0, -8, 7, n + 200);
    std::vector<uint8_t> payload;
    ASSERT_TRUE(rans_encode(codes.data(), codes.size(), -8, 7, &payload).ok());
    std::vector<int8_t> decoded;
    ASSERT_TRUE(reference_decode(payload, n, &decoded)) << "n=" << n;
    EXPECT_EQ(decoded, codes);
  }
}

// ----- malformed input -----------------------------------------------------------------------------------------

// Decodes `count` codes in [lo, hi] and expects bad_format with `fragment` in the message.
void expect_bad_format(const std::vector<uint8_t>& payload, uint64_t count, const std::string& fragment,
                       int lo = -8, int hi = 7) {
  std::vector<int8_t> out(std::min<uint64_t>(count, 1 << 20) + 1);
  Status st = rans_decode(payload.data(), payload.size(), count, lo, hi, out.data(), nullptr);
  EXPECT_EQ(st.code(), StatusCode::bad_format) << st.message();
  EXPECT_NE(st.message().find(fragment), std::string::npos) << "message: " << st.message();
}

TEST(Rans, RejectsEveryBadHeaderField) {
  RawStream good;
  {
    std::vector<int8_t> out(1);
    EXPECT_TRUE(rans_decode(good.bytes().data(), good.bytes().size(), 0, -8, 7, out.data(), nullptr).ok());
  }
  RawStream r;
  r = good, r.scale_bits = 7, r.freq = {64, 64};
  expect_bad_format(r.bytes(), 0, "scale_bits 7");
  r = good, r.scale_bits = 16, r.freq = {32768, 32768};
  expect_bad_format(r.bytes(), 0, "scale_bits 16");
  r = good, r.n_states = 0, r.state = {};
  expect_bad_format(r.bytes(), 0, "n_states 0");
  r = good, r.n_states = 33, r.state.assign(33, 1u << 16);
  expect_bad_format(r.bytes(), 0, "n_states 33");
  r = good, r.alphabet = 1, r.freq = {16384};
  expect_bad_format(r.bytes(), 0, "alphabet_size 1");
  r = good, r.alphabet = 257, r.freq.assign(257, 64);
  expect_bad_format(r.bytes(), 0, "alphabet_size 257", -128, 127);
  r = good, r.symbol_min = -9;
  expect_bad_format(r.bytes(), 0, "outside the dtype's codes");
  r = good, r.symbol_min = 7;  // symbols 7 and 8; 8 is not a q4 code
  expect_bad_format(r.bytes(), 0, "outside the dtype's codes");
  r = good, r.reserved = 1;
  expect_bad_format(r.bytes(), 0, "reserved");
  r = good, r.freq = {8192, 8191};
  expect_bad_format(r.bytes(), 0, "rans: freq sum 16383 != 16384");
  r = good, r.freq = {16384, 0};
  expect_bad_format(r.bytes(), 0, "exceeds the cap 16320");
  r = good, r.state[5] = 65535;
  expect_bad_format(r.bytes(), 0, "state[5] = 65535 below 2^16");
  r = good, r.word_count = 3, r.words = {1, 2};
  expect_bad_format(r.bytes(), 0, "word_count 3");
  r = good, r.word_count = 2, r.words = {1, 2};
  expect_bad_format(r.bytes(), 0, "2 of 2 words left unread");
  r = good, r.state[2] = 65537;
  expect_bad_format(r.bytes(), 0, "final state[2] = 65537");
  expect_bad_format(std::vector<uint8_t>{14, 8, 2, 0}, 0, "shorter than the 8-byte header");
  std::vector<uint8_t> cut = good.bytes();
  cut.resize(cut.size() - 1);
  expect_bad_format(cut, 0, "ends inside the frequency/state tables");
}

TEST(Rans, ReportsWhereAStreamEndsEarly) {
  // Two equal symbols: each element costs one bit, so 8 states starting at 2^16 need a word at once.
  RawStream r;
  expect_bad_format(r.bytes(), 5000, "rans: stream ends early at element 0 of 5000");
  const std::vector<int8_t> codes = uniform_codes(5000, -8, 7, 300);
  std::vector<uint8_t> payload;
  ASSERT_TRUE(rans_encode(codes.data(), codes.size(), -8, 7, &payload).ok());
  // Claiming more elements than were encoded runs the stream dry (or leaves a wrong final state).
  std::vector<int8_t> out(6000);
  Status st = rans_decode(payload.data(), payload.size(), 6000, -8, 7, out.data(), nullptr);
  EXPECT_EQ(st.code(), StatusCode::bad_format);
  st = rans_decode(payload.data(), payload.size(), 4999, -8, 7, out.data(), nullptr);
  EXPECT_EQ(st.code(), StatusCode::bad_format);
}

TEST(Rans, SizeBoundRejectsAHugeCountBeforeAnyWork) {
  RawStream r;  // 0 words, 8 states: at most 4096 * 8 codes
  int8_t out[1] = {42};  // far too small for the claim: the decoder must not touch it
  const std::vector<uint8_t> payload = r.bytes();
  Status st = rans_decode(payload.data(), payload.size(), 1ull << 40, -8, 7, out, nullptr);
  EXPECT_EQ(st.code(), StatusCode::bad_format);
  EXPECT_NE(st.message().find("exceeds the size bound 32768"), std::string::npos) << st.message();
  EXPECT_EQ(out[0], 42);
  st = rans_decode(payload.data(), payload.size(), 32769, -8, 7, out, nullptr);
  EXPECT_NE(st.message().find("size bound"), std::string::npos) << st.message();
  EXPECT_EQ(out[0], 42);
}

TEST(Rans, SurvivesEveryByteFlipAndTruncation) {
  for (int q : {2, 4, 8}) {
    const CodeRange& r = kDtypeRanges[q - 2];
    const std::vector<int8_t> codes = laplacian_codes(300, 1.5 * q, r.lo, r.hi, 400 + q);
    std::vector<uint8_t> payload;
    ASSERT_TRUE(rans_encode(codes.data(), codes.size(), r.lo, r.hi, &payload).ok());
    std::vector<int8_t> out(codes.size());
    int accepted = 0;
    for (size_t at = 0; at < payload.size(); ++at) {
      for (uint8_t flip : {0x01, 0x10, 0x80, 0xFF}) {
        std::vector<uint8_t> bad = payload;
        bad[at] ^= flip;
        Status st = rans_decode(bad.data(), bad.size(), codes.size(), r.lo, r.hi, out.data(), nullptr);
        if (st.ok()) {
          ++accepted;
          for (int8_t c : out) ASSERT_TRUE(c >= r.lo && c <= r.hi);
        } else {
          EXPECT_EQ(st.code(), StatusCode::bad_format);
        }
      }
    }
    for (size_t len = 0; len < payload.size(); ++len) {
      std::vector<uint8_t> cut(payload.begin(), payload.begin() + len);  // its own buffer, so ASan sees overreads
      Status st = rans_decode(cut.data(), cut.size(), codes.size(), r.lo, r.hi, out.data(), nullptr);
      EXPECT_EQ(st.code(), StatusCode::bad_format) << "truncated to " << len;
    }
    std::printf("%s: %zu-byte payload, %d of %zu flips still decode (valid but different streams)\n", r.dtype,
                payload.size(), accepted, 4 * payload.size());
  }
}

TEST(Rans, RejectsRandomGarbageWithoutCrashing) {
  std::mt19937_64 rng(500);
  std::vector<int8_t> out(1000);
  for (int trial = 0; trial < 20000; ++trial) {
    RawStream r;
    r.scale_bits = 8 + (int)(rng() % 8), r.n_states = 1 + (int)(rng() % 32), r.alphabet = 2 + (int)(rng() % 30);
    r.symbol_min = -15;
    // A valid frequency table (so decoding actually runs), random states and words.
    const uint32_t total = 1u << r.scale_bits;
    r.freq.assign(r.alphabet, 0);
    for (uint32_t k = 0; k < total; ++k) ++r.freq[rng() % r.alphabet];
    r.state.clear();
    for (int j = 0; j < r.n_states; ++j) r.state.push_back((uint32_t)(rng() | (1u << 16)));
    r.word_count = (uint32_t)(rng() % 300);
    for (uint32_t k = 0; k < r.word_count; ++k) r.words.push_back((uint16_t)rng());
    const std::vector<uint8_t> payload = r.bytes();
    const uint64_t count = rng() % 1000;
    Status st = rans_decode(payload.data(), payload.size(), count, -15, 15, out.data(), nullptr);
    if (!st.ok()) {
      EXPECT_EQ(st.code(), StatusCode::bad_format);
    }
  }
}

TEST(Rans, EncoderRejectsBadArguments) {
  const std::vector<int8_t> codes{0, 1, 9};
  std::vector<uint8_t> payload;
  Status st = rans_encode(codes.data(), codes.size(), -8, 7, &payload);
  EXPECT_EQ(st.code(), StatusCode::invalid_argument);
  EXPECT_NE(st.message().find("code 9 outside [-8, 7]"), std::string::npos) << st.message();
  EXPECT_EQ(rans_encode(codes.data(), codes.size(), 3, 3, &payload).code(), StatusCode::invalid_argument);
  EXPECT_EQ(rans_encode(codes.data(), codes.size(), -200, 7, &payload).code(), StatusCode::invalid_argument);
  EXPECT_EQ(rans_encode(codes.data(), codes.size(), -8, 70, nullptr).code(), StatusCode::invalid_argument);
  EXPECT_TRUE(payload.empty());
}

}  // namespace
}  // namespace golf
