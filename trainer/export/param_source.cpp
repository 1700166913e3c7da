// param_source.cpp: reading golf-export's inputs (param_source.h).
#include "param_source.h"

#include <cstdlib>
#include <cstring>

#include "params/param_io.h"
#include "mapped_file.h"  // defines: read_file_bytes
#include "safetensors.h"

namespace golf::train_export {

namespace {

const char kAnchorTensor[] = "tok_emb.weight";  // every golf-gpt model has it

// Prefixes of tensors that share the parameters' names and shapes but are not parameters: golf-train's optimizer
// state ("adam.m.", "adam.v.", "muon.momentum.", trainer/cpu/optimizer.h) and gradients.
bool is_state_prefix(const std::string& prefix) {
  return prefix.rfind("adam.", 0) == 0 || prefix.rfind("muon.", 0) == 0 || prefix.rfind("grad", 0) == 0;
}

Status find_prefix(const SafetensorsFile& file, const std::string& path, std::string* prefix) {
  std::vector<std::string> candidates;
  const std::string anchor = kAnchorTensor;
  for (const std::string& name : file.names) {
    if (name == anchor) {
      *prefix = "";
      return Status::Ok();
    }
    if (name.size() > anchor.size() && name.compare(name.size() - anchor.size(), anchor.size(), anchor) == 0)
      if (!is_state_prefix(name.substr(0, name.size() - anchor.size())))
        candidates.push_back(name.substr(0, name.size() - anchor.size()));
  }
  if (candidates.size() == 1) {
    *prefix = candidates[0];
    return Status::Ok();
  }
  if (candidates.empty())
    return Status(StatusCode::invalid_argument, path + ": no tensor named '" + anchor + "' (or PREFIX" + anchor +
                                                    "): not a golf-gpt parameter file");
  std::string list;
  for (const std::string& c : candidates) list += (list.empty() ? "'" : ", '") + c + "'";
  return Status(StatusCode::invalid_argument,
                path + ": several parameter sets (prefixes " + list + "); choose one with --prefix");
}

std::string shape_text(const std::vector<uint64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); i++) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

}  // namespace

Status load_export_params(const std::string& path, const ParamSourceOptions& options, ExportParams* out) {
  SafetensorsFile file;
  GOLF_RETURN_IF_ERROR(safetensors_load(path, &file));
  ModelConfig cfg;
  if (!options.config_path.empty()) {
    std::string json;
    GOLF_RETURN_IF_ERROR(read_file_bytes(options.config_path, &json));
    GOLF_RETURN_IF_ERROR(model_config_from_json(json, &cfg).prefix(options.config_path + ": "));
  } else {
    auto it = file.metadata.find("golf.config");
    if (it == file.metadata.end())
      return Status(StatusCode::invalid_argument,
                    path + ": no 'golf.config' metadata; give the architecture with --config FILE.json");
    GOLF_RETURN_IF_ERROR(model_config_from_json(it->second, &cfg).prefix(path + ": golf.config: "));
  }
  std::string prefix = options.prefix;
  if (!options.prefix_set) GOLF_RETURN_IF_ERROR(find_prefix(file, path, &prefix));

  ExportParams r;
  GOLF_RETURN_IF_ERROR(train_cpu::param_layout_build(cfg, &r.layout));
  if (!r.memory.allocate(r.layout.total * sizeof(float)))
    return Status(StatusCode::out_of_memory, path + ": cannot allocate " + std::to_string(r.layout.total) + " floats");
  float* base = (float*)r.memory.data();
  std::vector<float> values;
  for (const train_cpu::ParamInfo& t : r.layout.tensors) {
    const std::string name = prefix + t.name;
    auto it = file.tensors.find(name);
    std::vector<uint64_t> want(t.shape.begin(), t.shape.end());
    if (it == file.tensors.end())
      return Status(StatusCode::invalid_argument,
                    path + ": missing tensor '" + name + "' " + shape_text(want) + " required by the config");
    if (it->second.shape != want)
      return Status(StatusCode::invalid_argument, path + ": tensor '" + name + "' has shape " +
                                                      shape_text(it->second.shape) + ", the config needs " +
                                                      shape_text(want));
    GOLF_RETURN_IF_ERROR(safetensor_to_f32(it->second, &values).prefix(path + ": tensor '" + name + "': "));
    std::memcpy(base + t.offset, values.data(), t.numel * sizeof(float));
  }
  r.prefix = prefix;
  r.metadata = file.metadata;
  *out = std::move(r);
  return Status::Ok();
}

ExportProvenance provenance_from_metadata(const std::map<std::string, std::string>& metadata) {
  ExportProvenance p;
  auto text = [&](const char* key) -> const std::string* {
    auto it = metadata.find(key);
    return it == metadata.end() || it->second.empty() ? nullptr : &it->second;
  };
  auto integer = [&](const char* key, std::optional<int64_t>* out) {
    const std::string* v = text(key);
    char* end = nullptr;
    if (v) {
      long long n = std::strtoll(v->c_str(), &end, 10);
      if (*end == 0) *out = n;
    }
  };
  integer("golf.step", &p.train_steps);
  integer("golf.tokens_seen", &p.train_tokens);
  integer("golf.seed", &p.seed);
  if (const std::string* v = text("golf.training_time_ms")) {
    char* end = nullptr;
    double ms = std::strtod(v->c_str(), &end);
    if (*end == 0) p.train_seconds = ms / 1000.0;
  }
  if (const std::string* v = text("golf.data")) p.extra.emplace_back("data_fingerprint", *v);
  if (const std::string* v = text("golf.tokenizer_sha256")) p.extra.emplace_back("tokenizer_sha256", *v);
  return p;
}

}  // namespace golf::train_export
