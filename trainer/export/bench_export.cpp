// golf-bench-export: size and quality of every export recipe on one model, for choosing recipes and their defaults.
// The model is a parameter file (--params, as golf-export reads it) or a synthetic one of any shape with
// trained-like statistics (--synthetic: the challenge baseline by default). For each recipe it prints the .golf
// bytes, bits per weight, quantization error, the zlib -9 size of the quantized raw layouts (what the challenge's
// own container, torch.save + zlib, would roughly take) and, with --val, the runtime's val_bpb and its penalty
// against the trainer's fp32 score. Prints figures, not a test.
#include <zlib.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "export.h"
#include "param_source.h"
#include "tokenizer_source.h"
#include "recipes.h"
#include "score.h"
#include "shard.h"

namespace {

namespace ex = golf::train_export;

struct Args {
  std::string params, tokenizer, val, out_dir = "/tmp";
  bool synthetic = false;
  golf::ModelConfig config = golf::challenge_baseline_config();
  double matrix_std = 0.05, embed_std = 0.5, row_spread = 0.3, tail_df = 0;
  std::vector<std::string> recipes;
  std::vector<std::string> rules;  // "RECIPE:PATTERN=SPEC[,PATTERN=SPEC...]" extra rows: RECIPE with those rules first
  int window = 0, threads = 0;
  int64_t max_tokens = 0;
};

void usage() {
  std::printf(
      "usage: golf-bench-export (--params FILE | --synthetic) --tokenizer T.model [options]\n"
      "  --params FILE       safetensors parameters (as golf-export --params; golf.config metadata)\n"
      "  --synthetic         random weights: matrices N(0, s^2) per row with s = matrix-std * exp(row-spread * z),\n"
      "                      optionally Student-t tails; tok_emb N(0, embed-std^2); control tensors around their init\n"
      "  --layers N --dim D --heads H --kv-heads K --mlp M --vocab V   synthetic shape (default: challenge baseline)\n"
      "  --matrix-std S --embed-std S --row-spread R --tail-df NU        synthetic statistics (NU 0: Gaussian)\n"
      "  --recipes a,b,...   recipes to measure (default: all)\n"
      "  --variant RECIPE:PAT=SPEC[,PAT=SPEC...]   an extra row: RECIPE with those rules first (repeatable)\n"
      "  --val GLOB          val shards: also score each export (runtime, fp32 round trip) and the fp32 weights\n"
      "  --max-tokens N --window L --threads N   scoring settings\n"
      "  --out-dir DIR       where the .golf files are written (default /tmp)\n");
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, sep))
    if (!item.empty()) out.push_back(item);
  return out;
}

void synthesize(const Args& a, const golf::train_cpu::ParamLayout& layout, float* params) {
  std::mt19937_64 rng(1234);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::student_t_distribution<double> student(a.tail_df > 0 ? a.tail_df : 1.0);
  // Student-t scaled to unit variance, so matrix-std stays the standard deviation.
  const double t_scale = a.tail_df > 2 ? std::sqrt((a.tail_df - 2) / a.tail_df) : 1.0;
  for (const auto& t : layout.tensors) {
    float* w = params + t.offset;
    const std::string& n = t.name;
    const size_t cols = (size_t)t.shape.back(), rows = t.numel / cols;
    if (t.numel <= golf::kSmallTensorElements) {  // control tensors: near their init, with training noise
      const double mean = n.find("q_gain") != std::string::npos ? 1.5 : n.find("resid_mix") != std::string::npos ? 0.5 : 1.0;
      for (size_t i = 0; i < t.numel; i++) w[i] = (float)(mean + 0.2 * normal(rng));
      continue;
    }
    const double base = n == "tok_emb.weight" || n == "lm_head.weight" ? a.embed_std : a.matrix_std;
    for (size_t r = 0; r < rows; r++) {
      const double s = base * std::exp(a.row_spread * normal(rng) - 0.5 * a.row_spread * a.row_spread);
      for (size_t c = 0; c < cols; c++)
        w[r * cols + c] = (float)(s * (a.tail_df > 0 ? t_scale * student(rng) : normal(rng)));
    }
  }
}

