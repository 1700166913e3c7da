// selftest_util.cpp: the harness's registry and comparison helpers (selftest.h).
#include <cmath>
#include <cstring>

#include "selftest.h"

namespace golf::gpu_test {

std::vector<SelftestPart>& selftest_parts() {
  static std::vector<SelftestPart> parts;
  return parts;
}

SelftestRegistrar::SelftestRegistrar(std::string name, int order, SelftestFn fn) {
  selftest_parts().push_back(SelftestPart{std::move(name), order, std::move(fn)});
}

CheckResult compared_row(const std::string& part, const std::string& name, const std::string& shape,
                         const std::string& precision, double error, double tolerance, bool deterministic, double ms,
                         const std::string& note) {
  CheckResult r;
  r.part = part;
  r.name = name;
  r.shape = shape;
  r.precision = precision;
  r.error = error;
  r.tolerance = tolerance;
  r.deterministic = deterministic;
  r.ms = ms;
  r.pass = deterministic && error <= tolerance;  // NaN fails
  r.note = note;
  return r;
}

double rel_error(const float* got, const float* want, size_t n) {
  double num = 0, den = 0;
  for (size_t i = 0; i < n; i++) {
    const double d = (double)got[i] - (double)want[i];
    num += d * d;
    den += (double)want[i] * want[i];
  }
  if (!std::isfinite(num)) return INFINITY;
  return std::sqrt(num) / std::max(std::sqrt(den), 1e-30);
}

double max_abs_diff(const float* got, const float* want, size_t n) {
  double m = 0;
  for (size_t i = 0; i < n; i++) {
    const double d = std::fabs((double)got[i] - (double)want[i]);
    if (!(d <= m)) m = d;  // NaN propagates as the maximum
  }
  return m;
}

bool bits_equal(const void* a, const void* b, size_t bytes) { return std::memcmp(a, b, bytes) == 0; }

namespace {
uint64_t splitmix64(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
double uniform01(uint64_t* state) { return (double)(splitmix64(state) >> 11) * (1.0 / 9007199254740992.0); }
}  // namespace

void fill_uniform(std::vector<float>* x, uint64_t seed, float lo, float hi) {
  uint64_t s = seed;
  for (float& v : *x) v = (float)(lo + (hi - lo) * uniform01(&s));
}

void fill_normal(std::vector<float>* x, uint64_t seed, float std) {
  uint64_t s = seed;
  for (float& v : *x) {
    const double u1 = std::max(uniform01(&s), 1e-300), u2 = uniform01(&s);
    v = (float)(std * std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2));
  }
}

void fill_tokens(std::vector<int32_t>* x, uint64_t seed, int vocab) {
  uint64_t s = seed;
  for (int32_t& v : *x) v = (int32_t)(splitmix64(&s) % (uint64_t)vocab);
}

}  // namespace golf::gpu_test
