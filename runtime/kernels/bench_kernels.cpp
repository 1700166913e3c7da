// bench_kernels.cpp: golf-bench-kernels, the kernels' micro-benchmark. Per path and dtype: GEMM GOP/s (M = 512
// prompt tokens) and GEMV GB/s of weights (M = 1) at the baseline model's shapes (d = 512, kv = 256, MLP 1024,
// vocab 1024), then a matmul-only estimate of the model's tokens/s from full passes over all 9 layers' weights
// (activation quantization included; attention, norms and sampling not). Medians of repeats (and the best repeat,
// which says more on a busy machine). Prints; not a test.
//
// Usage: golf-bench-kernels [--paths a,b] [--threads 1,2] [--layers 9] [--quick]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "act_quant.h"
#include "args.h"  // defines: golf::cli::ArgParser
#include "half.h"
#include "kernel_paths.h"
#include "matmul.h"
#include "quant_matrix.h"
#include "thread_pool.h"

using golf::Dtype;
using namespace golf::kernels;

namespace {

// The bench only times calls that succeed: a failing call would return at once and look fast.
void must(const golf::Status& st, const char* what) {
  if (st.ok()) return;
  std::fprintf(stderr, "golf-bench-kernels: %s failed: %s\n", what, st.message().c_str());
  std::exit(1);
}

struct Recipe {
  Dtype dtype;
  uint32_t group;
  const char* label;
};

// A random quantized matrix in the raw layout (64-byte aligned, like a memory map).
struct BenchMatrix {
  std::vector<uint8_t> storage;
  QuantMatrix view;
  size_t bytes = 0;  // codes + scales actually read
};

BenchMatrix make_matrix(const Recipe& r, int N, int K, uint64_t seed) {
  BenchMatrix m;
  bool q4 = r.dtype == Dtype::q4;
  size_t code_bytes = q4 ? (size_t)N * K / 2 : (size_t)N * K;
  size_t n_groups = r.group == 0 ? 1 : (size_t)K / r.group;
  size_t scales_offset = (code_bytes + 63) / 64 * 64;
  m.storage.resize(scales_offset + 2 * (size_t)N * n_groups + 64);
  uint8_t* raw = m.storage.data();
  raw += (64 - reinterpret_cast<uintptr_t>(raw) % 64) % 64;
  uint64_t s = seed;
  for (size_t i = 0; i < code_bytes; ++i) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    uint8_t b = (uint8_t)(s >> 56);
    raw[i] = q4 ? b : (uint8_t)(b == 0x80 ? 0 : b);  // int8 codes stay in [-127, 127]
  }
  uint16_t* scales = reinterpret_cast<uint16_t*>(raw + scales_offset);
  for (size_t i = 0; i < (size_t)N * n_groups; ++i) scales[i] = golf::f32_to_f16(0.01f);
  must(quant_matrix_from_raw(r.dtype, N, K, r.group, raw, &m.view), "quant_matrix_from_raw");
  m.bytes = code_bytes + 2 * (size_t)N * n_groups;
  return m;
}

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct Timing {
  double median = 0, best = 0;  // seconds per call
};

template <class Fn>
Timing time_calls(int repeats, int calls_per_repeat, Fn&& fn) {
  std::vector<double> t;
  fn();  // warm-up
  for (int r = 0; r < repeats; ++r) {
    double t0 = now_s();
    for (int c = 0; c < calls_per_repeat; ++c) fn();
    t.push_back((now_s() - t0) / calls_per_repeat);
  }
  std::sort(t.begin(), t.end());
  return {t[t.size() / 2], t[0]};
}

template <class Fn>
double median_seconds(int repeats, int calls_per_repeat, Fn&& fn) {
  return time_calls(repeats, calls_per_repeat, fn).median;
}

struct Shape {
  int N, K;
  const char* what;
};
const Shape kShapes[] = {{512, 512, "attn q/proj"}, {256, 512, "attn k/v"}, {1024, 512, "mlp fc, head"},
                         {512, 1024, "mlp proj"}};

// The matmuls of one token through the model: per layer q, k, v, proj, fc, mlp-proj; then the head.
struct Model {
  std::vector<BenchMatrix> mats;  // layer-major, head last
  std::vector<int> input_of;      // which activation (0: d-wide, 1: MLP-wide) each matmul reads
};

