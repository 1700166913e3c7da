// golf-inspect: prints what a .golf file holds (header, config, tokenizer, tensors with their bits per weight,
// metadata), its total against the challenge's 16,000,000-byte budget, whether every checksum holds, and whether
// the file is a valid model by the same check a load runs (format/validate.h); --check prints only that verdict.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "args.h"
#include "config_json.h"
#include "golf_file.h"
#include "text_util.h"
#include "tokenizer.h"
#include "validate.h"

namespace {

const char* piece_type_name(golf::PieceType t) {
  switch (t) {
    case golf::PieceType::normal: return "normal";
    case golf::PieceType::unknown: return "unknown";
    case golf::PieceType::control: return "control";
    case golf::PieceType::user_defined: return "user_defined";
    case golf::PieceType::unused: return "unused";
    case golf::PieceType::byte: return "byte";
  }
  return "?";
}

}  // namespace

int main(int argc, char** argv) {
  bool json = false, check_only = false;
  std::vector<std::string> files;
  golf::cli::ArgParser args(
      "golf-inspect", "FILE.golf [--json | --check]",
      "Prints the header, config, tokenizer summary, tensor table (name, shape, dtype, codec, stored bytes,\n"
      "bits per weight), metadata, the model bytes the challenge counts (the file without its tokenizer section)\n"
      "against the 16,000,000-byte budget, the checksum status, and whether it is a valid model: the check\n"
      "golf-eval, the C API and the bindings run when they load it, with the same message.");
  args.positionals("FILE.golf", &files, 1, 1, "the file to inspect")
      .flag("--json", &json, "machine-readable output on stdout")
      .flag("--check", &check_only, "only the verdict: 'FILE: valid' on stdout, or the load's error on stderr")
      .epilog("Exit status: 0 file valid, 1 file invalid or unreadable, 2 bad usage.");
  if (int rc = args.parse(argc, argv); rc >= 0) return rc;
  if (json && check_only) return args.usage_error("--json and --check exclude each other");
  const std::string path = files[0];

  std::unique_ptr<golf::GolfFile> f;
  golf::Status st = golf::GolfFile::open(path, &f);
  if (!st.ok()) {
    if (json) {
      nlohmann::ordered_json j = {{"file", path}, {"valid", false}, {"error", st.message()},
                                  {"error_code", golf::status_code_name(st.code())}};
      std::printf("%s\n", j.dump(2).c_str());
    }
    std::fprintf(stderr, "golf-inspect: %s\n", st.message().c_str());
    return 1;
  }
  // Open verified every checksum; verify_all names every damaged part, for the listing.
  golf::Status verify = f->verify_all();
  golf::ModelConfig config;
  golf::Status model = golf::validate_model_file(*f, golf::tokenizer_check, &config);
  const bool valid = verify.ok() && model.ok();
  if (check_only) {
    if (valid) std::printf("%s: valid\n", path.c_str());
    else std::fprintf(stderr, "golf-inspect: %s\n", (verify.ok() ? model : verify).message().c_str());
    return valid ? 0 : 1;
  }

  uint64_t weights = 0, stored = 0, tokenizer_bytes = 0;
  for (const auto& s : f->sections())
    if (s.kind == "TOKN") tokenizer_bytes = s.size;
  // What the challenge counts of a model: everything but the tokenizer, which is part of its data pipeline.
  const uint64_t counted = f->file_size() - tokenizer_bytes;
  for (const golf::TensorInfo& t : f->tensors()) weights += t.layout.count, stored += t.stored_size;
  std::map<std::string, int> piece_types;
  if (f->has_tokenizer())
    for (const auto& p : f->tokenizer().pieces) piece_types[piece_type_name(p.type)]++;

  if (json) {
    nlohmann::ordered_json j;
    j["file"] = path;
    j["valid"] = valid;
    if (!model.ok()) j["error"] = model.message();
    j["version"] = std::to_string(f->version_major()) + "." + std::to_string(f->version_minor());
    j["file_bytes"] = f->file_size();
    j["budget_bytes"] = golf::kChallengeBudgetBytes;
    j["tokenizer_bytes"] = tokenizer_bytes;
    j["counted_bytes"] = counted;
    j["fits_budget"] = counted <= golf::kChallengeBudgetBytes;
    j["checksums"] = verify.ok() ? "ok" : verify.message();
    for (const auto& s : f->sections())
      j["sections"].push_back({{"kind", s.kind}, {"required", (bool)(s.flags & golf::kSectionRequired)},
                               {"offset", s.offset}, {"size", s.size}});
    j["config"] = golf::kv_to_json(f->config());
    j["metadata"] = golf::kv_to_json(f->metadata());
    if (f->has_tokenizer()) {
      const golf::TokenizerData& t = f->tokenizer();
      j["tokenizer"] = {{"model_type", t.model_type}, {"pieces", t.pieces.size()}, {"normalizer", t.normalizer_name},
                        {"byte_fallback", t.has(golf::kTokByteFallback)}, {"unk_id", t.unk_id}, {"bos_id", t.bos_id},
                        {"eos_id", t.eos_id}, {"pad_id", t.pad_id}, {"piece_types", piece_types}};
    }
    for (const golf::TensorInfo& t : f->tensors())
      j["tensors"].push_back({{"name", t.name}, {"shape", t.dims}, {"dtype", golf::dtype_name(t.dtype)},
                              {"codec", golf::codec_name(t.codec)}, {"group_size", t.group_size},
                              {"stored_bytes", t.stored_size},
                              {"bits_per_weight", 8.0 * (double)t.stored_size / (double)t.layout.count}});
    j["total_weights"] = weights;
    j["total_tensor_bytes"] = stored;
    std::printf("%s\n", j.dump(2).c_str());
    return valid ? 0 : 1;
  }

  std::printf("%s: .golf version %u.%u, %s bytes, %zu sections\n", path.c_str(), f->version_major(),
              f->version_minor(), golf::with_commas(f->file_size()).c_str(), f->sections().size());
  for (const auto& s : f->sections())
    std::printf("  section %-4s %-8s offset %10llu  size %10llu\n", s.kind.c_str(),
                (s.flags & golf::kSectionRequired) ? "required" : "optional", (unsigned long long)s.offset,
                (unsigned long long)s.size);
  std::printf("config:\n");
  for (const auto& e : f->config().entries()) std::printf("  %-20s %s\n", e.key.c_str(), e.value_string().c_str());
  if (f->has_tokenizer()) {
    const golf::TokenizerData& t = f->tokenizer();
    std::printf("tokenizer: %s, %zu pieces (", t.model_type == golf::kModelBpe ? "BPE" : "non-BPE", t.pieces.size());
    bool first = true;
    for (const auto& kv : piece_types) std::printf("%s%d %s", first ? "" : ", ", kv.second, kv.first.c_str()), first = false;
    std::printf("), normalizer %s, byte_fallback %s, unk %d bos %d eos %d pad %d\n", t.normalizer_name.c_str(),
                t.has(golf::kTokByteFallback) ? "on" : "off", t.unk_id, t.bos_id, t.eos_id, t.pad_id);
  } else {
    std::printf("tokenizer: none\n");
  }
  std::printf("tensors:\n  %-32s %-14s %-5s %-5s %5s %12s %8s\n", "name", "shape", "dtype", "codec", "group", "bytes",
              "bits/w");
  for (const golf::TensorInfo& t : f->tensors())
    std::printf("  %-32s %-14s %-5s %-5s %5u %12s %8.3f\n", t.name.c_str(), golf::shape_string(t.dims).c_str(),
                golf::dtype_name(t.dtype), golf::codec_name(t.codec), t.group_size,
                golf::with_commas(t.stored_size).c_str(), 8.0 * (double)t.stored_size / (double)t.layout.count);
  std::printf("  %zu tensors, %s weights, %s bytes of tensor data (%.3f bits per weight)\n", f->tensors().size(),
              golf::with_commas(weights).c_str(), golf::with_commas(stored).c_str(),
              weights ? 8.0 * (double)stored / (double)weights : 0.0);
  if (!f->metadata().empty()) {
    std::printf("metadata:\n");
    for (const auto& e : f->metadata().entries()) std::printf("  %-20s %s\n", e.key.c_str(), e.value_string().c_str());
  }
  std::printf("budget: %s bytes counted (the file without its %s-byte tokenizer section, which the challenge does\n"
              "        not count), code not included: ", golf::with_commas(counted).c_str(), golf::with_commas(tokenizer_bytes).c_str());
  if (counted <= golf::kChallengeBudgetBytes)
    std::printf("%.2f%% of %s, %s to spare\n", 100.0 * (double)counted / (double)golf::kChallengeBudgetBytes,
                golf::with_commas(golf::kChallengeBudgetBytes).c_str(), golf::with_commas(golf::kChallengeBudgetBytes - counted).c_str());
  else
    std::printf("OVER %s by %s bytes\n", golf::with_commas(golf::kChallengeBudgetBytes).c_str(), golf::with_commas(counted - golf::kChallengeBudgetBytes).c_str());
  std::printf("checksums: %s\n", verify.ok() ? "ok (file, every section, every tensor)" : verify.message().c_str());
  std::printf("model: %s\n", model.ok() ? "valid (loads as a golf-gpt model)" : model.message().c_str());
  return valid ? 0 : 1;
}