// zlib -9 of every tensor's raw layout under the recipe: the challenge's container size, roughly.
uint64_t zlib_size(const golf::train_cpu::ParamLayout& layout, const float* params, const ex::ExportRecipe& recipe) {
  uint64_t total = 0;
  for (const auto& t : layout.tensors) {
    std::vector<uint64_t> dims(t.shape.begin(), t.shape.end());
    golf::TensorPlan plan;
    golf::TensorRecord rec;
    if (!recipe.plan_for(t.name, dims, &plan).ok()) return 0;
    if (!golf::make_tensor_record(t.name, dims, params + t.offset, plan, &rec, nullptr).ok()) return 0;
    uLongf len = compressBound((uLong)rec.raw.size());
    std::vector<uint8_t> out(len);
    if (compress2(out.data(), &len, rec.raw.data(), (uLong)rec.raw.size(), 9) != Z_OK) return 0;
    total += len;
  }
  return total;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; i++) {
    const std::string s = argv[i];
    auto v = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (s == "-h" || s == "--help") { usage(); return 0; }
    else if (s == "--params") a.params = v();
    else if (s == "--synthetic") a.synthetic = true;
    else if (s == "--tokenizer") a.tokenizer = v();
    else if (s == "--layers") a.config.num_layers = std::atoi(v().c_str()), a.config.num_encoder_layers = a.config.num_layers / 2;
    else if (s == "--dim") a.config.model_dim = std::atoi(v().c_str());
    else if (s == "--heads") a.config.num_heads = std::atoi(v().c_str());
    else if (s == "--kv-heads") a.config.num_kv_heads = std::atoi(v().c_str());
    else if (s == "--mlp") a.config.mlp_hidden = std::atoi(v().c_str());
    else if (s == "--vocab") a.config.vocab_size = std::atoi(v().c_str());
    else if (s == "--matrix-std") a.matrix_std = std::atof(v().c_str());
    else if (s == "--embed-std") a.embed_std = std::atof(v().c_str());
    else if (s == "--row-spread") a.row_spread = std::atof(v().c_str());
    else if (s == "--tail-df") a.tail_df = std::atof(v().c_str());
    else if (s == "--recipes") a.recipes = split(v(), ',');
    else if (s == "--variant") a.rules.push_back(v());
    else if (s == "--val") a.val = v();
    else if (s == "--max-tokens") a.max_tokens = std::atoll(v().c_str());
    else if (s == "--window") a.window = std::atoi(v().c_str());
    else if (s == "--threads") a.threads = std::atoi(v().c_str());
    else if (s == "--out-dir") a.out_dir = v();
    else { std::fprintf(stderr, "golf-bench-export: unknown argument '%s'\n", s.c_str()); return 2; }
  }
  if (a.params.empty() == !a.synthetic || a.tokenizer.empty()) { usage(); return 2; }

  ex::ExportParams params;
  golf::Status st;
  if (a.synthetic) {
    a.config.rope_dims = a.config.head_dim();
    st = golf::train_cpu::param_layout_build(a.config, &params.layout);
    if (st.ok() && !params.memory.allocate(params.layout.total * sizeof(float))) st = golf::Status(golf::StatusCode::out_of_memory, "params");
    if (st.ok()) synthesize(a, params.layout, (float*)params.memory.data());
  } else {
    st = ex::load_export_params(a.params, {}, &params);
  }
  golf::TokenizerData tok;
  if (st.ok()) st = golf::load_tokenizer_data(a.tokenizer, &tok);
  std::vector<uint16_t> val;
  if (st.ok() && !a.val.empty()) st = golf::data::read_shard(a.val, &val);
  if (!st.ok()) { std::fprintf(stderr, "golf-bench-export: %s\n", st.message().c_str()); return 1; }

  ex::ScoreSettings ss;
  ss.window = a.window;
  ss.threads = a.threads;
  ss.max_tokens = a.max_tokens;
  ex::ScoreReport pre;
  if (!val.empty()) {
    st = ex::score_params_fp32(params.layout, params.params(), tok, val, ss, &pre);
    if (!st.ok()) { std::fprintf(stderr, "golf-bench-export: %s\n", st.message().c_str()); return 1; }
    std::printf("fp32 (trainer): val_bpb %.5f on %lld targets\n", pre.val_bpb, (long long)pre.tokens);
  }
  std::printf("%-34s %12s %8s %10s %10s %12s %10s %9s\n", "recipe", "file bytes", "bits/w", "rel_rms", "max_abs",
              "zlib9 raw", "val_bpb", "penalty");
  std::vector<std::pair<std::string, std::vector<std::string>>> rows;
  if (a.recipes.empty())
    for (const auto& r : ex::export_recipes()) a.recipes.push_back(r.name);
  for (const auto& r : a.recipes) rows.push_back({r, {}});
  for (const auto& v : a.rules) {
    size_t colon = v.find(':');
    if (colon != std::string::npos) rows.push_back({v.substr(0, colon), split(v.substr(colon + 1), ',')});
  }
  for (const auto& row : rows) {
    ex::ExportOptions o;
    o.recipe = row.first;
    o.rules = row.second;
    o.output_path = a.out_dir + "/bench_export.golf";
    ex::ExportReport rep;
    ex::ExportRecipe recipe;
    st = ex::export_model(params.layout, params.params(), tok, o, &rep);
    if (st.ok()) st = ex::ExportRecipe::create(o.recipe, o.rules, &recipe);
    if (!st.ok()) { std::fprintf(stderr, "golf-bench-export: %s\n", st.message().c_str()); return 1; }
    const uint64_t zlib = zlib_size(params.layout, params.params(), recipe);
    std::printf("%-34s %12llu %8.3f %10.4g %10.4g %12llu", rep.recipe.c_str(), (unsigned long long)rep.file_bytes,
                rep.bits_per_weight, rep.rel_rms_error, rep.max_abs_error, (unsigned long long)zlib);
    if (!val.empty()) {
      ex::ScoreReport post;
      st = ex::score_golf_file(o.output_path, val, ss, &post);
      if (!st.ok()) { std::fprintf(stderr, "\ngolf-bench-export: %s\n", st.message().c_str()); return 1; }
      std::printf(" %10.5f %+9.5f", post.val_bpb, post.val_bpb - pre.val_bpb);
    }
    std::printf("\n");
    std::fflush(stdout);
  }
  return 0;
}
