// param_io.cpp: a minimal safetensors reader/writer (F32 and I32 only) and the parameter save/load built on it.
#include "param_io.h"

#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "kv.h"  // defines: KeyValues (the CONF conversion shared with the .golf format)

namespace golf::train_cpu {

using json = nlohmann::json;

static const char* dtype_name(TensorDtype d) { return d == TensorDtype::f32 ? "F32" : "I32"; }

static bool host_is_little_endian() {
  uint32_t one = 1;
  uint8_t b;
  std::memcpy(&b, &one, 1);
  return b == 1;
}

const TensorFileEntry* TensorFile::find(const std::string& name) const {
  auto it = tensors.find(name);
  return it == tensors.end() ? nullptr : &it->second;
}

const float* TensorFile::f32(const std::string& name) const {
  const TensorFileEntry* e = find(name);
  return e && e->dtype == TensorDtype::f32 ? (const float*)(data.data() + e->offset) : nullptr;
}

const int32_t* TensorFile::i32(const std::string& name) const {
  const TensorFileEntry* e = find(name);
  return e && e->dtype == TensorDtype::i32 ? (const int32_t*)(data.data() + e->offset) : nullptr;
}

Status tensor_file_write(const std::string& path, const std::vector<TensorRef>& tensors,
                         const std::map<std::string, std::string>& metadata) {
  if (!host_is_little_endian()) return Status(StatusCode::unsupported, path + ": big-endian hosts are not supported");
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  size_t offset = 0;
  for (const TensorRef& t : tensors) {
    size_t numel = 1;
    for (int64_t s : t.shape) {
      if (s < 0) return Status(StatusCode::invalid_argument, path + ": negative dimension in '" + t.name + "'");
      numel *= (size_t)s;
    }
    size_t nbytes = numel * 4;
    header[t.name] = {{"dtype", dtype_name(t.dtype)}, {"shape", t.shape}, {"data_offsets", {offset, offset + nbytes}}};
    offset += nbytes;
  }
  std::string text = header.dump();
  while ((8 + text.size()) % 8 != 0) text.push_back(' ');  // the spec allows space padding; keeps data 8-aligned
  std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) return Status(StatusCode::io_error, tmp + ": cannot open for writing");
  uint64_t n = text.size();
  uint8_t len_le[8];
  for (int i = 0; i < 8; i++) len_le[i] = (uint8_t)(n >> (8 * i));
  bool ok = std::fwrite(len_le, 1, 8, f) == 8 && std::fwrite(text.data(), 1, text.size(), f) == text.size();
  for (const TensorRef& t : tensors) {
    size_t numel = 1;
    for (int64_t s : t.shape) numel *= (size_t)s;
    if (ok && numel) ok = std::fwrite(t.data, 4, numel, f) == numel;
  }
  ok = (std::fclose(f) == 0) && ok;
  if (!ok) {
    std::remove(tmp.c_str());
    return Status(StatusCode::io_error, tmp + ": write failed (disk full?)");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return Status(StatusCode::io_error, path + ": rename failed");
  return Status::Ok();
}

Status tensor_file_read(const std::string& path, TensorFile* out) {
  if (!host_is_little_endian()) return Status(StatusCode::unsupported, path + ": big-endian hosts are not supported");
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return Status(StatusCode::io_error, path + ": cannot open");
  std::vector<uint8_t> bytes;
  uint8_t buf[1 << 16];
  size_t got;
  while ((got = std::fread(buf, 1, sizeof buf, f)) > 0) bytes.insert(bytes.end(), buf, buf + got);
  bool read_error = std::ferror(f) != 0;
  std::fclose(f);
  if (read_error) return Status(StatusCode::io_error, path + ": read failed");
  auto bad = [&](const std::string& m) { return Status(StatusCode::bad_format, path + ": not a safetensors file: " + m); };
  if (bytes.size() < 8) return bad("shorter than 8 bytes");
  uint64_t n = 0;
  for (int i = 0; i < 8; i++) n |= (uint64_t)bytes[i] << (8 * i);
  if (n > bytes.size() - 8) return bad("header length exceeds the file");
  json header = json::parse(bytes.begin() + 8, bytes.begin() + 8 + (ptrdiff_t)n, nullptr, false);
  if (header.is_discarded() || !header.is_object()) return bad("header is not a JSON object");
  TensorFile tf;
  size_t data_size = bytes.size() - 8 - n;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it->is_object()) return bad("__metadata__ is not an object");
      for (auto m = it->begin(); m != it->end(); ++m)
        if (m->is_string()) tf.metadata[m.key()] = m->get<std::string>();
      continue;
    }
    const json& e = *it;
    if (!e.is_object() || !e.contains("dtype") || !e.contains("shape") || !e.contains("data_offsets"))
      return bad("entry '" + it.key() + "' lacks dtype/shape/data_offsets");
    TensorFileEntry te;
    std::string dt = e["dtype"].is_string() ? e["dtype"].get<std::string>() : "";
    if (dt == "F32") te.dtype = TensorDtype::f32;
    else if (dt == "I32") te.dtype = TensorDtype::i32;
    else return Status(StatusCode::unsupported, path + ": tensor '" + it.key() + "' has dtype '" + dt +
                                                    "'; only F32 and I32 are read here (save fp32 from PyTorch)");
    te.numel = 1;
    for (const json& s : e["shape"]) {
      if (!s.is_number_integer() || s.get<int64_t>() < 0) return bad("bad shape of '" + it.key() + "'");
      te.shape.push_back(s.get<int64_t>());
      te.numel *= (size_t)te.shape.back();
    }
    const json& off = e["data_offsets"];
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned())
      return bad("bad data_offsets of '" + it.key() + "'");
    size_t b = off[0].get<size_t>(), end = off[1].get<size_t>();
    if (end < b || end > data_size || end - b != te.numel * 4) return bad("data_offsets of '" + it.key() + "' out of range");
    if (b % 4 != 0) return bad("tensor '" + it.key() + "' is not 4-byte aligned");
    te.offset = b;
    tf.tensors[it.key()] = te;
  }
  tf.data.assign(bytes.begin() + 8 + (ptrdiff_t)n, bytes.end());
  *out = std::move(tf);
  return Status::Ok();
}

