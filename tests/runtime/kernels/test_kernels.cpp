// test_kernels.cpp: checks every kernel path this machine can run (scalar, avx2, avx512vnni, neon, neon_dotprod)
// against an fp64 model of SPEC.md §5.2 written here independently, and against the scalar path: activation
// quantization bit-exact, quantized matmuls for every dtype × group size × odd shapes × 1-3 threads, fp32
// matmuls, quantized weights × fp32 activations (test_f32act.cpp), the thread pool and argument checks. A plain program with its own CHECK macros (no GoogleTest) so the
// same source runs cross-compiled under qemu-aarch64 (tests/aarch64/check_aarch64.sh).
//
// Options: --require a,b   fail unless these paths ran (default on Linux: what /proc/cpuinfo says the CPU has)
//          --forbid a,b    fail if these paths ran (checks detection on a CPU without them)
//          --expect-path p the path active at start-up must be p (tests GOLF_KERNEL)
//          --dump FILE     write the scalar path's outputs of fixed cases (for comparing architectures)
//          --compare FILE  compare this machine's scalar outputs with a dump from another machine
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "act_quant.h"
#include "half.h"
#include "kernel_paths.h"
#include "kernel_test_util.h"
#include "matmul.h"
#include "quant_matrix.h"
#include "thread_pool.h"

using golf::Dtype;
using namespace golf::kernels;

namespace kernel_test {

long g_checks = 0;
long g_failures = 0;

std::vector<std::string> available_paths() {
  int count = 0;
  const char* const* names = kernel_path_names(&count);
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i)
    if (kernel_path_available(names[i])) out.push_back(names[i]);
  return out;
}

}  // namespace kernel_test

using namespace kernel_test;

