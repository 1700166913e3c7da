// checkpoint.cpp: writing (atomic + durable), pruning, resolving, reading and restoring checkpoints (see
// checkpoint.h).
#include "checkpoint.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "mapped_file.h"  // defines: write_file_atomic, read_file_bytes
#include "sha256.h"       // defines: data::Sha256
#include "text_format.h"  // defines: format_double, strprintf

namespace golf::train {

namespace fs = std::filesystem;
using train_cpu::OptimizerState;
using train_cpu::ParamStore;
using train_cpu::TensorDtype;
using train_cpu::TensorFile;
using train_cpu::TensorRef;

namespace {

constexpr const char* kKind = "golf-train checkpoint";
constexpr const char* kPrefix = "step_";
constexpr const char* kSuffix = ".safetensors";

Status io_error(const std::string& what, const std::string& path) {
  return Status(StatusCode::io_error, path + ": " + what);
}

// SHA-256 over (name, 0, bytes) of every tensor in name order, so it does not depend on the file layout.
std::string content_hash(const std::vector<TensorRef>& refs) {
  std::vector<const TensorRef*> sorted;
  for (const TensorRef& r : refs) sorted.push_back(&r);
  std::sort(sorted.begin(), sorted.end(), [](const TensorRef* a, const TensorRef* b) { return a->name < b->name; });
  data::Sha256 h;
  for (const TensorRef* r : sorted) {
    size_t numel = 1;
    for (int64_t s : r->shape) numel *= (size_t)s;
    h.update(r->name.data(), r->name.size() + 1);  // with the terminating NUL as separator
    h.update(r->data, numel * 4);
  }
  return h.hex_digest();
}

std::string content_hash(const TensorFile& file) {
  std::vector<TensorRef> refs;
  for (const auto& [name, e] : file.tensors) refs.push_back({name, e.dtype, e.shape, file.data.data() + e.offset});
  return content_hash(refs);
}

std::string hex_encode(const std::string& bytes) {
  return data::to_hex((const uint8_t*)bytes.data(), bytes.size());
}

bool hex_decode(const std::string& hex, std::string* out) {
  if (hex.size() % 2) return false;
  out->clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    char* end = nullptr;
    std::string pair = hex.substr(i, 2);
    long v = std::strtol(pair.c_str(), &end, 16);
    if (*end != '\0') return false;
    out->push_back((char)v);
  }
  return true;
}

// The file names in dir (none when it cannot be read); the error_code forms of std::filesystem never throw.
std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    names.push_back(it->path().filename().string());
  return names;
}

// Step numbers of the checkpoint files in dir, ascending.
std::vector<int64_t> list_checkpoint_steps(const std::string& dir) {
  std::vector<int64_t> steps;
  for (const std::string& name : list_dir(dir)) {
    const size_t np = std::strlen(kPrefix), ns = std::strlen(kSuffix);
    if (name.size() <= np + ns || name.compare(0, np, kPrefix) != 0 ||
        name.compare(name.size() - ns, ns, kSuffix) != 0)
      continue;
    std::string digits = name.substr(np, name.size() - np - ns);
    if (digits.find_first_not_of("0123456789") != std::string::npos) continue;
    steps.push_back(std::strtoll(digits.c_str(), nullptr, 10));
  }
  std::sort(steps.begin(), steps.end());
  return steps;
}

// golf.options: a flat JSON object of strings.
Status parse_options_json(const std::string& text, std::map<std::string, std::string>* out) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Status(StatusCode::bad_format, "golf.options is not a JSON object");
  out->clear();
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!it.value().is_string())
      return Status(StatusCode::bad_format, "golf.options['" + it.key() + "'] is not a string");
    (*out)[it.key()] = it.value().get<std::string>();
  }
  return Status::Ok();
}

const std::string* meta_value(const TensorFile& file, const std::string& key) {
  auto it = file.metadata.find(key);
  return it == file.metadata.end() ? nullptr : &it->second;
}

}  // namespace

std::string checkpoint_file_name(int64_t step) {
  return kPrefix + strprintf("%08lld", (long long)step) + kSuffix;
}

