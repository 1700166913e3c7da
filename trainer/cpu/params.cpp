// params.cpp: the CPU trainer's parameter and gradient buffers (see params.h).
#include "params.h"

#include <cstring>

namespace golf::train_cpu {

Status param_store_init(const ModelConfig& cfg, ParamStore* out) {
  GOLF_RETURN_IF_ERROR(param_layout_build(cfg, &out->layout));
  size_t bytes = out->layout.total * sizeof(float);
  if (!out->param_mem.allocate(bytes) || !out->grad_mem.allocate(bytes))
    return Status(StatusCode::out_of_memory, "params: cannot allocate " + std::to_string(2 * bytes) + " bytes");
  out->params = (float*)out->param_mem.data();
  out->grads = (float*)out->grad_mem.data();
  model_params_point(out->layout, out->params, &out->p);
  model_params_point(out->layout, out->grads, &out->g);
  return Status::Ok();
}

void param_store_zero_grads(ParamStore* s) { std::memset(s->grads, 0, s->layout.total * sizeof(float)); }

float* param_store_param(ParamStore* s, const std::string& name) {
  const ParamInfo* t = s->layout.find(name);
  return t ? s->params + t->offset : nullptr;
}

float* param_store_grad(ParamStore* s, const std::string& name) {
  const ParamInfo* t = s->layout.find(name);
  return t ? s->grads + t->offset : nullptr;
}

void params_init(ParamStore* s, uint64_t seed, const InitOptions& opt) {
  params_init(s->layout, s->params, seed, opt);
}

Status params_save(const std::string& path, const ParamStore& s) { return params_save(path, s.layout, s.params); }

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
