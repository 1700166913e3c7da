// selftest.h: the GPU self-test's harness, in the manner of ggml's test-backend-ops: every CUDA op of the trainer
// runs on random inputs of several shapes (odd ones included: partial tiles, rows that are not a multiple of a warp)
// beside its CPU twin from trainer/cpu, which is the reference (itself checked against PyTorch in CI). fp32
// instantiations must agree to a relative error of 1e-5; bf16 ones to a tolerance each case states. Every CUDA op
// runs twice and must give the same bits. Model-level checks (a short training run against the CPU backend,
// save/resume) and the speed figures register the same way and report rows into the same summary table.
//
// Parts register themselves from their own file (a static SelftestRegistrar), so each file of tests/gpu/ is one
// job: ops_rows.cpp, ops_attention.cpp, ops_gemm.cpp, model_checks.cpp, speed.cpp.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "status.h"  // defines: Status

namespace golf::gpu_test {

// One row of the summary table.
struct CheckResult {
  std::string part;       // "ops", "model", "speed"
  std::string name;       // "rms_norm_forward", "train 30 steps cpu-small", "step baseline"
  std::string shape;      // "rows=150 cols=64"
  std::string precision;  // "fp32", "bf16", or "" when not applicable
  double error = 0;       // the measured error (relative Frobenius unless `note` says otherwise)
  double tolerance = 0;   // the bound `error` must stay under (0 with pass decided otherwise, e.g. speed rows)
  bool deterministic = true;  // two runs gave equal bits (ops and steps)
  double ms = 0;          // device time of one run, informational
  bool pass = false;
  std::string note;       // figures (tokens/s, MFU) or what failed
};

// Flags of golf-gpu-selftest that parts may read.
struct SelftestOptions {
  bool quick = false;        // fewer shapes, no speed part: for a first run on a newly lent GPU
  bool skip_speed = false;
  std::string filter;        // run only checks whose part/name contains this text
  uint64_t seed = 1234;
};

// A part adds rows to `out`; a Status error means the part could not run at all (a failing comparison is a row
// with pass = false, not an error).
using SelftestFn = std::function<Status(const SelftestOptions&, std::vector<CheckResult>* out)>;
struct SelftestPart {
  std::string name;  // "ops/rows", "ops/attention", "ops/gemm", "model", "speed"
  int order = 0;     // parts run in increasing order (ops 10-19, model 20, speed 30)
  SelftestFn run;
};
std::vector<SelftestPart>& selftest_parts();
struct SelftestRegistrar {
  SelftestRegistrar(std::string name, int order, SelftestFn fn);
};

// A comparison's row: it passes when both runs gave equal bits and error <= tolerance (a NaN error fails).
CheckResult compared_row(const std::string& part, const std::string& name, const std::string& shape,
                         const std::string& precision, double error, double tolerance, bool deterministic,
                         double ms = 0, const std::string& note = "");

// ---- comparison helpers --------------------------------------------------------------------------------------------

// ‖got − want‖_F / max(‖want‖_F, tiny), in double.
double rel_error(const float* got, const float* want, size_t n);
double max_abs_diff(const float* got, const float* want, size_t n);
bool bits_equal(const void* a, const void* b, size_t bytes);
// Deterministic pseudo-random fills (SplitMix64), so every run and every GPU sees the same inputs.
void fill_uniform(std::vector<float>* x, uint64_t seed, float lo, float hi);
void fill_normal(std::vector<float>* x, uint64_t seed, float std);
void fill_tokens(std::vector<int32_t>* x, uint64_t seed, int vocab);

// The tolerance of fp32 comparisons against the CPU twin (the bound).
constexpr double kFp32Tolerance = 1e-5;

}  // namespace golf::gpu_test