Status checkpoint_write(const std::string& dir, const ParamStore& ps, const OptimizerState& opt,
                        const CheckpointMeta& meta, int keep, std::string* path_out) {
  std::vector<TensorRef> refs = train_cpu::layout_tensor_refs(ps.layout, ps.params, "param.");
  for (const TensorRef& r : train_cpu::optimizer_state_refs(opt)) refs.push_back(r);
  return checkpoint_write(dir, ps.layout.config, refs, {{"golf.adam_step", std::to_string(opt.adam_step)}}, meta,
                          keep, path_out);
}

Status checkpoint_write(const std::string& dir, const ModelConfig& config, const std::vector<TensorRef>& refs,
                        const std::map<std::string, std::string>& state_metadata, const CheckpointMeta& meta, int keep,
                        std::string* path_out) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return io_error("cannot create directory: " + ec.message(), dir);

  std::map<std::string, std::string> md = state_metadata;
  md["golf.kind"] = kKind;
  md["golf.checkpoint_version"] = std::to_string(kCheckpointVersion);
  md["golf.config"] = model_config_to_json(config);
  md["golf.step"] = std::to_string(meta.step);
  md["golf.training_time_ms"] = format_double(meta.training_time_ms);
  md["golf.tokens_seen"] = std::to_string(meta.tokens_seen);
  md["golf.loader_state"] = hex_encode(data::encode_loader_state(meta.loader));
  md["golf.seed"] = std::to_string(meta.seed);
  std::string options = "{";
  for (const auto& [k, v] : meta.options)
    options += (options.size() > 1 ? ", " : "") + json_quote(k) + ": " + json_quote(v);
  md["golf.options"] = options + "}";
  md["golf.data"] = meta.data_fingerprint;
  md["golf.tokenizer_sha256"] = meta.tokenizer_sha256;
  md["golf.world_size"] = std::to_string(meta.world_size);
  md["golf.threads"] = std::to_string(meta.threads);
  md["golf.content_sha256"] = content_hash(refs);

  const std::string name = checkpoint_file_name(meta.step);
  const std::string path = (fs::path(dir) / name).string();
  // Atomic and durable (write_file_atomic under it): the final name only ever appears on a complete file.
  GOLF_RETURN_IF_ERROR(train_cpu::tensor_file_write(path, refs, md));
  const std::string latest = name + "\n";
  GOLF_RETURN_IF_ERROR(write_file_atomic((fs::path(dir) / "latest").string(), latest.data(), latest.size()));
  if (path_out) *path_out = path;

  // Keep the newest `keep` (the one just written is the newest unless an older run left later steps: never
  // delete what `latest` names).
  std::vector<int64_t> steps = list_checkpoint_steps(dir);
  int64_t kept = 0;
  for (size_t i = steps.size(); i-- > 0;) {
    if (steps[i] == meta.step || kept < keep - 1) {
      if (steps[i] != meta.step) kept++;
      continue;
    }
    fs::remove(fs::path(dir) / checkpoint_file_name(steps[i]), ec);
  }
  return Status::Ok();
}

bool checkpoint_latest_exists(const std::string& dir) {
  std::error_code ec;
  return fs::exists(fs::path(dir) / "latest", ec);
}

Status checkpoint_clear(const std::string& dir) {
  std::error_code ec;
  for (int64_t s : list_checkpoint_steps(dir)) fs::remove(fs::path(dir) / checkpoint_file_name(s), ec);
  fs::remove(fs::path(dir) / "latest", ec);
  for (const std::string& n : list_dir(dir)) {
    if (n.find(".tmp") != std::string::npos)  // write_file_atomic's temporaries, left by a killed process
      fs::remove(fs::path(dir) / n, ec);
  }
  return Status::Ok();
}