Model make_model(const Recipe& r, int layers) {
  Model m;
  const Shape per_layer[] = {{512, 512, ""}, {256, 512, ""}, {256, 512, ""}, {512, 512, ""}, {1024, 512, ""},
                             {512, 1024, ""}};
  uint64_t seed = 1;
  for (int l = 0; l < layers; ++l)
    for (const Shape& s : per_layer) {
      m.mats.push_back(make_matrix(r, s.N, s.K, seed++));
      m.input_of.push_back(s.K == 1024 ? 1 : 0);
    }
  m.mats.push_back(make_matrix(r, 1024, 512, seed++));
  m.input_of.push_back(0);
  return m;
}

// One forward pass of M tokens: the activation quantizations a real pass needs (the q/k/v input once, then one
// before each other matmul) and every matmul, q/k/v together.
void model_pass(const Model& model, int M, const std::vector<float>& x512, const std::vector<float>& x1024,
                QuantActsBuffer* buf, std::vector<float>* y, ThreadPool* pool) {
  QuantActs acts;
  for (size_t i = 0; i < model.mats.size(); ++i) {
    size_t in_layer = i % 6;
    bool head = i + 1 == model.mats.size();
    int K = model.mats[i].view.cols;
    must(buf->quantize(K == 1024 ? x1024.data() : x512.data(), M, K, &acts, pool), "quantize");
    if (!head && in_layer == 0) {  // q, k, v read the same activations: one pass for the three
      QuantMatmulOut outs[3];
      size_t offset = 0;
      for (int j = 0; j < 3; ++j) {
        outs[j].w = &model.mats[i + j].view;
        outs[j].y = y->data() + offset;
        outs[j].ldy = (size_t)outs[j].w->rows;
        offset += (size_t)M * outs[j].w->rows;
      }
      must(matmul_quant_many(acts, outs, 3, pool), "matmul_quant_many");
      i += 2;
      continue;
    }
    must(matmul_quant(acts, model.mats[i].view, y->data(), (size_t)model.mats[i].view.rows, pool), "matmul");
  }
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) if (!item.empty()) out.push_back(item);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> paths;
  std::vector<int> thread_counts = {1, 2};
  int layers = 9;
  bool quick = false;
  golf::cli::ArgParser args("golf-bench-kernels", "[--paths a,b] [--threads 1,2] [--layers 9] [--quick]",
                            "GEMM GOP/s and GEMV GB/s per kernel path and dtype at the baseline model's shapes, and a\n"
                            "matmul-only estimate of the model's tokens/s. Prints figures; not a test.");
  args.option("--paths", "a,b", "kernel paths (default: every SIMD path this CPU has)",
              [&paths](const std::string& v) {
                paths = split_commas(v);
                return paths.empty() ? std::string("expected kernel path names separated by commas") : "";
              })
      .option("--threads", "N,M", "thread counts to measure (default 1,2)", [&thread_counts](const std::string& v) {
        thread_counts.clear();
        for (const std::string& t : split_commas(v)) {
          int64_t n = 0;
          std::string e = golf::cli::parse_integer(t, 1, golf::cli::kMaxThreads, &n);
          if (!e.empty()) return "each count " + e;
          thread_counts.push_back((int)n);
        }
        return thread_counts.empty() ? std::string("expected thread counts separated by commas") : "";
      })
      .integer("--layers", &layers, 1, 1024, "layers in the tokens/s estimate (default 9)")
      .flag("--quick", &quick, "fewer repeats");
  if (int rc = args.parse(argc, argv); rc >= 0) return rc;
  if (paths.empty()) {  // every SIMD path this CPU has (scalar is slow; ask for it by name)
    int count = 0;
    const char* const* names = kernel_path_names(&count);
    for (int i = count - 1; i >= 0; --i)
      if (std::strcmp(names[i], "scalar") != 0 && kernel_path_available(names[i])) paths.push_back(names[i]);
    if (paths.empty()) paths.push_back("scalar");
  }
  const Recipe recipes[] = {{Dtype::q8, 0, "q8/row"}, {Dtype::q8, 32, "q8/g32"}, {Dtype::q4, 32, "q4/g32"},
                            {Dtype::q4, 64, "q4/g64"}};
  const int repeats = quick ? 3 : 7;
  const int M = 512;
  std::vector<float> x512((size_t)M * 512), x1024((size_t)M * 1024);
  for (size_t i = 0; i < x512.size(); ++i) x512[i] = (float)((i * 2654435761u) % 2001) / 1000.0f - 1.0f;
  for (size_t i = 0; i < x1024.size(); ++i) x1024[i] = (float)((i * 40503u) % 2001) / 1000.0f - 1.0f;
  std::vector<float> y((size_t)M * 1024 * 2);  // room for q, k and v side by side
  QuantActsBuffer buf;
  if (!buf.reserve(M, 1024).ok()) {
    std::fprintf(stderr, "golf-bench-kernels: out of memory for the activation buffers\n");
    return 1;
  }

  std::printf("golf-bench-kernels: medians of %d repeats; GEMM M=%d, GEMV M=1 (weights hot in cache)\n", repeats, M);
  for (int T : thread_counts) {
    ThreadPool pool(T);
    for (const std::string& path : paths) {
      if (!select_kernel_path(path.c_str())) {
        std::printf("path %s: not available here\n", path.c_str());
        continue;
      }
      std::printf("\n== path %s, %d thread%s\n", path.c_str(), pool.n_threads(), pool.n_threads() > 1 ? "s" : "");
      std::printf("%-8s %-14s %6s %6s %10s %10s\n", "dtype", "shape", "N", "K", "GEMM GOP/s", "GEMV GB/s");
      for (const Recipe& r : recipes) {
        for (const Shape& s : kShapes) {
          BenchMatrix w = make_matrix(r, s.N, s.K, 42);
          QuantActs acts;
          must(buf.quantize(s.K == 1024 ? x1024.data() : x512.data(), M, s.K, &acts, &pool), "quantize");
          double t_gemm =
              median_seconds(repeats, 1, [&] { must(matmul_quant(acts, w.view, y.data(), s.N, &pool), "gemm"); });
          QuantActs one = acts;
          one.rows = 1;
          double t_gemv = median_seconds(repeats, quick ? 50 : 200,
                                         [&] { must(matmul_quant(one, w.view, y.data(), s.N, &pool), "gemv"); });
          std::printf("%-8s %-14s %6d %6d %10.1f %10.1f\n", r.label, s.what, s.N, s.K,
                      2.0 * M * s.N * s.K / t_gemm * 1e-9, (double)w.bytes / t_gemv * 1e-9);
        }
      }
      std::printf("model estimate (%d layers x 512 wide, vocab 1024; matmuls + activation quantization only):\n",
                  layers);
      for (const Recipe& r : recipes) {
        Model model = make_model(r, layers);
        size_t bytes = 0;
        for (const auto& m : model.mats) bytes += m.bytes;
        Timing prompt = time_calls(quick ? 3 : 7, 1, [&] { model_pass(model, M, x512, x1024, &buf, &y, &pool); });
        Timing gen = time_calls(quick ? 5 : 15, 20, [&] { model_pass(model, 1, x512, x1024, &buf, &y, &pool); });
        std::printf("  %-8s weights %5.1f MB  prompt %7.0f tokens/s (best %6.0f)  generation %6.0f tokens/s "
                    "(best %6.0f; %4.1f GB/s)\n",
                    r.label, bytes / 1e6, M / prompt.median, M / prompt.best, 1.0 / gen.median, 1.0 / gen.best,
                    bytes / gen.median * 1e-9);
      }
      // fp32 reference path, one shape.
      {
        std::vector<float> wf((size_t)512 * 512, 0.01f);
        double t = median_seconds(quick ? 2 : 5, 1, [&] {
          must(matmul_f32(x512.data(), M, 512, wf.data(), 512, y.data(), 512, &pool), "f32 gemm");
        });
        std::printf("  f32 GEMM 512x512x512: %.1f GFLOP/s\n", 2.0 * M * 512 * 512 / t * 1e-9);
      }
    }
  }
  return 0;
}