std::string model_config_to_json(const ModelConfig& c) {
  KeyValues kv;
  model_config_to_kv(c, &kv);
  json j = json::object();
  for (const KvEntry& e : kv.entries()) {
    switch (e.type) {
      case KvType::int_: j[e.key] = e.i; break;
      case KvType::float_: j[e.key] = e.f; break;
      case KvType::string: j[e.key] = e.s; break;
      case KvType::bool_: j[e.key] = e.b; break;
      case KvType::int_array: j[e.key] = e.ints; break;
      case KvType::float_array: j[e.key] = e.floats; break;
    }
  }
  return j.dump();
}

Status model_config_from_json(const std::string& text, ModelConfig* out) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status(StatusCode::bad_format, "golf.config is not a JSON object");
  KeyValues kv;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it->is_boolean()) kv.set_bool(it.key(), it->get<bool>());
    else if (it->is_number_integer()) kv.set_int(it.key(), it->get<int64_t>());
    else if (it->is_number()) kv.set_float(it.key(), it->get<double>());
    else if (it->is_string()) kv.set_string(it.key(), it->get<std::string>());
  }
  return model_config_from_kv(kv, out);
}

std::vector<TensorRef> layout_tensor_refs(const ParamLayout& layout, const float* base, const std::string& prefix) {
  std::vector<TensorRef> refs;
  for (const ParamInfo& t : layout.tensors) refs.push_back({prefix + t.name, TensorDtype::f32, t.shape, base + t.offset});
  return refs;
}

Status params_save(const std::string& path, const ParamStore& s) {
  return tensor_file_write(path, layout_tensor_refs(s.layout, s.params),
                           {{"golf.config", model_config_to_json(s.layout.config)}, {"golf.kind", "params"}});
}

Status params_load_buffer(const TensorFile& file, const ParamLayout& layout, float* base, const std::string& prefix) {
  for (const ParamInfo& t : layout.tensors) {
    const std::string name = prefix + t.name;
    const TensorFileEntry* e = file.find(name);
    if (!e) return Status(StatusCode::bad_format, "tensor '" + name + "' missing from the file");
    if (e->dtype != TensorDtype::f32 || e->shape != t.shape)
      return Status(StatusCode::bad_format, "tensor '" + name + "' has the wrong dtype or shape for this config");
    std::memcpy(base + t.offset, file.data.data() + e->offset, t.numel * sizeof(float));
  }
  return Status::Ok();
}

Status param_store_load(const std::string& path, ParamStore* out) {
  TensorFile file;
  GOLF_RETURN_IF_ERROR(tensor_file_read(path, &file));
  auto it = file.metadata.find("golf.config");
  if (it == file.metadata.end())
    return Status(StatusCode::bad_format, path + ": no 'golf.config' metadata (write it with golf_gpt.save_weights)");
  ModelConfig cfg;
  GOLF_RETURN_IF_ERROR(model_config_from_json(it->second, &cfg).prefix(path + ": "));
  GOLF_RETURN_IF_ERROR(param_store_init(cfg, out));
  return params_load_buffer(file, out->layout, out->params).prefix(path + ": ");
}

}  // namespace golf::train_cpu