Status checkpoint_resolve(const std::string& dir, const std::string& resume_arg, std::string* path) {
  if (resume_arg != "latest") {
    *path = resume_arg;
    return Status::Ok();
  }
  const std::string latest = (fs::path(dir) / "latest").string();
  std::string text;
  Status st = read_file_bytes(latest, &text);
  if (!st.ok()) {
    return Status(StatusCode::io_error, "--resume: no checkpoint to continue from (" + latest +
                                            " is missing; is --out the directory of an earlier run?)");
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  if (text.empty() || text.find('/') != std::string::npos)
    return Status(StatusCode::bad_format, latest + ": expected one checkpoint file name");
  *path = (fs::path(dir) / text).string();
  return Status::Ok();
}

Status checkpoint_read(const std::string& path, TensorFile* file, CheckpointMeta* meta) {
  GOLF_RETURN_IF_ERROR(train_cpu::tensor_file_read(path, file));
  auto bad = [&](const std::string& m) { return Status(StatusCode::bad_format, path + ": " + m); };
  const std::string* kind = meta_value(*file, "golf.kind");
  if (!kind || *kind != kKind) return bad("not a golf-train checkpoint (metadata golf.kind)");
  const std::string* version = meta_value(*file, "golf.checkpoint_version");
  if (!version || *version != std::to_string(kCheckpointVersion))
    return Status(StatusCode::unsupported, path + ": checkpoint version " + (version ? *version : "?") +
                                               ", this golf-train reads version " +
                                               std::to_string(kCheckpointVersion));
  const std::string* hash = meta_value(*file, "golf.content_sha256");
  if (!hash) return bad("metadata golf.content_sha256 missing");
  if (content_hash(*file) != *hash)
    return Status(StatusCode::checksum_mismatch,
                  path + ": content SHA-256 mismatch: the file is damaged; resume from an older checkpoint");
  for (const char* key : {"golf.step", "golf.training_time_ms", "golf.tokens_seen", "golf.loader_state", "golf.seed",
                          "golf.options", "golf.data", "golf.tokenizer_sha256", "golf.world_size", "golf.threads",
                          "golf.config", "golf.adam_step"}) {
    if (!meta_value(*file, key)) return bad(std::string("metadata ") + key + " missing");
  }
  meta->step = std::strtoll(meta_value(*file, "golf.step")->c_str(), nullptr, 10);
  meta->training_time_ms = std::strtod(meta_value(*file, "golf.training_time_ms")->c_str(), nullptr);
  meta->tokens_seen = std::strtoll(meta_value(*file, "golf.tokens_seen")->c_str(), nullptr, 10);
  meta->seed = std::strtoull(meta_value(*file, "golf.seed")->c_str(), nullptr, 10);
  meta->world_size = std::atoi(meta_value(*file, "golf.world_size")->c_str());
  meta->threads = std::atoi(meta_value(*file, "golf.threads")->c_str());
  meta->data_fingerprint = *meta_value(*file, "golf.data");
  meta->tokenizer_sha256 = *meta_value(*file, "golf.tokenizer_sha256");
  std::string loader_bytes;
  if (!hex_decode(*meta_value(*file, "golf.loader_state"), &loader_bytes)) return bad("golf.loader_state is not hex");
  GOLF_RETURN_IF_ERROR(data::decode_loader_state(loader_bytes.data(), loader_bytes.size(), &meta->loader)
                           .prefix(path + ": golf.loader_state: "));
  GOLF_RETURN_IF_ERROR(parse_options_json(*meta_value(*file, "golf.options"), &meta->options).prefix(path + ": "));
  return Status::Ok();
}

Status checkpoint_restore(const TensorFile& file, ParamStore* ps, OptimizerState* opt) {
  ModelConfig stored;
  auto config = file.metadata.find("golf.config");
  if (config == file.metadata.end()) return Status(StatusCode::bad_format, "checkpoint lacks metadata golf.config");
  GOLF_RETURN_IF_ERROR(model_config_from_json(config->second, &stored));
  const std::string have = model_config_to_json(ps->layout.config);
  const std::string want = model_config_to_json(stored);
  if (have != want) {
    return Status(StatusCode::invalid_argument,
                  "checkpoint model config differs from this run's: checkpoint " + want + ", run " + have);
  }
  GOLF_RETURN_IF_ERROR(train_cpu::params_load_buffer(file, ps->layout, ps->params, "param."));
  GOLF_RETURN_IF_ERROR(train_cpu::optimizer_state_load(file, opt));
  return Status::Ok();
}

}  // namespace golf::train
