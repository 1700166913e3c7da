// params.h: the parameters and gradients of a golf-gpt model for the CPU trainer: two flat host buffers laid out by
// ParamLayout (params/param_layout.h) with typed views into each, and the ParamStore forms of the neutral init and
// parameter I/O (params/init.h, params/param_io.h).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "aligned_buffer.h"       // defines: AlignedBuffer
#include "model_config.h"         // defines: ModelConfig
#include "params/init.h"          // defines: InitOptions, params_init
#include "params/param_io.h"      // defines: TensorFile, params_save
#include "params/param_layout.h"  // defines: ParamLayout, ModelParams
#include "status.h"               // defines: Status

namespace golf::train_cpu {

// Owns the parameter and gradient buffers of one model.
struct ParamStore {
  ParamLayout layout;
  AlignedBuffer param_mem, grad_mem;
  float* params = nullptr;  // (total)
  float* grads = nullptr;   // (total)
  ModelParams p;            // views into params
  ModelParams g;            // views into grads
};

// Allocates zeroed parameters and gradients for `cfg`.
Status param_store_init(const ModelConfig& cfg, ParamStore* out);
void param_store_zero_grads(ParamStore* s);
// Named views: nullptr when the name is unknown.
float* param_store_param(ParamStore* s, const std::string& name);
float* param_store_grad(ParamStore* s, const std::string& name);

// params_init of s->params.
void params_init(ParamStore* s, uint64_t seed, const InitOptions& opt = InitOptions());
// Saves the parameters (metadata: golf.config, golf.kind = "params").
Status params_save(const std::string& path, const ParamStore& s);
// Builds a ParamStore from the config stored in the file and loads its parameters (grads zeroed).
Status param_store_load(const std::string& path, ParamStore* out);

}  // namespace golf::train_cpu