namespace {

struct OwnedActs {
  std::vector<int8_t> codes;
  std::vector<float> scales;
  std::vector<int32_t> sums;
  QuantActs view;
};

OwnedActs quantize_with_active_path(const std::vector<float>& x, int rows, int cols, ThreadPool* pool) {
  OwnedActs a;
  a.codes.resize((size_t)rows * cols);
  a.scales.resize((size_t)rows * cols / 32);
  a.sums.resize((size_t)rows * cols / 32);
  quantize_acts(x.data(), rows, cols, a.codes.data(), a.scales.data(), a.sums.data(), pool);
  a.view.rows = rows;
  a.view.cols = cols;
  a.view.codes = a.codes.data();
  a.view.scales = a.scales.data();
  a.view.sums = a.sums.data();
  return a;
}

// fp64 model: y = Σ_blocks xs · ws · Σ x·w, and mag = Σ_blocks |xs · ws| · Σ |x·w| (the tolerance's scale).
void reference(const OwnedActs& a, const TestMatrix& w, std::vector<double>* y, std::vector<double>* mag) {
  int M = a.view.rows, N = w.rows, K = w.cols;
  y->assign((size_t)M * N, 0.0);
  mag->assign((size_t)M * N, 0.0);
  for (int m = 0; m < M; ++m)
    for (int n = 0; n < N; ++n) {
      double s = 0, g = 0;
      for (int b = 0; b < K / 32; ++b) {
        long isum = 0, iabs = 0;
        for (int c = 0; c < 32; ++c) {
          long p = (long)a.codes[(size_t)m * K + b * 32 + c] * (long)w.codes[(size_t)n * K + b * 32 + c];
          isum += p;
          iabs += std::labs(p);
        }
        double sc = (double)a.scales[(size_t)m * (K / 32) + b] * (double)w.scale(n, b * 32);
        s += sc * (double)isum;
        g += std::fabs(sc) * (double)iabs;
      }
      (*y)[(size_t)m * N + n] = s;
      (*mag)[(size_t)m * N + n] = g;
    }
}

constexpr double kRelTol = 1e-5;

std::vector<std::string> g_ran;  // paths that executed a matmul
void note_ran(const std::string& p) {
  if (std::find(g_ran.begin(), g_ran.end(), p) == g_ran.end()) g_ran.push_back(p);
}

// One quantized case on every path; returns the scalar path's y (for dumps).
std::vector<float> run_quant_case(Dtype dtype, uint32_t G, int M, int N, int K, int case_index,
                                  const std::vector<std::string>& paths, ThreadPool* pools[3],
                                  std::vector<double>* mag_out = nullptr) {
  Rng rng(case_seed((int)dtype, (int)G, M, N, K));
  TestMatrix w = make_matrix(dtype, N, K, G, rng);
  std::vector<float> x = make_acts(M, K, rng);
  char label[128];
  std::snprintf(label, sizeof label, "%s g%u M=%d N=%d K=%d", dtype_str(dtype), G, M, N, K);

  select_kernel_path("scalar");
  OwnedActs ref_acts = quantize_with_active_path(x, M, K, nullptr);
  std::vector<double> yref, mag;
  reference(ref_acts, w, &yref, &mag);
  std::vector<float> y_scalar;

  const size_t ldy = (size_t)N + 3;  // padding columns must stay untouched
  const float canary = -12345.0f;
  for (size_t p = 0; p < paths.size(); ++p) {
    const std::string& path = paths[p];
    CHECK(select_kernel_path(path.c_str()));
    int threads = 1 + (case_index + (int)p) % 3;
    ThreadPool* pool = pools[threads - 1];
    OwnedActs acts = quantize_with_active_path(x, M, K, pool);
    CHECK_MSG(acts.codes == ref_acts.codes, "%s: %s activation codes differ from scalar", label, path.c_str());
    CHECK_MSG(std::memcmp(acts.scales.data(), ref_acts.scales.data(), 4 * acts.scales.size()) == 0,
              "%s: %s activation scales differ", label, path.c_str());
    CHECK_MSG(acts.sums == ref_acts.sums, "%s: %s activation sums differ", label, path.c_str());
    std::vector<float> y((size_t)M * ldy, canary);
    golf::Status st = matmul_quant(ref_acts.view, w.view, y.data(), ldy, pool);
    CHECK_MSG(st.ok(), "%s: %s: %s", label, path.c_str(), st.message().c_str());
    note_ran(path);
    if (path == "scalar") {
      y_scalar.resize((size_t)M * N);
      for (int m = 0; m < M; ++m)
        for (int n = 0; n < N; ++n) y_scalar[(size_t)m * N + n] = y[(size_t)m * ldy + n];
    }
    int bad = 0;
    for (int m = 0; m < M; ++m) {
      for (int n = 0; n < N; ++n) {
        double v = y[(size_t)m * ldy + n], r = yref[(size_t)m * N + n];
        double tol = kRelTol * mag[(size_t)m * N + n] + 1e-30;
        bool ok = std::fabs(v - r) <= tol;
        if (!y_scalar.empty()) ok = ok && std::fabs(v - (double)y_scalar[(size_t)m * N + n]) <= tol;
        if (!ok && bad++ < 3)
          CHECK_MSG(false, "%s threads=%d: %s y[%d][%d] = %.9g, fp64 %.9g, scalar %.9g, tol %.3g", label, threads,
                    path.c_str(), m, n, v, r, y_scalar.empty() ? 0.0 : (double)y_scalar[(size_t)m * N + n], tol);
      }
      for (size_t c = (size_t)N; c < ldy; ++c)
        CHECK_MSG(y[(size_t)m * ldy + c] == canary, "%s: %s wrote past column N", label, path.c_str());
    }
    g_checks += (long)M * N;
  }
  if (mag_out) *mag_out = mag;
  return y_scalar;
}

void test_quant_matmuls(const std::vector<std::string>& paths, ThreadPool* pools[3]) {
  const Dtype dtypes[] = {Dtype::q8, Dtype::q4, Dtype::q2, Dtype::q3, Dtype::q5, Dtype::q6, Dtype::q7};
  const int Ks[] = {32, 64, 96, 160, 192, 224, 544, 640};
  const int Ms[] = {1, 2, 3, 4, 7, 17, 64};
  const int Ns[] = {1, 5, 33, 67};
  int case_index = 0;
  for (Dtype d : dtypes) {
    bool full = d == Dtype::q8 || d == Dtype::q4;  // the others share the int8 kernel with q8
    std::vector<uint32_t> groups = d == Dtype::q4 ? std::vector<uint32_t>{32, 64} : std::vector<uint32_t>{0, 32, 64, 128};
    for (uint32_t G : groups)
      for (int K : Ks) {
        if (K % (int)std::max(G, 32u) != 0) continue;
        if (!full && K != 96 && K != 640 && K != 64) continue;
        for (int M : Ms)
          for (int N : Ns) {
            if (!full && !((M == 1 && N == 33) || (M == 17 && N == 67) || (M == 3 && N == 5))) continue;
            run_quant_case(d, G, M, N, K, case_index++, paths, pools);
          }
      }
  }
  std::printf("quantized matmul: %d cases\n", case_index);
}

// matmul_quant_many must give exactly what separate matmul_quant calls give (each output column's arithmetic
// does not depend on how N is cut into ranges).
void test_quant_matmul_many(const std::vector<std::string>& paths, ThreadPool* pools[3]) {
  int cases = 0;
  for (Dtype d : {Dtype::q8, Dtype::q4})
    for (int M : {1, 5, 17}) {
      const int K = 192, Ns[3] = {5, 67, 33};
      uint32_t G = d == Dtype::q4 ? 64 : 32;
      Rng rng(case_seed(7, (int)d, M, K, 3));
      std::vector<TestMatrix> ws;
      for (int N : Ns) ws.push_back(make_matrix(d, N, K, G, rng));
      std::vector<float> x = make_acts(M, K, rng);
      for (size_t p = 0; p < paths.size(); ++p) {
        CHECK(select_kernel_path(paths[p].c_str()));
        OwnedActs a = quantize_with_active_path(x, M, K, nullptr);
        for (int T = 1; T <= 3; ++T) {
          std::vector<std::vector<float>> separate(3), together(3);
          QuantMatmulOut outs[3];
          for (int i = 0; i < 3; ++i) {
            separate[i].assign((size_t)M * Ns[i], 0.0f);
            together[i].assign((size_t)M * Ns[i], -1.0f);
            CHECK(matmul_quant(a.view, ws[i].view, separate[i].data(), (size_t)Ns[i], pools[T - 1]).ok());
            outs[i].w = &ws[i].view;
            outs[i].y = together[i].data();
            outs[i].ldy = (size_t)Ns[i];
          }
          CHECK(matmul_quant_many(a.view, outs, 3, pools[T - 1]).ok());
          for (int i = 0; i < 3; ++i)
            CHECK_MSG(std::memcmp(separate[i].data(), together[i].data(), 4 * separate[i].size()) == 0,
                      "matmul_quant_many %s %s M=%d matrix %d threads %d", paths[p].c_str(), dtype_str(d), M, i, T);
          ++cases;
        }
      }
    }
  QuantMatmulOut bad[1];
  bad[0].w = nullptr;
  Rng rng(3);
  std::vector<float> x = make_acts(1, 64, rng);
  OwnedActs a = quantize_with_active_path(x, 1, 64, nullptr);
  CHECK(!matmul_quant_many(a.view, bad, 1, nullptr).ok());
  CHECK(matmul_quant_many(a.view, nullptr, 0, nullptr).ok());
  std::printf("matmul_quant_many: %d cases\n", cases);
}

void test_f32_matmuls(const std::vector<std::string>& paths, ThreadPool* pools[3]) {
  const int Ms[] = {1, 3, 4, 5, 17};
  const int Ns[] = {1, 2, 5, 33};
  const int Ks[] = {1, 7, 16, 17, 33, 100, 513};
  int case_index = 0;
  for (int M : Ms)
    for (int N : Ns)
      for (int K : Ks) {
        Rng rng(case_seed(1, 0, M, N, K));
        std::vector<float> x((size_t)M * K), w((size_t)N * K);
        for (auto& v : x) v = rng.uniform();
        for (auto& v : w) v = rng.uniform();
        for (size_t p = 0; p < paths.size(); ++p) {
          CHECK(select_kernel_path(paths[p].c_str()));
          ThreadPool* pool = pools[(case_index + p) % 3];
          std::vector<float> y((size_t)M * N, 0.0f);
          golf::Status st = matmul_f32(x.data(), M, K, w.data(), N, y.data(), (size_t)N, pool);
          CHECK_MSG(st.ok(), "f32: %s", st.message().c_str());
          int bad = 0;
          for (int m = 0; m < M; ++m)
            for (int n = 0; n < N; ++n) {
              double r = 0, g = 0;
              for (int k = 0; k < K; ++k) {
                double p2 = (double)x[(size_t)m * K + k] * w[(size_t)n * K + k];
                r += p2;
                g += std::fabs(p2);
              }
              double v = y[(size_t)m * N + n];
              if (!(std::fabs(v - r) <= kRelTol * g + 1e-30) && bad++ < 3)
                CHECK_MSG(false, "f32 %s M=%d N=%d K=%d y[%d][%d] = %.9g, fp64 %.9g", paths[p].c_str(), M, N, K, m, n,
                          v, r);
            }
        }
        ++case_index;
      }
  std::printf("fp32 matmul: %d cases\n", case_index);
}

void test_thread_pool() {
  for (int T = 1; T <= 3; ++T) {
    ThreadPool pool(T);
    CHECK(pool.n_threads() == T);
    for (int n_tasks : {0, 1, 2, 3, 7, 100, 1000, 70000}) {
      std::vector<std::atomic<int>> hits((size_t)std::max(n_tasks, 1));
      for (auto& h : hits) h.store(0);
      std::atomic<int> bad_thread{0};
      pool.parallel_for(n_tasks, [&](int task, int thread) {
        hits[(size_t)task].fetch_add(1);
        if (thread < 0 || thread >= T) bad_thread.fetch_add(1);
      });
      for (int t = 0; t < n_tasks; ++t) CHECK_MSG(hits[(size_t)t].load() == 1, "T=%d n=%d task %d", T, n_tasks, t);
      CHECK(bad_thread.load() == 0);
    }
    // Many back-to-back calls (the per-token pattern), and a call after the workers went to sleep.
    std::atomic<long> total{0};
    for (int rep = 0; rep < 3000; ++rep) pool.parallel_for(5, [&](int task, int) { total.fetch_add(task); });
    CHECK(total.load() == 3000L * 10);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    total = 0;
    pool.parallel_for(4, [&](int task, int) { total.fetch_add(task + 1); });
    CHECK(total.load() == 10);
    // A nested call runs inline instead of deadlocking.
    std::atomic<int> inner{0};
    pool.parallel_for(3, [&](int, int) { pool.parallel_for(4, [&](int, int) { inner.fetch_add(1); }); });
    CHECK(inner.load() == 12);
  }
  for (int rep = 0; rep < 20; ++rep) ThreadPool pool(3);  // created and destroyed at once
  std::printf("thread pool: ok\n");
}

void test_argument_checks() {
  Rng rng(7);
  TestMatrix w = make_matrix(Dtype::q8, 4, 64, 0, rng);
  std::vector<float> xf = make_acts(2, 64, rng);
  OwnedActs a = quantize_with_active_path(xf, 2, 64, nullptr);
  std::vector<float> y(16);
  CHECK(matmul_quant(a.view, w.view, y.data(), 4, nullptr).ok());
  CHECK(!matmul_quant(a.view, w.view, y.data(), 3, nullptr).ok());  // ldy < N
  QuantMatrix bad = w.view;
  bad.group_size = 48;
  CHECK(!matmul_quant(a.view, bad, y.data(), 4, nullptr).ok());
  bad = w.view;
  bad.dtype = Dtype::q4;
  bad.group_size = 0;  // q4 needs groups
  CHECK(!matmul_quant(a.view, bad, y.data(), 4, nullptr).ok());
  bad = w.view;
  bad.dtype = Dtype::f32;
  CHECK(!matmul_quant(a.view, bad, y.data(), 4, nullptr).ok());
  QuantActs short_x = a.view;
  short_x.cols = 32;
  CHECK(!matmul_quant(short_x, w.view, y.data(), 4, nullptr).ok());
  CHECK(!matmul_f32(xf.data(), 2, 64, xf.data(), 2, y.data(), 1, nullptr).ok());
  QuantActsBuffer buf;
  QuantActs view;
  CHECK(!buf.quantize(xf.data(), 2, 48, &view).ok());
  CHECK(buf.quantize(xf.data(), 2, 64, &view).ok());
  CHECK(view.rows == 2 && view.cols == 64 && std::memcmp(view.codes, a.codes.data(), 128) == 0);
  CHECK(!kernel_path_available("no_such_path"));
  CHECK(!select_kernel_path("no_such_path"));
  std::printf("argument checks: ok\n");
}

// Fixed cases whose scalar outputs another architecture must reproduce (within tolerance; activation codes and
// scales bit for bit).
struct DumpCase { Dtype d; uint32_t G; int M, N, K; };
const DumpCase kDumpCases[] = {
    {Dtype::q8, 0, 3, 5, 160}, {Dtype::q8, 32, 17, 33, 544}, {Dtype::q8, 64, 4, 67, 640},
    {Dtype::q8, 128, 1, 33, 640}, {Dtype::q4, 32, 3, 33, 224}, {Dtype::q4, 64, 17, 5, 640},
    {Dtype::q2, 0, 2, 7, 96}, {Dtype::q5, 32, 5, 9, 192}, {Dtype::q7, 128, 7, 3, 256},
};

std::string dump_text(ThreadPool* pools[3]) {
  std::ostringstream out;
  std::vector<std::string> scalar_only = {"scalar"};
  for (const DumpCase& c : kDumpCases) {
    std::vector<double> mag;
    std::vector<float> y = run_quant_case(c.d, c.G, c.M, c.N, c.K, 0, scalar_only, pools, &mag);
    Rng rng(case_seed((int)c.d, (int)c.G, c.M, c.N, c.K));
    make_matrix(c.d, c.N, c.K, c.G, rng);
    std::vector<float> x = make_acts(c.M, c.K, rng);
    OwnedActs a = quantize_with_active_path(x, c.M, c.K, nullptr);
    uint64_t h = 1469598103934665603ull;
    auto mix = [&](const void* p, size_t n) {
      for (size_t i = 0; i < n; ++i) h = (h ^ static_cast<const uint8_t*>(p)[i]) * 1099511628211ull;
    };
    mix(a.codes.data(), a.codes.size());
    mix(a.scales.data(), 4 * a.scales.size());
    mix(a.sums.data(), 4 * a.sums.size());
    out << "case " << dtype_str(c.d) << " " << c.G << " " << c.M << " " << c.N << " " << c.K << " acts " << h << "\n";
    for (size_t i = 0; i < y.size(); ++i) {
      char line[96];
      std::snprintf(line, sizeof line, "%a %a\n", (double)y[i], mag[i]);
      out << line;
    }
  }
  return out.str();
}

void compare_dump(const std::string& mine, const std::string& theirs) {
  std::istringstream a(mine), b(theirs);
  std::string la, lb;
  int lines = 0, mismatches = 0;
  while (true) {
    bool ga = (bool)std::getline(a, la), gb = (bool)std::getline(b, lb);
    if (!ga || !gb) {
      CHECK_MSG(ga == gb, "dumps have different lengths");
      break;
    }
    ++lines;
    if (la.rfind("case", 0) == 0 || lb.rfind("case", 0) == 0) {
      CHECK_MSG(la == lb, "activation quantization differs: here '%s', there '%s'", la.c_str(), lb.c_str());
      continue;
    }
    double ya = std::strtod(la.c_str(), nullptr), yb = std::strtod(lb.c_str(), nullptr);
    double mag = std::strtod(la.c_str() + la.find(' ') + 1, nullptr);
    if (!(std::fabs(ya - yb) <= kRelTol * mag + 1e-30)) {
      if (mismatches++ < 5) CHECK_MSG(false, "line %d: here %.9g, there %.9g", lines, ya, yb);
    }
  }
  std::printf("cross-architecture comparison: %d lines, %d mismatches\n", lines, mismatches);
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) if (!item.empty()) out.push_back(item);
  return out;
}

