// golf-bench-load: how long it takes to load a ~16 MB .golf file from an mmap (open, header and section checks,
// whole-file checksum, tensor directory) — prints figures, not a test. Files are in the page cache (warm), as on a
// device that just downloaded the model; a cold read is bounded by the disk instead.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <unistd.h>

#include "args.h"  // defines: golf::cli::ArgParser
#include "golf_file.h"
#include "golf_writer.h"
#include "model_config.h"
#include "recipe.h"

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::string write_model(const std::string& preset, const std::string& path) {
  golf::ModelConfig cfg = golf::challenge_baseline_config();
  golf::PackRecipe recipe;
  golf::Status preset_st = recipe.set_preset(preset);
  if (!preset_st.ok()) { std::fprintf(stderr, "%s\n", preset_st.message().c_str()); std::exit(1); }
  golf::GolfWriter w;
  golf::model_config_to_kv(cfg, &w.config());
  std::mt19937 rng(5);
  std::normal_distribution<float> g(0, 0.3f);
  for (const golf::TensorSpec& s : golf::model_tensor_specs(cfg)) {
    uint64_t n = 1;
    for (uint64_t d : s.shape) n *= d;
    std::vector<float> x(n);
    for (float& v : x) v = g(rng);
    golf::TensorRecord rec;
    golf::Status st = golf::make_tensor_record(s.name, s.shape, x.data(), recipe.plan_for(s.name, s.shape), &rec, nullptr);
    if (st.ok()) st = w.add_tensor(std::move(rec));
    if (!st.ok()) { std::fprintf(stderr, "%s\n", st.message().c_str()); std::exit(1); }
  }
  golf::Status st = w.write_file(path);
  if (!st.ok()) { std::fprintf(stderr, "%s\n", st.message().c_str()); std::exit(1); }
  return path;
}

void bench(const std::string& label, const std::string& path, bool verify) {
  std::vector<double> ms;
  uint64_t size = 0;
  for (int i = 0; i < 21; i++) {
    auto t0 = std::chrono::steady_clock::now();
    std::unique_ptr<golf::GolfFile> f;
    golf::OpenOptions o;
    o.verify_checksums = verify;
    golf::Status st = golf::GolfFile::open(path, &f, o);
    if (!st.ok()) { std::fprintf(stderr, "%s\n", st.message().c_str()); std::exit(1); }
    size = f->file_size();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::printf("  %-34s %10llu bytes  median %7.2f ms  (min %.2f, max %.2f over %zu runs)\n", label.c_str(),
              (unsigned long long)size, median(ms), *std::min_element(ms.begin(), ms.end()),
              *std::max_element(ms.begin(), ms.end()), ms.size());
}

}  // namespace

int main(int argc, char** argv) {
  golf::cli::ArgParser args("golf-bench-load", "", "Load time of a ~16 MB .golf file (the challenge baseline's shape, q8 "
                            "per row) from an mmap,\nwarm page cache; writes two temporary files in /tmp. Prints "
                            "figures; not a test.");
  if (int rc = args.parse(argc, argv); rc >= 0) return rc;
  std::string dir = "/tmp";
  std::string raw = write_model("raw", dir + "/golf_bench_raw_" + std::to_string(getpid()) + ".golf");
  std::string rans = write_model("default", dir + "/golf_bench_rans_" + std::to_string(getpid()) + ".golf");
  std::printf("golf-bench-load: the challenge baseline shape (17.06M parameters), q8 per row, warm page cache\n");
  bench("raw codec, checksums verified", raw, true);
  bench("raw codec, checksums skipped", raw, false);
  bench("rans codec (decoded at load)", rans, true);
  std::remove(raw.c_str());
  std::remove(rans.c_str());
  return 0;
}
