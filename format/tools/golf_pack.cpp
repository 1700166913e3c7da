// golf-pack: builds a .golf file from a safetensors file of fp32/fp16/bf16 weights, a JSON architecture config and a
// SentencePiece .model, quantizing each tensor by a recipe; prints each tensor's size and quantization error.
#include <nlohmann/json.hpp>
#include <unistd.h>  // access

#include <cstdio>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "args.h"  // defines: golf::cli::ArgParser
#include "config_json.h"
#include "golf_writer.h"
#include "mapped_file.h"
#include "model_config.h"
#include "recipe.h"
#include "safetensors.h"
#include "spm_model.h"
#include "text_util.h"
#include "tokenizer_data.h"

namespace {

golf::Status config_from_json(const std::string& path, golf::ModelConfig* out) {
  std::string text;
  GOLF_RETURN_IF_ERROR(golf::read_file_bytes(path, &text));
  return golf::model_config_from_json(text, out).prefix(path + ": ");
}

int fail(const golf::Status& st) {
  std::fprintf(stderr, "golf-pack: %s\n", st.message().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string weights, config, tokenizer, output;
  std::vector<std::string> metas;
  golf::PackRecipe recipe;
  bool allow_extra = false, quiet = false, overwrite = false;
  auto recipe_step = [](const golf::Status& st) { return st.ok() ? std::string() : st.message(); };
  golf::cli::ArgParser args("golf-pack", "--weights W.safetensors --config C.json --tokenizer T.model -o OUT.golf "
                            "[options]",
                            "Packs a model into one checksummed .golf file and reports size and quantization error "
                            "per tensor.");
  args.text("--weights", &weights, "safetensors with the tensors of format/SPEC.md §3.1 (F32, F16 or BF16)")
      .required()
      .text("--config", &config, "JSON object of CONF keys (SPEC.md §3.1), e.g. {\"arch\": \"golf-gpt\",\n"
            "\"vocab_size\": 1024, ...}").required()
      .text("--tokenizer", &tokenizer, "SentencePiece .model (BPE); stored whole in the file").required()
      .text("-o,--output", &output, "the .golf to write (atomically)").required()
      .flag("--overwrite", &overwrite, "replace an existing output file (otherwise an error)")
      .option("--preset", "NAME", "default: matrices of > 65,536 elements q8 per row + rans, the rest f32\n"
              "challenge: the challenge's export: <= 65,536 elements f32, else q8 p99.99984 floor 1/127\n"
              "raw: like default, codec raw (tensors used in place from an mmap)",
              [&](const std::string& v) { return recipe_step(recipe.set_preset(v)); })
      .option("--quant", "PAT=SPEC", "rule for tensors matching the glob PAT, first match wins; SPEC is\n"
              "DTYPE[:g32|g64|g128][:p<pct>|:k<k>][:floor<v>][:raw|:rans], DTYPE f32 f16 bf16 q2..q8\n"
              "e.g. --quant 'blocks.*.mlp.*=q6:k12.85' --quant 'tok_emb.weight=q8:g64'",
              [&](const std::string& v) { return recipe_step(recipe.add_rule(v)); })
      .option("--codec", "raw|rans", "codec of every quantized tensor, overriding rules",
              [&](const std::string& v) {
                golf::Codec c;
                if (!golf::codec_from_name(v, &c)) return std::string("expected raw or rans");
                recipe.force_codec(c);
                return std::string();
              })
      .texts("--meta", &metas, "provenance string stored in META (repeatable)", "KEY=VALUE")
      .flag("--allow-extra", &allow_extra, "keep tensors the architecture does not name (otherwise an error)")
      .flag("-q,--quiet", &quiet, "print only the summary line");
  if (int rc = args.parse(argc, argv); rc >= 0) return rc;
  if (!overwrite && ::access(output.c_str(), F_OK) == 0)
    return args.usage_error(output + " exists: pass --overwrite to replace it");

  golf::ModelConfig cfg;
  golf::Status st = config_from_json(config, &cfg);
  if (!st.ok()) return fail(st);
  golf::TokenizerData tok;
  st = golf::spm_model_load(tokenizer, &tok);
  if (!st.ok()) return fail(st);
  if ((int)tok.pieces.size() > cfg.vocab_size)
    return fail(golf::Status(golf::StatusCode::invalid_argument,
                             tokenizer + " has " + std::to_string(tok.pieces.size()) + " pieces, more than vocab_size " +
                                 std::to_string(cfg.vocab_size) + " in " + config));
  golf::SafetensorsFile st_file;
  st = golf::safetensors_load(weights, &st_file);
  if (!st.ok()) return fail(st);

  // Every tensor the architecture needs, with its shape; extras only when allowed.
  std::vector<std::string> order;
  std::set<std::string> expected;
  for (const golf::TensorSpec& spec : golf::model_tensor_specs(cfg)) {
    auto it = st_file.tensors.find(spec.name);
    if (it == st_file.tensors.end())
      return fail(golf::Status(golf::StatusCode::invalid_argument, weights + ": missing tensor '" + spec.name + "' " +
                                                                      golf::shape_string(spec.shape) + " required by " + config));
    if (it->second.shape != spec.shape)
      return fail(golf::Status(golf::StatusCode::invalid_argument,
                               weights + ": tensor '" + spec.name + "' has shape " + golf::shape_string(it->second.shape) +
                                   ", the config needs " + golf::shape_string(spec.shape)));
    order.push_back(spec.name);
    expected.insert(spec.name);
  }
  for (const std::string& name : st_file.names) {
    if (expected.count(name)) continue;
    if (!allow_extra)
      return fail(golf::Status(golf::StatusCode::invalid_argument,
                               weights + ": tensor '" + name + "' is not part of the architecture (pass --allow-extra to keep it)"));
    order.push_back(name);
  }

  golf::GolfWriter writer;
  golf::model_config_to_kv(cfg, &writer.config());
  writer.set_tokenizer(tok);
  writer.metadata().set_string("created_by", "golf-pack");
  for (const std::string& m : metas) {
    size_t eq = m.find('=');
    if (eq == std::string::npos || !golf::kv_key_is_valid(m.substr(0, eq)))
      return fail(golf::Status(golf::StatusCode::invalid_argument, "--meta '" + m + "' is not key=value (key: a-z 0-9 _ .)"));
    writer.metadata().set_string(m.substr(0, eq), m.substr(eq + 1));
  }

  if (!quiet)
    std::printf("%-32s %-12s %-26s %12s %8s %10s %10s\n", "tensor", "shape", "recipe", "bytes", "bits/w", "max_abs",
                "rel_rms");
  uint64_t total_weights = 0;
  for (const std::string& name : order) {
    const golf::SafeTensor& t = st_file.tensors.at(name);
    std::vector<float> values;
    st = golf::safetensor_to_f32(t, &values);
    if (!st.ok()) return fail(st.prefix(weights + ": tensor '" + name + "': "));
    std::vector<uint64_t> dims = t.shape;
    if (dims.empty()) dims = {1};  // a scalar is stored as a 1-element vector
    golf::TensorPlan plan = recipe.plan_for(name, dims);
    golf::TensorRecord rec;
    golf::QuantError err;
    st = golf::make_tensor_record(name, dims, values.data(), plan, &rec, &err);
    if (!st.ok()) return fail(st);
    st = writer.add_tensor(std::move(rec));
    if (!st.ok()) return fail(st);
    uint64_t bytes = writer.last_stored_size();
    total_weights += values.size();
    if (!quiet)
      std::printf("%-32s %-12s %-26s %12llu %8.3f %10.3g %10.3g\n", name.c_str(), golf::shape_string(dims).c_str(),
                  plan.spec.c_str(), (unsigned long long)bytes, 8.0 * (double)bytes / (double)values.size(), err.max_abs,
                  err.rel_rms);
  }
  std::vector<uint8_t> bytes;
  st = writer.serialize(&bytes);
  if (!st.ok()) return fail(st);
  st = golf::write_file_atomic(output, bytes.data(), bytes.size());
  if (!st.ok()) return fail(st);
  golf::ByteWriter tok_bytes;
  golf::tokenizer_encode(tok, &tok_bytes);
  const uint64_t counted = bytes.size() - tok_bytes.size();  // the challenge does not count its tokenizer
  std::printf("wrote %s: %zu bytes, %llu weights, %.3f bits per weight; %llu bytes without the tokenizer section, "
              "%s the 16,000,000-byte budget before code\n",
              output.c_str(), bytes.size(), (unsigned long long)total_weights,
              8.0 * (double)bytes.size() / (double)total_weights, (unsigned long long)counted,
              counted <= golf::kChallengeBudgetBytes ? "within" : "OVER");
  return 0;
}