// Paths the CPU has according to /proc/cpuinfo (independent of the kernels' own detection).
std::vector<std::string> required_from_cpuinfo() {
  std::vector<std::string> req;
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line)) {
    auto has = [&](const char* flag) { return (" " + line + " ").find(std::string(" ") + flag + " ") != std::string::npos; };
#if defined(__x86_64__)
    if (line.rfind("flags", 0) == 0) {
      if (has("avx2") && has("fma") && has("f16c")) req.push_back("avx2");
      if (has("avx512f") && has("avx512bw") && has("avx512vl") && has("avx512_vnni")) req.push_back("avx512vnni");
      break;
    }
#elif defined(__aarch64__)
    if (line.rfind("Features", 0) == 0) {
      req.push_back("neon");
      if (has("asimddp")) req.push_back("neon_dotprod");
      break;
    }
#endif
  }
  return req;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> required, forbidden;
  bool require_given = false;
  std::string dump_file, compare_file, expect_path;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--require" && i + 1 < argc) {
      required = split_commas(argv[++i]);
      require_given = true;
    } else if (a == "--forbid" && i + 1 < argc) {
      forbidden = split_commas(argv[++i]);
    } else if (a == "--dump" && i + 1 < argc) {
      dump_file = argv[++i];
    } else if (a == "--compare" && i + 1 < argc) {
      compare_file = argv[++i];
    } else if (a == "--expect-path" && i + 1 < argc) {
      expect_path = argv[++i];
    } else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  if (!require_given) required = required_from_cpuinfo();
  std::string initial = kernel_path_name();
  std::printf("initial path: %s\n", initial.c_str());
  if (!expect_path.empty()) CHECK_MSG(initial == expect_path, "GOLF_KERNEL: active %s, expected %s", initial.c_str(), expect_path.c_str());

  std::vector<std::string> paths = available_paths();
  ThreadPool pool1(1), pool2(2), pool3(3);
  ThreadPool* pools[3] = {&pool1, &pool2, &pool3};

  auto t0 = std::chrono::steady_clock::now();
  test_thread_pool();
  test_argument_checks();
  test_quant_matmuls(paths, pools);
  test_quant_matmul_many(paths, pools);
  test_f32_matmuls(paths, pools);
  test_quant_f32act(paths, pools);
  std::string dump = dump_text(pools);
  if (!dump_file.empty()) {
    std::ofstream f(dump_file);
    f << dump;
    CHECK_MSG((bool)f, "cannot write %s", dump_file.c_str());
  }
  if (!compare_file.empty()) {
    std::ifstream f(compare_file);
    CHECK_MSG((bool)f, "cannot read %s", compare_file.c_str());
    std::stringstream ss;
    ss << f.rdbuf();
    compare_dump(dump, ss.str());
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::printf("paths ran:");
  for (const auto& p : g_ran) std::printf(" %s", p.c_str());
  std::printf("\n");
  for (const auto& r : required)
    CHECK_MSG(std::find(g_ran.begin(), g_ran.end(), r) != g_ran.end(), "required path %s did not run", r.c_str());
  for (const auto& f : forbidden)
    CHECK_MSG(std::find(g_ran.begin(), g_ran.end(), f) == g_ran.end(), "path %s ran but must not", f.c_str());
  std::printf("%ld checks, %ld failures, %.1f s\n", g_checks, g_failures, secs);
  return g_failures == 0 ? 0 : 1;
}
