// param_io.cpp: named F32/I32 tensor files over format/safetensors (the one safetensors reader/writer of the
// project), and the parameter save/load built on them.
#include "param_io.h"

#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "kv.h"  // defines: KeyValues (the CONF conversion shared with the .golf format)
#include "safetensors.h"  // defines: safetensors_load, safetensors_write

namespace golf::train_cpu {

using json = nlohmann::json;

static const char* dtype_name(TensorDtype d) { return d == TensorDtype::f32 ? "F32" : "I32"; }

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
  std::vector<SafeTensorOut> out;
  for (const TensorRef& t : tensors) {
    SafeTensorOut o{t.name, dtype_name(t.dtype), {}, t.data};
    for (int64_t s : t.shape) {
      if (s < 0) return Status(StatusCode::invalid_argument, path + ": negative dimension in '" + t.name + "'");
      o.shape.push_back((uint64_t)s);
    }
    out.push_back(std::move(o));
  }
  return safetensors_write(path, out, metadata);
}

Status tensor_file_read(const std::string& path, TensorFile* out) {
  SafetensorsFile sf;
  GOLF_RETURN_IF_ERROR(safetensors_load(path, &sf));
  TensorFile tf;
  tf.metadata = sf.metadata;
  for (const auto& [name, t] : sf.tensors) {
    TensorFileEntry te;
    if (t.dtype == "F32") te.dtype = TensorDtype::f32;
    else if (t.dtype == "I32") te.dtype = TensorDtype::i32;
    else return Status(StatusCode::unsupported, path + ": tensor '" + name + "' has dtype '" + t.dtype +
                                                    "'; only F32 and I32 are read here (save fp32 from PyTorch)");
    te.numel = t.size / 4;
    for (uint64_t d : t.shape) te.shape.push_back((int64_t)d);
    te.offset = (size_t)(t.data - (const uint8_t*)sf.bytes.data());
    // Elements are read in place, so they must be 4-byte aligned in the file (writers pad the header to 8).
    if (te.offset % 4 != 0) return Status(StatusCode::bad_format, path + ": tensor '" + name + "' is not 4-byte aligned");
    tf.tensors[name] = te;
  }
  tf.data = std::move(sf.bytes);  // offsets count from the file's first byte, so they hold after the move
  *out = std::move(tf);
  return Status::Ok();
}

std::vector<TensorRef> layout_tensor_refs(const ParamLayout& layout, const float* base, const std::string& prefix) {
  std::vector<TensorRef> refs;
  for (const ParamInfo& t : layout.tensors) refs.push_back({prefix + t.name, TensorDtype::f32, t.shape, base + t.offset});
  return refs;
}

Status params_save(const std::string& path, const ParamLayout& layout, const float* params) {
  return tensor_file_write(path, layout_tensor_refs(layout, params),
                           {{"golf.config", model_config_to_json(layout.config)}, {"golf.kind", "params"}});
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

}  // namespace golf::train_cpu
