// golf-bench: model speed like llama-bench: prompt processing (pp: N tokens in one decode call, logits of the last)
// and generation (tg: N tokens one at a time from an empty cache, logits of each), in tokens/s, per model file,
// kernel path and compute mode; medians (and bests) of repeats. --profile adds the time per phase of the forward
// pass. Prints figures; not a test.
//
// Usage: golf-bench MODEL.golf... [--threads 2] [--paths avx512vnni,avx2,scalar] [--pp 512] [--tg 128]
//                   [--reps 5] [--batch N] [--f32] [--profile]
// Models of the challenge baseline's shape (9 x 512, vocab 1024, 17.06M parameters, random weights):
//   build/format/tools/golf-make-example /tmp/m
//   P="build/format/tools/golf-pack --weights /tmp/m/weights.safetensors --config /tmp/m/config.json"
//   P="$P --tokenizer data/tokenizer_sp1024.model -q"
//   $P -o /tmp/m/q8.golf --preset raw                                    # q8 per row, used in place
//   $P -o /tmp/m/q4.golf --quant 'blocks.*.weight=q4:g32' --codec raw     # q4 g32 blocks, q8 head/embedding
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "args.h"  // defines: golf::cli::ArgParser
#include "kernel_paths.h"
#include "model.h"
#include "session.h"

