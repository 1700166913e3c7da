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

#include "args.h"  // defines: golf::cli::ArgParser
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
  golf::cli::ArgParser args("golf-bench-export", "(--params FILE | --synthetic) --tokenizer T.model [options]",
                            "Size and quality of every export recipe on one model; prints figures, not a test.");
  args.text("--params", &a.params, "safetensors parameters (as golf-export --params; golf.config metadata)")
      .flag("--synthetic", &a.synthetic, "random weights: matrices N(0, s^2) per row with s = matrix-std *\n"
            "exp(row-spread * z), optionally Student-t tails; tok_emb N(0, embed-std^2); control tensors around\n"
            "their init")
      .text("--tokenizer", &a.tokenizer, "SentencePiece .model").required()
      .section("synthetic shape (default: the challenge baseline) and statistics")
      .integer("--layers", &a.config.num_layers, 1, 256, "transformer blocks")
      .integer("--dim", &a.config.model_dim, 8, 16384, "model width", "D")
      .integer("--heads", &a.config.num_heads, 1, 256, "query heads", "H")
      .integer("--kv-heads", &a.config.num_kv_heads, 1, 256, "key/value heads", "K")
      .integer("--mlp", &a.config.mlp_hidden, 1, 1 << 20, "MLP hidden width", "M")
      .integer("--vocab", &a.config.vocab_size, 2, 65536, "vocabulary size", "V")
      .real("--matrix-std", &a.matrix_std, 0, 100, "std of the matrices", "S", true)
      .real("--embed-std", &a.embed_std, 0, 100, "std of tok_emb", "S", true)
      .real("--row-spread", &a.row_spread, 0, 10, "spread of the rows' scales", "R")
      .real("--tail-df", &a.tail_df, 0, 1e6, "Student-t degrees of freedom (0: Gaussian)", "NU")
      .section("recipes and scoring")
      .option("--recipes", "a,b,...", "recipes to measure (default: all)", [&a](const std::string& v) {
        a.recipes = split(v, ',');
        return a.recipes.empty() ? std::string("expected recipe names separated by commas") : "";
      })
      .texts("--variant", &a.rules, "an extra row: RECIPE with those rules first (repeatable)",
             "RECIPE:PAT=SPEC[,PAT=SPEC...]")
      .text("--val", &a.val, "val shards: also score each export (runtime, fp32 round trip) and the fp32 weights",
            "GLOB")
      .integer("--max-tokens", &a.max_tokens, 0, INT64_MAX, "score only the first N tokens (0: all)")
      .integer("--window", &a.window, 0, 1 << 24, "tokens per forward pass (0: the model's)", "L")
      .threads(&a.threads)
      .text("--out-dir", &a.out_dir, "where the .golf files are written (default /tmp)", "DIR");
  if (int rc = args.parse(argc, argv); rc >= 0) return rc;
  a.config.num_encoder_layers = a.config.num_layers / 2;
  if (a.params.empty() == !a.synthetic) return args.usage_error("give --params FILE or --synthetic (see --help)");

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
