// golf-export: a trainer checkpoint or parameter file -> a .golf model by a quantization recipe; optionally scored
// on validation data by the trainer (pre-quantization) and by the runtime (post-quantization, the official
// number); prints the artifact summary against the challenge's 16,000,000-byte budget (the same summary golf-train
// prints, pipeline.h) and fails when the artifact is over budget.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "code_size.h"
#include "param_source.h"
#include "tokenizer_source.h"
#include "pipeline.h"
#include "recipes.h"
#include "shard.h"
#include "tokenizer.h"

namespace {

namespace ex = golf::train_export;

void usage(FILE* f) {
  std::fprintf(f,
      "usage: golf-export --params FILE --tokenizer FILE -o OUT.golf [options]\n"
      "Exports a golf-gpt model to a .golf file with a quantization recipe, optionally scores it, and prints the\n"
      "artifact summary: model file bytes + compressed code bytes against the challenge's 16,000,000-byte budget.\n"
      "\n"
      "inputs:\n"
      "  --params FILE        safetensors parameters: a parameter file (trainer/params/param_io.h), a golf-train\n"
      "                       checkpoint, or a PyTorch export; F32, F16 or BF16 tensors named as format/SPEC.md §3.1\n"
      "  --prefix P           tensor names in the file are P + SPEC name (default: found from the names: '' when\n"
      "                       'tok_emb.weight' exists, else the one prefix of '...tok_emb.weight')\n"
      "  --config FILE        JSON object of CONF keys (SPEC.md §3.1); default: the file's 'golf.config' metadata\n"
      "  --tokenizer FILE     SentencePiece .model, or a .golf whose tokenizer to reuse (required)\n"
      "  -o, --output FILE    the .golf to write (atomically; written even when over budget)\n"
      "\n"
      "recipe:\n"
      "  --recipe NAME        quantization recipe (default challenge):\n");
  for (const ex::RecipeInfo& r : ex::export_recipes()) std::fprintf(f, "                         %-10s %s\n", r.name, r.summary);
  std::fprintf(f,
      "  --quant PAT=SPEC     a rule before the recipe, first match wins (repeatable); PAT is a glob over tensor\n"
      "                       names, SPEC is DTYPE[:g32|g64|g128][:p<pct>|:k<k>][:floor<v>][:raw|:rans] with DTYPE\n"
      "                       f32 f16 bf16 q2..q8, e.g. --quant 'tok_emb.weight=q8:k20' --quant 'blocks.*=q6:k12.85'\n"
      "  --meta KEY=VALUE     provenance string stored in the file's META section (repeatable; key a-z 0-9 _ .)\n"
      "  --train-steps N, --train-seconds S, --train-tokens N, --seed N, --data-sha256 HEX, --source-revision REV\n"
      "                       provenance stored as typed META keys\n"
      "\n"
      "scoring (bits per byte exactly as the challenge accounts it):\n"
      "  --val DIR|GLOB       the challenge's validation shards (DIR means DIR/fineweb_val_*.bin; *_bytes_* sidecars\n"
      "                       skipped), concatenated in sorted order and trimmed to ((N-1)//L)*L+1 tokens\n"
      "  --val-jsonl FILE     one document per line (field \"text\"), each scored as BOS + its tokens (no trim)\n"
      "  --max-docs N         --val-jsonl: only the first N documents\n"
      "  --max-tokens N       only the first N tokens of the stream (then trimmed to whole windows for --val)\n"
      "  --window L           tokens per forward pass (default: the model's max_seq_len)\n"
      "  --stride S           sliding windows, each target scored once with >= L-S tokens of context (default 0:\n"
      "                       non-overlapping windows, the baseline's score)\n"
      "  --doc-isolated       context never crosses a document boundary (BOS)\n"
      "  --threads N          worker threads (default: all cores)\n"
      "  --no-pre-quant       skip the trainer's fp32 score (pre-quant val_bpb and the quantization penalty)\n"
      "  --runtime-kernels    post-quant score with the runtime's int8/int4 kernels (activations quantized too)\n"
      "                       instead of dequantized fp32 weights (the challenge's round trip, the default)\n"
      "\n"
      "budget and output:\n"
      "  --budget BYTES       artifact budget (default 16000000, the challenge's)\n"
      "  --allow-over-budget  exit 0 even when model + code bytes exceed the budget (otherwise: OVER BUDGET, exit 1)\n"
      "  --tensors            print every tensor's spec, stored bytes, bits/weight and quantization error\n"
      "  --json               print the summary (with per-tensor entries) as JSON on stdout\n"
      "  --code-files         print the counted source files and exit\n"
      "  -h, --help           this text\n"
      "\n"
      "Code bytes: the C++ sources golf-train and golf-export are built from, measured at build time:\n"
      "  %s,\n"
      "  compressed with %s.\n",
      ex::counted_code_spec().description.c_str(), ex::code_compressor_name());
}

struct Args {
  std::string params, config, tokenizer, output, val, val_jsonl;
  golf::train_export::ParamSourceOptions source;
  ex::ExportRunOptions run;
  ex::ExportProvenance provenance;  // from the flags; overrides what the checkpoint's metadata says
  int64_t max_docs = -1;
  bool tensors = false, json = false, code_files = false;
};

int usage_error(const std::string& m) {
  std::fprintf(stderr, "golf-export: %s (see --help)\n", m.c_str());
  return 2;
}

int fail(const golf::Status& st) {
  std::fprintf(stderr, "golf-export: %s\n", st.message().c_str());
  return 1;
}

bool parse_int(const std::string& s, int64_t* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (*end || v < 0) return false;
  *out = v;
  return true;
}

bool parse_double(const std::string& s, double* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  *out = std::strtod(s.c_str(), &end);
  return *end == 0;
}

// Returns -1 to go on, else the exit code.
int parse_args(int argc, char** argv, Args* a) {
  ex::ExportProvenance& prov = a->provenance;
  for (int i = 1; i < argc; i++) {
    const std::string s = argv[i];
    if (s == "-h" || s == "--help") { usage(stdout); return 0; }
    if (s == "--tensors") { a->tensors = true; continue; }
    if (s == "--json") { a->json = true; continue; }
    if (s == "--code-files") { a->code_files = true; continue; }
    if (s == "--doc-isolated") { a->run.score.doc_isolated = true; continue; }
    if (s == "--no-pre-quant") { a->run.pre_quant = false; continue; }
    if (s == "--runtime-kernels") { a->run.score.compute = golf::ComputeMode::automatic; continue; }
    if (s == "--allow-over-budget") { a->run.allow_over_budget = true; continue; }
    if (i + 1 >= argc) return usage_error(s.rfind("-", 0) == 0 ? s + " needs a value" : "unexpected argument '" + s + "'");
    const std::string v = argv[++i];
    int64_t n = 0;
    double x = 0;
    auto need_int = [&](int64_t* out) { return parse_int(v, out) ? -1 : usage_error(s + " needs a non-negative integer"); };
    int rc = -1;
    if (s == "--params") a->params = v;
    else if (s == "--prefix") a->source.prefix = v, a->source.prefix_set = true;
    else if (s == "--config") a->source.config_path = v;
    else if (s == "--tokenizer") a->tokenizer = v;
    else if (s == "-o" || s == "--output") a->run.export_options.output_path = v;
    else if (s == "--recipe") a->run.export_options.recipe = v;
    else if (s == "--quant") a->run.export_options.rules.push_back(v);
    else if (s == "--meta") {
      size_t eq = v.find('=');
      if (eq == std::string::npos || eq == 0) return usage_error("--meta needs KEY=VALUE");
      prov.extra.emplace_back(v.substr(0, eq), v.substr(eq + 1));
    }
    else if (s == "--train-steps") { if ((rc = need_int(&n)) < 0) prov.train_steps = n; }
    else if (s == "--train-tokens") { if ((rc = need_int(&n)) < 0) prov.train_tokens = n; }
    else if (s == "--seed") { if ((rc = need_int(&n)) < 0) prov.seed = n; }
    else if (s == "--train-seconds") {
      if (!parse_double(v, &x)) return usage_error("--train-seconds needs a number");
      prov.train_seconds = x;
    }
    else if (s == "--data-sha256") prov.data_sha256 = v;
    else if (s == "--source-revision") prov.source_revision = v;
    else if (s == "--val") a->val = v;
    else if (s == "--val-jsonl") a->val_jsonl = v;
    else if (s == "--max-docs") { if ((rc = need_int(&n)) < 0) a->max_docs = n; }
    else if (s == "--max-tokens") { if ((rc = need_int(&n)) < 0) a->run.score.max_tokens = n; }
    else if (s == "--window") { if ((rc = need_int(&n)) < 0) a->run.score.window = (int)n; }
    else if (s == "--stride") { if ((rc = need_int(&n)) < 0) a->run.score.stride = (int)n; }
    else if (s == "--threads") { if ((rc = need_int(&n)) < 0) a->run.score.threads = (int)n; }
    else if (s == "--budget") { if ((rc = need_int(&n)) < 0) a->run.budget_bytes = (uint64_t)n; }
    else return usage_error("unknown argument '" + s + "'");
    if (rc >= 0) return rc;
  }
  if (a->code_files) return -1;
  if (a->params.empty() || a->tokenizer.empty() || a->run.export_options.output_path.empty())
    return usage_error("--params, --tokenizer and -o are required");
  if (!a->val.empty() && !a->val_jsonl.empty()) return usage_error("give --val or --val-jsonl, not both");
  return -1;
}

golf::Status read_val_jsonl(const std::string& path, const golf::TokenizerData& data, int bos, int64_t max_docs,
                            std::vector<int32_t>* stream) {
  golf::Tokenizer tok;
  GOLF_RETURN_IF_ERROR(tok.init(data));
  std::ifstream in(path);
  if (!in) return golf::Status(golf::StatusCode::io_error, path + ": cannot open");
  std::string line;
  std::vector<int32_t> ids;
  int64_t line_no = 0, docs = 0;
  while ((max_docs < 0 || docs < max_docs) && std::getline(in, line)) {
    line_no++;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("text") || !j["text"].is_string())
      return golf::Status(golf::StatusCode::bad_format,
                          path + ":" + std::to_string(line_no) + ": not a JSON object with a string field \"text\"");
    GOLF_RETURN_IF_ERROR(tok.encode(j["text"].get<std::string>(), &ids));
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

  ex::ExportReport report;
  ex::ArtifactSummary summary;
  st = ex::export_and_score(params.layout, params.params(), tokenizer, a.run, &report, &summary);
  const bool budget_error = !st.ok() && summary.model_bytes > 0 && summary.over_budget();
  if (!st.ok() && !budget_error) return fail(st);
  if (a.json) {
    std::printf("%s\n", ex::artifact_summary_json(summary, &report).c_str());
  } else {
    if (a.tensors) ex::print_tensor_table(stdout, report);
    ex::print_artifact_summary(stdout, summary);
  }
  std::fflush(stdout);
  return budget_error ? fail(st) : 0;
}
