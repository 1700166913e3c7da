// golf-export: a trainer checkpoint or parameter file -> a .golf model by a quantization recipe; optionally scored
// on validation data by the trainer (pre-quantization) and by the runtime (post-quantization, the official
// number); prints the artifact summary against the challenge's 16,000,000-byte budget (the same summary golf-train
// prints, pipeline.h) and fails when the artifact is over budget.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "args.h"  // defines: golf::cli::ArgParser
#include "auto_recipe.h"
#include "calib.h"
#include "sweep.h"
#include "code_size.h"
#include "cpu/matmul.h"  // defines: train_cpu::threads_init
#include "jsonl_text.h"  // defines: golf::cli::jsonl_text
#include "mapped_file.h"  // defines: read_file_bytes
#include "param_source.h"
#include "tokenizer_source.h"
#include "pipeline.h"
#include "recipes.h"
#include "shard.h"
#include "tokenizer.h"

namespace {

namespace ex = golf::train_export;

struct Args {
  std::string params, config, tokenizer, output, val, val_jsonl;
  golf::train_export::ParamSourceOptions source;
  ex::ExportRunOptions run;
  ex::ExportProvenance provenance;  // from the flags; overrides what the checkpoint's metadata says
  int64_t max_docs = -1;
  bool gptq = false;
  std::string calib_data, alloc_specs, sweep_dir;
  int64_t alloc_windows = 8;
  int64_t calib_tokens = 65536, calib_seq_len = 0;
  bool tensors = false, json = false, code_files = false, overwrite = false;
};

int fail(const golf::Status& st) {
  std::fprintf(stderr, "golf-export: %s\n", st.message().c_str());
  return 1;
}

std::string recipe_list() {
  std::string list;
  list += "\n  auto       per-tensor dtype/group/clip chosen for --budget from measured sensitivities and exact\n"
          "             rANS sizes (trainer/export/allocate.h); needs --calib-data";
  for (const ex::RecipeInfo& r : ex::export_recipes()) {
    char line[256];
    std::snprintf(line, sizeof line, "\n  %-10s %s", r.name, r.summary);
    list += line;
  }
  return list;
}

// Returns -1 to go on, else the exit code.
int parse_args(int argc, char** argv, Args* a) {
  ex::ExportProvenance& prov = a->provenance;
  std::string recipe = a->run.export_options.recipe;
  bool runtime_kernels = false;
  golf::cli::ArgParser args("golf-export", "--params FILE --tokenizer FILE -o OUT.golf [options]",
      "Exports a golf-gpt model to a .golf file with a quantization recipe, optionally scores it, and prints the\n"
      "artifact summary: model file bytes + compressed code bytes against the challenge's 16,000,000-byte budget.");
  args.section("inputs")
      .text("--params", &a->params, "safetensors parameters: a parameter file (trainer/params/param_io.h), a\n"
            "golf-train checkpoint, or a PyTorch export; F32, F16 or BF16 tensors named as format/SPEC.md §3.1")
      .option("--prefix", "P", "tensor names in the file are P + SPEC name (default: found from the names: ''\n"
              "when 'tok_emb.weight' exists, else the one prefix of '...tok_emb.weight')",
              [a](const std::string& v) {
                a->source.prefix = v, a->source.prefix_set = true;
                return std::string();
              })
      .text("--config", &a->source.config_path, "JSON object of CONF keys (SPEC.md §3.1); default: the file's\n"
            "'golf.config' metadata")
      .text("--tokenizer", &a->tokenizer, "SentencePiece .model, or a .golf whose tokenizer to reuse")
      .text("-o,--output", &a->run.export_options.output_path, "the .golf to write (atomically)")
      .flag("--overwrite", &a->overwrite, "replace an existing output file (otherwise it is an error)")
      .section("recipe")
      .option("--recipe", "NAME", "quantization recipe (default challenge):" + recipe_list(),
              [&recipe](const std::string& v) {
                for (const ex::RecipeInfo& r : ex::export_recipes()) {
                  if (v == r.name) {
                    recipe = v;
                    return std::string();
                  }
                }
                if (v == "auto") {
                  recipe = v;
                  return std::string();
                }
                return "unknown recipe; expected one of:" + recipe_list() + "\n  auto";
              })
      .texts("--quant", &a->run.export_options.rules, "a rule before the recipe, first match wins (repeatable);\n"
             "PAT is a glob over tensor names, SPEC is DTYPE[:g32|g64|g128][:p<pct>|:k<k>][:floor<v>][:raw|:rans]\n"
             "with DTYPE f32 f16 bf16 q2..q8, e.g. --quant 'tok_emb.weight=q8:k20' --quant 'blocks.*=q6:k12.85'",
             "PAT=SPEC")
      .option("--meta", "KEY=VALUE", "provenance string stored in the file's META section (repeatable; key a-z\n"
              "0-9 _ .)",
              [&prov](const std::string& v) {
                const size_t eq = v.find('=');
                if (eq == std::string::npos || eq == 0) return std::string("expected KEY=VALUE");
                prov.extra.emplace_back(v.substr(0, eq), v.substr(eq + 1));
                return std::string();
              })
      .integer("--train-steps", &prov.train_steps, 0, INT64_MAX, "provenance: optimizer steps")
      .real("--train-seconds", &prov.train_seconds, 0, 1e12, "provenance: training seconds", "S")
      .integer("--train-tokens", &prov.train_tokens, 0, INT64_MAX, "provenance: training tokens")
      .integer("--seed", &prov.seed, 0, INT64_MAX, "provenance: seed")
      .text("--data-sha256", &prov.data_sha256, "provenance: SHA-256 of the training data manifest", "HEX")
      .text("--source-revision", &prov.source_revision, "provenance: source revision", "REV")
      .section("GPTQ (trainer/export/gptq.h)")
      .flag("--gptq", &a->gptq, "quantize every matrix by GPTQ with the recipe's scales, from Hessians of the\n"
            "model's activations on --calib-data (training tokens; never validation)")
      .text("--calib-data", &a->calib_data, "training shards for calibration (DIR means DIR/fineweb_train_*.bin)",
            "DIR|GLOB")
      .integer("--calib-tokens", &a->calib_tokens, 1, INT64_MAX, "calibration tokens, from the start of\n"
               "--calib-data (default 65536)")
      .integer("--calib-seq-len", &a->calib_seq_len, 0, 1 << 20, "calibration window (default 0: the model's\n"
               "max_seq_len)", "L")
      .real("--gptq-damp", &a->run.export_options.gptq.percdamp, 0, 10, "damping: this fraction of the Hessian's\n"
            "mean diagonal is added to it (default 0.01)", "F")
      .text("--alloc-specs", &a->alloc_specs, "--recipe auto: candidate SPECs, comma-separated (default\n"
            "q8,q6:k12.85,q5:k8,q4:g32,q3:k4,q2:k2.5)", "LIST")
      .integer("--alloc-windows", &a->alloc_windows, 1, INT64_MAX, "--recipe auto: calibration windows each\n"
               "sensitivity is measured on (default 8)")
      .text("--sweep", &a->sweep_dir, "write the penalty-vs-bytes report instead of one file: the named recipes\n"
            "and uniform all-matrix widths, each round-to-nearest and GPTQ, and --recipe auto at the uniform GPTQ\n"
            "points' bytes, all scored on --val: DIR/sweep.csv, sweep.md, sweep.svg and one .golf per point\n"
            "(needs --calib-data and --val or --val-jsonl; -o is not used)", "DIR")
      .section("scoring (bits per byte exactly as the challenge accounts it)")
      .text("--val", &a->val, "the challenge's validation shards (DIR means DIR/fineweb_val_*.bin; *_bytes_*\n"
            "sidecars skipped), concatenated in sorted order and trimmed to ((N-1)//L)*L+1 tokens", "DIR|GLOB")
      .text("--val-jsonl", &a->val_jsonl, "one document per line (field \"text\"), each scored as BOS + its tokens\n"
            "(no trim)")
      .integer("--max-docs", &a->max_docs, 1, INT64_MAX, "--val-jsonl: only the first N documents")
      .integer("--max-tokens", &a->run.score.max_tokens, 2, INT64_MAX, "only the first N tokens of the stream (then\n"
               "trimmed to whole windows for --val)")
      .integer("--window", &a->run.score.window, 0, 1 << 24, "tokens per forward pass (default 0: the model's\n"
               "max_seq_len)", "L")
      .integer("--stride", &a->run.score.stride, 0, 1 << 24, "sliding windows, each target scored once with >= L-S\n"
               "tokens of context (default 0: non-overlapping windows, the baseline's score)", "S")
      .flag("--doc-isolated", &a->run.score.doc_isolated, "context never crosses a document boundary (BOS)")
      .threads(&a->run.score.threads)
      .flag_off("--no-pre-quant", &a->run.pre_quant, "skip the trainer's fp32 score (pre-quant val_bpb and the\n"
                "quantization penalty)")
      .flag("--runtime-kernels", &runtime_kernels, "post-quant score with the runtime's int8/int4 kernels\n"
            "(activations quantized too) instead of dequantized fp32 weights (the challenge's round trip, the default)")
      .section("budget and output")
      .integer("--budget", &a->run.budget_bytes, 1, INT64_MAX, "artifact budget (default 16000000, the challenge's)",
               "BYTES")
      .flag("--allow-over-budget", &a->run.allow_over_budget, "write the file and exit 0 even when model + code\n"
            "bytes exceed the budget (otherwise: OVER BUDGET, nothing written, exit 1)")
      .flag("--tensors", &a->tensors, "print every tensor's spec, stored bytes, bits/weight and quantization error")
      .flag("--json", &a->json, "print the summary (with per-tensor entries) as JSON on stdout")
      .flag("--code-files", &a->code_files, "print the counted source files and exit")
      .epilog("\nCode bytes: the C++ sources golf-train and golf-export are built from, measured at build time:\n  " +
              ex::counted_code_spec().description + ",\n  compressed with " + ex::code_compressor_name() + ".");
  if (int rc = args.parse(argc, argv); rc >= 0) return rc;
  a->run.export_options.recipe = recipe;
  if (runtime_kernels) a->run.score.compute = golf::ComputeMode::automatic;
  if (a->code_files) return -1;
  for (const char* flag : {"--params", "--tokenizer", "--output"}) {
    if (std::string(flag) == "--output" && !a->sweep_dir.empty()) continue;
    if (!args.given(flag)) return args.usage_error(std::string(flag) + " is required (see --help)");
  }
  if (!a->sweep_dir.empty()) {
    if (a->calib_data.empty()) return args.usage_error("--sweep needs --calib-data (training shards)");
    if (a->val.empty() && a->val_jsonl.empty()) return args.usage_error("--sweep needs --val or --val-jsonl");
    if (!a->overwrite && std::filesystem::exists(a->sweep_dir + "/sweep.csv"))
      return args.usage_error(a->sweep_dir + "/sweep.csv exists: pass --overwrite to replace it");
  }
  const bool needs_calib = a->gptq || recipe == "auto" || !a->sweep_dir.empty();
  if (needs_calib && a->calib_data.empty())
    return args.usage_error("--gptq and --recipe auto need --calib-data (training shards)");
  if (!needs_calib && !a->calib_data.empty()) return args.usage_error("--calib-data is only used with --gptq or --recipe auto");
  if (!a->val.empty() && !a->val_jsonl.empty()) return args.usage_error("give --val or --val-jsonl, not both");
  if (a->sweep_dir.empty() && !a->overwrite && std::filesystem::exists(a->run.export_options.output_path))
    return args.usage_error(a->run.export_options.output_path + " exists: pass --overwrite to replace it");
  return -1;
}

golf::Status read_val_jsonl(const std::string& path, const golf::TokenizerData& data, int bos, int64_t max_docs,
                            std::vector<int32_t>* stream) {
  golf::Tokenizer tok;
  GOLF_RETURN_IF_ERROR(tok.init(data));
  std::string all;
  GOLF_RETURN_IF_ERROR(golf::read_file_bytes(path, &all));  // a directory or an unreadable file is an error here
  std::vector<int32_t> ids;
  int64_t line_no = 0, docs = 0;
  for (size_t start = 0; (max_docs < 0 || docs < max_docs) && start < all.size();) {
    size_t end = all.find('\n', start);
    if (end == std::string::npos) end = all.size();
    const std::string line = all.substr(start, end - start);
    start = end + 1;
    line_no++;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::string text;
    const std::string problem = golf::cli::jsonl_text(line, "text", &text);
    if (!problem.empty())
      return golf::Status(golf::StatusCode::bad_format, path + ":" + std::to_string(line_no) + ": " + problem);
    GOLF_RETURN_IF_ERROR(tok.encode(text, &ids));
    stream->push_back(bos);
    stream->insert(stream->end(), ids.begin(), ids.end());
    docs++;
  }
  if (stream->size() < 2) return golf::Status(golf::StatusCode::invalid_argument, path + ": no tokens to score");
  return golf::Status::Ok();
}

// The checkpoint's provenance (param_source.h), overridden field by field by the flags.
ex::ExportProvenance merge_provenance(ex::ExportProvenance base, const ex::ExportProvenance& flags) {
  if (flags.train_steps) base.train_steps = flags.train_steps;
  if (flags.train_seconds) base.train_seconds = flags.train_seconds;
  if (flags.train_tokens) base.train_tokens = flags.train_tokens;
  if (flags.seed) base.seed = flags.seed;
  if (!flags.data_sha256.empty()) base.data_sha256 = flags.data_sha256;
  if (!flags.source_revision.empty()) base.source_revision = flags.source_revision;
  base.created_by = "golf-export";
  for (const auto& kv : flags.extra) base.extra.push_back(kv);  // later entries replace earlier ones of a key
  return base;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  int rc = parse_args(argc, argv, &a);
  if (rc >= 0) return rc;
  if (a.code_files) {
    const ex::CodeSize& code = ex::counted_code_size();
    for (const ex::CodeFile& f : code.files) std::printf("%10llu  %s\n", (unsigned long long)f.bytes, f.path.c_str());
    std::printf("%zu files, %llu bytes, %llu compressed (%s)\n", code.files.size(),
                (unsigned long long)code.raw_bytes, (unsigned long long)code.compressed_bytes, code.compressor.c_str());
    return 0;
  }

  ex::ExportParams params;
  golf::Status st = ex::load_export_params(a.params, a.source, &params);
  if (!st.ok()) return fail(st);
  a.run.export_options.provenance = merge_provenance(ex::provenance_from_metadata(params.metadata), a.provenance);
  golf::TokenizerData tokenizer;
  st = golf::load_tokenizer_data(a.tokenizer, &tokenizer);
  if (!st.ok()) return fail(st);

  std::vector<uint16_t> shard_tokens;
  std::vector<int32_t> text_tokens;
  if (!a.val.empty()) {
    const std::string pattern = golf::data::shard_pattern(a.val, "val");
    st = golf::data::read_shard_tokens(pattern, &shard_tokens);
    if (!st.ok()) return fail(st);
    a.run.val_tokens_u16 = &shard_tokens;
    a.run.eval_data = "shards " + pattern;
    a.run.score.trim_to_windows = true;
  } else if (!a.val_jsonl.empty()) {
    st = read_val_jsonl(a.val_jsonl, tokenizer, params.layout.config.bos_id, a.max_docs, &text_tokens);
    if (!st.ok()) return fail(st);
    a.run.val_tokens_i32 = &text_tokens;
    a.run.eval_data = "documents " + a.val_jsonl;
    a.run.score.trim_to_windows = false;
  }

  ex::CalibrationData calibration;
  const bool auto_recipe = a.run.export_options.recipe == "auto";
  if (a.gptq || auto_recipe || !a.sweep_dir.empty()) {
    const golf::ModelConfig& cfg = params.layout.config;
    const int seq_len = a.calib_seq_len > 0 ? (int)a.calib_seq_len : cfg.max_seq_len;
    if (a.run.score.threads > 0) golf::train_cpu::threads_init(a.run.score.threads);
    st = ex::calibration_from_shards(params.layout, params.params(), a.calib_data, seq_len, a.calib_tokens,
                                     &calibration);
    if (!st.ok()) return fail(st);
    if (a.gptq) a.run.export_options.calibration = &calibration;
    std::fprintf(a.json ? stderr : stdout, "calibration: %lld training tokens (%lld windows of %d) from %s, %zu Hessians, %.1f s\n",
                 (long long)calibration.tokens, (long long)(calibration.tokens / seq_len), seq_len,
                 golf::data::shard_pattern(a.calib_data, "train").c_str(), calibration.hessians.size(), calibration.seconds);
  }

  ex::AllocSettings as;
  as.loss_windows = a.alloc_windows;
  if (!a.alloc_specs.empty()) {
    as.specs.clear();
    for (size_t start = 0; start <= a.alloc_specs.size();) {
      size_t end = a.alloc_specs.find(',', start);
      if (end == std::string::npos) end = a.alloc_specs.size();
      if (end > start) as.specs.push_back(a.alloc_specs.substr(start, end - start));
      start = end + 1;
    }
  }
  if (!a.sweep_dir.empty()) {
    ex::SweepOptions so;
    so.out_dir = a.sweep_dir;
    so.run = a.run;
    so.run.export_options.calibration = nullptr;
    so.alloc = as;
    so.alloc.progress = [](const ex::AllocTensor& t, double seconds) {
      std::printf("sweep: allocator measured %s (%zu choices) in %.1f s\n", t.name.c_str(), t.options.size(), seconds);
      std::fflush(stdout);
    };
    std::vector<ex::SweepPoint> points;
    double fp32 = 0;
    st = ex::run_sweep(params.layout, params.params(), tokenizer, calibration, so, &points, &fp32);
    if (!st.ok()) return fail(st);
    std::printf("sweep: %zu points written to %s/sweep.csv, sweep.md, sweep.svg\n", points.size(), a.sweep_dir.c_str());
    return 0;
  }

  ex::AutoRecipeResult plan;
  if (auto_recipe) {
    as.gptq = a.gptq;
    as.gptq_settings = a.run.export_options.gptq;
    FILE* progress_out = a.json ? stderr : stdout;
    as.progress = [progress_out](const ex::AllocTensor& t, double seconds) {
      std::fprintf(progress_out, "auto recipe: measured %s (%zu choices) in %.1f s\n", t.name.c_str(), t.options.size(),
                   seconds);
      std::fflush(progress_out);
    };
    st = ex::plan_auto_recipe(params.layout, params.params(), tokenizer, calibration, as, a.run.budget_bytes,
                              a.run.export_options, &plan);
    if (!st.ok()) return fail(st);
    ex::print_auto_recipe(progress_out, plan);
    a.run.export_options.recipe = ex::kAutoBaseRecipe;
    // The caller's rules still come first; the allocator's exact-name rules follow.
    for (const std::string& rule : plan.rules) a.run.export_options.rules.push_back(rule);
  }

  ex::ExportReport report;
  ex::ArtifactSummary summary;
  st = ex::export_and_score(params.layout, params.params(), tokenizer, a.run, &report, &summary);
  const bool budget_error = !st.ok() && summary.model_bytes > 0 && summary.over_budget();
  if (!st.ok() && !budget_error) return fail(st);
  if (a.json) {
    std::printf("%s\n", ex::artifact_summary_json(summary, &report).c_str());
  } else {
    if (a.tensors) ex::print_tensor_table(stdout, report);
    if (report.gptq_tensors > 0)
      std::printf("gptq: %d tensors in %.1f s\n", report.gptq_tensors, report.gptq_seconds);
    ex::print_artifact_summary(stdout, summary);
    if (auto_recipe && summary.has_pre_quant && summary.pre_quant.val_loss > 0) {
      // Predicted: the fp32 score plus the summed calibration-loss increases, in bits per byte of the scored data.
      const double bpb_per_nat = summary.pre_quant.val_bpb / summary.pre_quant.val_loss;
      std::printf("auto recipe: predicted post-quant val_bpb %.4f (fp32 %.4f + %.4f), measured %s\n",
                  summary.pre_quant.val_bpb + plan.choice.predicted_dloss * bpb_per_nat, summary.pre_quant.val_bpb,
                  plan.choice.predicted_dloss * bpb_per_nat,
                  summary.has_post_quant ? std::to_string(summary.post_quant.val_bpb).c_str() : "(not scored)");
    }
  }
  std::fflush(stdout);
  return budget_error ? fail(st) : 0;
}