namespace {

using Clock = std::chrono::steady_clock;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n == 0 ? 0.0 : n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double best(const std::vector<double>& v) { return v.empty() ? 0.0 : *std::max_element(v.begin(), v.end()); }

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

// The dtypes of a model's linear layers, e.g. "q8/row" or "q4/g32 + q8/row".
std::string weight_summary(const golf::Model& m) {
  std::vector<std::string> kinds;
  auto add = [&](const golf::Linear& l) {
    std::string k;
    if (!l.quantized) k = "f32";
    else
      k = std::string(golf::dtype_name(l.q.dtype)) + (l.q.group_size ? "/g" + std::to_string(l.q.group_size) : "/row");
    if (std::find(kinds.begin(), kinds.end(), k) == kinds.end()) kinds.push_back(k);
  };
  for (const golf::BlockWeights& b : m.weights().blocks) {
    add(b.c_q), add(b.c_k), add(b.c_v), add(b.attn_proj), add(b.fc), add(b.mlp_proj);
  }
  add(m.weights().head);
  std::string s;
  for (size_t i = 0; i < kinds.size(); i++) s += (i ? "+" : "") + kinds[i];
  return s;
}

int fail(const golf::Status& st) {
  std::fprintf(stderr, "golf-bench: %s\n", st.message().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> files;
  std::vector<std::string> paths;
  int threads = 2, pp = 512, tg = 128, reps = 5, n_batch = 0;
  bool with_f32 = false, profile = false;
  golf::cli::ArgParser args("golf-bench", "MODEL.golf... [options]",
      "Prompt (pp) and generation (tg) tokens/s, medians of --reps runs, per model, kernel path and\n"
      "compute mode (--f32 adds the fp32 reference path). GOLF_KERNEL is overridden by --paths.");
  args.positionals("MODEL.golf...", &files, 1, 1 << 20, "the models to measure")
      .threads(&threads, "worker threads (default 2; 0: all cores)")
      .option("--paths", "a,b", "kernel paths to measure (default: the one this machine picks)",
              [&paths](const std::string& v) {
                paths = split(v);
                return paths.empty() ? std::string("expected kernel path names separated by commas") : "";
              })
      .integer("--pp", &pp, 1, 1 << 20, "prompt tokens (default 512)")
      .integer("--tg", &tg, 1, 1 << 20, "generated tokens (default 128)")
      .integer("--reps", &reps, 1, 10000, "repeats (default 5)")
      .integer("--batch", &n_batch, 0, 1 << 20, "n_batch of the session (default 0: the pp length, one forward pass)")
      .flag("--f32", &with_f32, "also measure the fp32 reference path")
      .flag("--profile", &profile, "time per phase of the forward pass");
  if (int rc = args.parse(argc, argv); rc >= 0) return rc;
  if (paths.empty()) paths.push_back(golf::kernels::kernel_path_name());

  std::printf("golf-bench: %d threads, pp%d (one batch) and tg%d (one token at a time), medians of %d runs\n", threads,
              pp, tg, reps);
  std::printf("%-28s %-16s %-11s %-5s %12s %12s   %s\n", "model", "weights", "path", "mode", "pp tok/s", "tg tok/s",
              "(best pp / tg)");
  for (const std::string& file : files) {
    std::unique_ptr<golf::GolfFile> gf;
    golf::Status st = golf::GolfFile::open(file, &gf);
    if (!st.ok()) return fail(st);
    std::shared_ptr<const golf::GolfFile> shared(std::move(gf));
    for (const std::string& path : paths) {
      if (!golf::kernels::select_kernel_path(path.c_str())) {
        std::printf("%-28s (path %s not available here)\n", file.c_str(), path.c_str());
        continue;
      }
      for (int mode = 0; mode < (with_f32 ? 2 : 1); mode++) {
        golf::ModelOptions mo;
        mo.compute = mode == 0 ? golf::ComputeMode::automatic : golf::ComputeMode::f32;
        std::unique_ptr<golf::Model> model;
        st = golf::Model::load(shared, mo, &model);
        if (!st.ok()) return fail(st);
        golf::SessionOptions so;
        so.n_threads = threads;
        so.n_ctx = std::max({pp, tg, 1});
        so.n_batch = n_batch > 0 ? n_batch : std::max(pp, 1);
        so.profile = profile;
        std::unique_ptr<golf::Session> s;
        st = golf::Session::create(*model, so, &s);
        if (!st.ok()) return fail(st);
        const int V = model->config().vocab_size;
        std::vector<int32_t> tokens(std::max(pp, tg));
        uint64_t rng = 12345;
        for (int32_t& t : tokens) {
          rng = rng * 6364136223846793005ull + 1442695040888963407ull;
          t = (int32_t)((rng >> 33) % (uint64_t)V);
        }
        std::vector<float> logits(V);
        std::vector<double> pp_rate, tg_rate;
        golf::SessionProfile pp_prof, tg_prof;
        for (int rep = -1; rep < reps; rep++) {  // rep -1 warms caches and the pool up
          if (pp > 0) {
            s->reset();
            s->clear_profile();
            auto t0 = Clock::now();
            st = s->decode(tokens.data(), pp, logits.data(), false);
            double sec = std::chrono::duration<double>(Clock::now() - t0).count();
            if (!st.ok()) return fail(st);
            if (rep >= 0) pp_rate.push_back(pp / sec);
            if (rep == reps - 1) pp_prof = s->profile();
          }
          if (tg > 0) {
            s->reset();
            s->clear_profile();
            auto t0 = Clock::now();
            for (int i = 0; i < tg && st.ok(); i++) st = s->decode(&tokens[i], 1, logits.data(), false);
            double sec = std::chrono::duration<double>(Clock::now() - t0).count();
            if (!st.ok()) return fail(st);
            if (rep >= 0) tg_rate.push_back(tg / sec);
            if (rep == reps - 1) tg_prof = s->profile();
          }
        }
        std::string name = file.substr(file.find_last_of('/') + 1);
        std::printf("%-28s %-16s %-11s %-5s %12.0f %12.0f   (%.0f / %.0f)\n", name.c_str(),
                    weight_summary(*model).c_str(), path.c_str(), mode == 0 ? "auto" : "f32", median(pp_rate),
                    median(tg_rate), best(pp_rate), best(tg_rate));
        if (profile) {
          for (int k = 0; k < 2; k++) {
            const golf::SessionProfile& p = k == 0 ? pp_prof : tg_prof;
            double total = 0;
            for (double v : p.seconds) total += v;
            std::printf("    %s per-phase ms (last run):", k == 0 ? "pp" : "tg");
            for (int ph = 0; ph < golf::SessionProfile::n_phases; ph++)
              std::printf(" %s %.2f", golf::SessionProfile::phase_name(ph), 1e3 * p.seconds[ph]);
            std::printf(" | total %.2f\n", 1e3 * total);
          }
        }
        std::fflush(stdout);
      }
    }
  }
  return 0;
}
