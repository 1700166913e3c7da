// bench_rans.cpp: golf-bench-rans, the speed and compression figures of the rANS codec (format/rans.cpp) on
// synthetic quantized tensors: int6, int8 and int4 Laplacians. Prints decode and encode MB/s (1 code = 1 byte;
// median and best of several runs, the best shows the code's own speed on a busy machine) and bits/code against
// the empirical entropy. A report, not a test.
//
// Usage: golf-bench-rans [codes (default 16777216)] [runs (default 9)]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "args.h"  // defines: golf::cli::ArgParser
#include "rans.h"

namespace {

// Laplace(0, b) rounded and clamped to [-limit, limit]: the shape of a trained layer's quantized codes.
std::vector<int8_t> laplacian_codes(uint64_t n, double b, int limit, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uniform(-0.5, 0.5);
  std::vector<int8_t> codes(n);
  for (auto& c : codes) {
    const double u = uniform(rng);
    const double x = -b * (u < 0 ? -1 : 1) * std::log(1 - 2 * std::fabs(u));
    c = (int8_t)std::clamp((int)std::lround(x), -limit, limit);
  }
  return codes;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Returns false (after printing why) if the codec fails or the round trip differs.
bool bench(const char* name, double b, int limit, uint64_t count, int runs) {
  const std::vector<int8_t> codes = laplacian_codes(count, b, limit, 1234);
  std::vector<uint8_t> payload;
  std::vector<double> encode_s, decode_s;
  for (int r = 0; r < runs; ++r) {
    payload.clear();
    const auto start = std::chrono::steady_clock::now();
    const golf::Status st = golf::rans_encode(codes.data(), count, -limit, limit, &payload);
    encode_s.push_back(seconds_since(start));
    if (!st.ok()) return std::printf("%s: encode failed: %s\n", name, st.message().c_str()), false;
  }
  std::vector<int8_t> decoded(count);
  for (int r = 0; r < runs; ++r) {
    size_t consumed = 0;
    const auto start = std::chrono::steady_clock::now();
    const golf::Status st =
        golf::rans_decode(payload.data(), payload.size(), count, -limit, limit, decoded.data(), &consumed);
    decode_s.push_back(seconds_since(start));
    if (!st.ok()) return std::printf("%s: decode failed: %s\n", name, st.message().c_str()), false;
  }
  if (decoded != codes) return std::printf("%s: round trip differs\n", name), false;

  const double entropy = golf::empirical_entropy_bits(codes.data(), count);
  const double bits = 8.0 * payload.size() / count;
  const double mb = count / 1e6;
  std::printf("%s, %llu codes: H %.4f bits/code, coded %.4f bits/code (%.3f%% over H)\n"
              "    decode %6.1f MB/s median, %6.1f best; encode %6.1f MB/s median, %6.1f best (%d runs)\n",
              name, (unsigned long long)count, entropy, bits, 100.0 * (bits / entropy - 1), mb / median(decode_s),
              mb / *std::min_element(decode_s.begin(), decode_s.end()), mb / median(encode_s),
              mb / *std::min_element(encode_s.begin(), encode_s.end()), runs);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t count = 1ull << 24;
  int runs = 9;
  std::vector<std::string> numbers;
  golf::cli::ArgParser args("golf-bench-rans", "[COUNT [RUNS]]",
                            "Decode/encode speed and compression of the rANS codec on Laplace-distributed codes.");
  args.positionals("COUNT [RUNS]", &numbers, 0, 2, "codes per run (default 16777216) and runs (default 9)");
  if (int rc = args.parse(argc, argv); rc >= 0) return rc;
  int64_t n = 0;
  if (numbers.size() > 0) {
    if (std::string e = golf::cli::parse_integer(numbers[0], 1, int64_t(1) << 34, &n); !e.empty())
      return args.usage_error("COUNT " + numbers[0] + ": " + e);
    count = (uint64_t)n;
  }
  if (numbers.size() > 1) {
    if (std::string e = golf::cli::parse_integer(numbers[1], 1, 10000, &n); !e.empty())
      return args.usage_error("RUNS " + numbers[1] + ": " + e);
    runs = (int)n;
  }
  std::printf("golf-bench-rans: %d states, scale_bits %d, one thread\n", golf::kRansStates, golf::kRansScaleBits);
  bool ok = bench("int6 Laplace(0, 5)", 5.0, 31, count, runs);
  ok = bench("int8 Laplace(0, 20)", 20.0, 127, count, runs) && ok;
  ok = bench("int4 Laplace(0, 1.5)", 1.5, 7, count, runs) && ok;
  return ok ? 0 : 1;
}
