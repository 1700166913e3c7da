// manifest.cpp: manifest.json to and from JSON (see manifest.h). Written atomically, like the shards.
#include "manifest.h"

#include <nlohmann/json.hpp>

#include "mapped_file.h"

namespace golf {
namespace data {
namespace {

// ordered_json keeps the keys in the order written, which reads better than sorted.
using json = nlohmann::ordered_json;

json split_to_json(const SplitRecord& split) {
  json shards = json::array();
  for (const ShardRecord& s : split.shards) {
    shards.push_back({{"name", s.name}, {"tokens", s.tokens}, {"sha256", s.sha256}});
  }
  return {{"documents", split.documents}, {"tokens", split.tokens}, {"bytes", split.bytes}, {"shards", shards}};
}

void split_from_json(const json& j, SplitRecord* split) {
  split->documents = j.at("documents").get<uint64_t>();
  split->tokens = j.at("tokens").get<uint64_t>();
  split->bytes = j.at("bytes").get<uint64_t>();
  for (const json& s : j.at("shards")) {
    split->shards.push_back({s.at("name").get<std::string>(), s.at("tokens").get<uint64_t>(),
                             s.at("sha256").get<std::string>()});
  }
}

}  // namespace

std::string manifest_to_json(const Manifest& m) {
  json inputs = json::array();
  for (const InputRecord& in : m.inputs) {
    inputs.push_back({{"path", in.path}, {"format", in.format}, {"bytes", in.bytes}, {"sha256", in.sha256},
                      {"documents", in.documents}});
  }
  json j = {
      {"tool", m.tool},
      {"shard_format", "256 x int32 LE header (magic 20240520, version 1, num_tokens), then num_tokens x uint16 LE"},
      {"document_layout", "[BOS] + encode(text) per document, no EOS; the first val_docs documents form val"},
      {"tokenizer", {{"path", m.tokenizer_path}, {"sha256", m.tokenizer_sha256}, {"vocab_size", m.vocab_size},
                     {"bos_id", m.bos_id}}},
      {"inputs", inputs},
      {"options", {{"prefix", m.prefix}, {"text_field", m.text_field}, {"val_docs", m.val_docs},
                   {"shard_tokens", m.shard_tokens}, {"max_docs", m.max_docs}}},
      {"splits", {{"val", split_to_json(m.val)}, {"train", split_to_json(m.train)}}},
  };
  // Invalid UTF-8 in a path must not make dump() throw: replace it.
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

Status manifest_from_json(const std::string& text, const std::string& name, Manifest* out) {
  try {
    const json j = json::parse(text);
    Manifest m;
    m.tool = j.at("tool").get<std::string>();
    const json& tok = j.at("tokenizer");
    m.tokenizer_path = tok.at("path").get<std::string>();
    m.tokenizer_sha256 = tok.at("sha256").get<std::string>();
    m.vocab_size = tok.at("vocab_size").get<int>();
    m.bos_id = tok.at("bos_id").get<int>();
    for (const json& in : j.at("inputs")) {
      m.inputs.push_back({in.at("path").get<std::string>(), in.at("format").get<std::string>(),
                          in.at("bytes").get<uint64_t>(), in.at("sha256").get<std::string>(),
                          in.at("documents").get<uint64_t>()});
    }
    const json& opt = j.at("options");
    m.prefix = opt.at("prefix").get<std::string>();
    m.text_field = opt.at("text_field").get<std::string>();
    m.val_docs = opt.at("val_docs").get<uint64_t>();
    m.shard_tokens = opt.at("shard_tokens").get<uint64_t>();
    m.max_docs = opt.at("max_docs").get<uint64_t>();
    split_from_json(j.at("splits").at("val"), &m.val);
    split_from_json(j.at("splits").at("train"), &m.train);
    *out = std::move(m);
  } catch (const json::exception& e) {
    return Status(StatusCode::bad_format, name + ": not a golf-data manifest (" + e.what() + ")");
  }
  return Status::Ok();
}

Status write_manifest(const std::string& path, const Manifest& manifest) {
  const std::string text = manifest_to_json(manifest);
  return write_file_atomic(path, text.data(), text.size());
}

Status read_manifest(const std::string& path, Manifest* manifest) {
  std::string text;
  GOLF_RETURN_IF_ERROR(read_file_bytes(path, &text));
  return manifest_from_json(text, path, manifest);
}

}  // namespace data
}  // namespace golf
