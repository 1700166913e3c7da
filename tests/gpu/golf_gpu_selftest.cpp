// golf-gpu-selftest: the one command that checks the CUDA trainer on a GPU: every op against its CPU twin (fp32 and
// bf16, odd shapes, bits equal across two runs), the model against the CPU backend, save/resume, and the speed at
// the baseline shape; one summary table, optional JSON, exit status 0 only when every row passes. Without a GPU it
// says so and exits 77 (the test harness's "skipped"), so CI proves it builds, links and starts.
#include <cublasLt.h>
#include <cuda_runtime_api.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>  // defines: nlohmann::json
#include "selftest.h"         // defines: selftest_parts, CheckResult, SelftestOptions

namespace gt = golf::gpu_test;

namespace {

constexpr int kExitSkip = 77;

void usage(FILE* f) {
  std::fprintf(f,
               "usage: golf-gpu-selftest [--quick] [--skip-speed] [--filter TEXT] [--json PATH] [--seed N]\n"
               "  Runs every CUDA trainer op against its CPU twin, the model against the CPU backend, save/resume,\n"
               "  and the speed at the baseline shape, then prints one summary table.\n"
               "  --quick        fewer shapes and no speed part\n"
               "  --skip-speed   no speed part\n"
               "  --filter TEXT  only checks whose part or name contains TEXT\n"
               "  --json PATH    also write every row as JSON to PATH\n"
               "  --seed N       seed of the random inputs (default 1234)\n"
               "Exit status: 0 all passed, 1 a check failed, 2 usage error, 77 no CUDA device.\n");
}

std::string device_line(int dev) {
  cudaDeviceProp p{};
  if (cudaGetDeviceProperties(&p, dev) != cudaSuccess) return "?";
  int driver = 0, runtime = 0;
  cudaDriverGetVersion(&driver);
  cudaRuntimeGetVersion(&runtime);
  char buf[512];
  std::snprintf(buf, sizeof buf, "%s, sm_%d%d, %d SMs, %.1f GiB; driver API %d, runtime %d, cuBLASLt %zu", p.name,
                p.major, p.minor, p.multiProcessorCount, (double)p.totalGlobalMem / (1 << 30), driver, runtime,
                cublasLtGetVersion());
  return buf;
}

void print_table(const std::vector<gt::CheckResult>& rows) {
  std::printf("\n%-6s %-34s %-28s %-5s %10s %10s %4s %9s %-4s %s\n", "part", "check", "shape", "prec", "error",
              "tolerance", "det", "ms", "ok", "note");
  for (const gt::CheckResult& r : rows) {
    std::printf("%-6s %-34s %-28s %-5s %10.3g %10.3g %4s %9.3f %-4s %s\n", r.part.c_str(), r.name.c_str(),
                r.shape.c_str(), r.precision.c_str(), r.error, r.tolerance, r.deterministic ? "yes" : "NO", r.ms,
                r.pass ? "ok" : "FAIL", r.note.c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  gt::SelftestOptions opt;
  std::string json_path;
  for (int i = 1; i < argc; i++) {
    const std::string a = argv[i];
    auto value = [&](const char* flag) -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "golf-gpu-selftest: %s needs a value\n", flag);
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--help" || a == "-h") {
      usage(stdout);
      return 0;
    } else if (a == "--quick") {
      opt.quick = true;
    } else if (a == "--skip-speed") {
      opt.skip_speed = true;
    } else if (a == "--filter") {
      opt.filter = value("--filter");
    } else if (a == "--json") {
      json_path = value("--json");
    } else if (a == "--seed") {
      const char* v = value("--seed");
      char* end = nullptr;
      opt.seed = std::strtoull(v, &end, 10);
      if (!*v || *end) {
        std::fprintf(stderr, "golf-gpu-selftest: --seed: '%s' is not a non-negative integer\n", v);
        return 2;
      }
    } else {
      std::fprintf(stderr, "golf-gpu-selftest: unknown option '%s' (see --help)\n", a.c_str());
      return 2;
    }
  }

  int n = 0;
  const cudaError_t err = cudaGetDeviceCount(&n);
  if (err != cudaSuccess || n == 0) {
    std::printf("golf-gpu-selftest: no CUDA device (%s); nothing to check here\n",
                err == cudaSuccess ? "0 devices" : cudaGetErrorString(err));
    return kExitSkip;
  }
  std::printf("golf-gpu-selftest: device 0: %s\n", device_line(0).c_str());

  std::vector<gt::SelftestPart> parts = gt::selftest_parts();
  std::stable_sort(parts.begin(), parts.end(),
                   [](const gt::SelftestPart& a, const gt::SelftestPart& b) { return a.order < b.order; });
  std::vector<gt::CheckResult> rows;
  int part_errors = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (const gt::SelftestPart& part : parts) {
    if ((opt.quick || opt.skip_speed) && part.name == "speed") continue;
    const auto p0 = std::chrono::steady_clock::now();
    std::printf("golf-gpu-selftest: %s ...\n", part.name.c_str());
    std::fflush(stdout);
    std::vector<gt::CheckResult> part_rows;
    golf::Status st = part.run(opt, &part_rows);
    for (gt::CheckResult& r : part_rows) {
      if (!opt.filter.empty() && r.part.find(opt.filter) == std::string::npos &&
          r.name.find(opt.filter) == std::string::npos)
        continue;
      rows.push_back(std::move(r));
    }
    if (!st.ok()) {
      part_errors++;
      gt::CheckResult r;
      r.part = part.name;
      r.name = "(part could not run)";
      r.note = st.message();
      rows.push_back(r);
    }
    std::printf("golf-gpu-selftest: %s done in %.1f s\n", part.name.c_str(),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - p0).count());
  }
  print_table(rows);
  const size_t failed = std::count_if(rows.begin(), rows.end(), [](const gt::CheckResult& r) { return !r.pass; });
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("\ngolf-gpu-selftest: %zu checks, %zu failed, %.1f s\n", rows.size(), failed, seconds);

  if (!json_path.empty()) {
    nlohmann::json j;
    j["device"] = device_line(0);
    j["seconds"] = seconds;
    j["failed"] = failed;
    for (const gt::CheckResult& r : rows) {
      j["rows"].push_back({{"part", r.part}, {"name", r.name}, {"shape", r.shape}, {"precision", r.precision},
                           {"error", r.error}, {"tolerance", r.tolerance}, {"deterministic", r.deterministic},
                           {"ms", r.ms}, {"pass", r.pass}, {"note", r.note}});
    }
    FILE* f = std::fopen(json_path.c_str(), "w");
    if (!f || std::fputs(j.dump(1).c_str(), f) < 0 || std::fclose(f) != 0) {
      std::fprintf(stderr, "golf-gpu-selftest: cannot write %s\n", json_path.c_str());
      return 1;
    }
  }
  return failed == 0 && part_errors == 0 && !rows.empty() ? 0 : 1;
}
