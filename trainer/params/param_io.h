// param_io.h: parameters (and any other named fp32/int32 tensors: gradients, optimizer state, test batches) to and
// from safetensors files, the format the PyTorch reference (tests/reference/golf_gpt.py) reads and writes.
// safetensors: u64 LE header length, a JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {str: str}},
// then the raw little-endian tensor bytes. The model config travels in metadata key "golf.config" as a JSON object
// of the SPEC.md §3.1 CONF keys.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "config_json.h"   // defines: model_config_to_json, model_config_from_json
#include "model_config.h"  // defines: ModelConfig
#include "param_layout.h"  // defines: ParamLayout
#include "status.h"        // defines: Status

namespace golf::train_cpu {

enum class TensorDtype { f32, i32 };

// A tensor to write; `data` holds numel(shape) elements of `dtype`.
struct TensorRef {
  std::string name;
  TensorDtype dtype = TensorDtype::f32;
  std::vector<int64_t> shape;
  const void* data = nullptr;
};

struct TensorFileEntry {
  TensorDtype dtype = TensorDtype::f32;
  std::vector<int64_t> shape;
  size_t offset = 0;  // bytes into TensorFile::data (the whole file)
  size_t numel = 0;
};

// A whole file read into memory (test and checkpoint sizes; tens of MB).
struct TensorFile {
  std::map<std::string, std::string> metadata;
  std::map<std::string, TensorFileEntry> tensors;
  std::string data;  // the whole file; entries' offsets count from its first byte
  const TensorFileEntry* find(const std::string& name) const;
  const float* f32(const std::string& name) const;      // nullptr unless present with dtype f32
  const int32_t* i32(const std::string& name) const;    // nullptr unless present with dtype i32
};

// Writes atomically (temp file, fsync, rename: format/safetensors.h) so a crash never leaves a truncated checkpoint.
Status tensor_file_write(const std::string& path, const std::vector<TensorRef>& tensors,
                         const std::map<std::string, std::string>& metadata = {});
Status tensor_file_read(const std::string& path, TensorFile* out);


// TensorRefs of a buffer laid out as `layout` (the params, the grads, or a same-shaped state), named
// prefix + tensor name.
std::vector<TensorRef> layout_tensor_refs(const ParamLayout& layout, const float* base, const std::string& prefix = "");

// Saves the parameters `params` laid out as `layout` (metadata: golf.config, golf.kind = "params").
Status params_save(const std::string& path, const ParamLayout& layout, const float* params);
// Copies every layout tensor from `file` into `base` (shapes must match exactly; extra tensors are ignored).
Status params_load_buffer(const TensorFile& file, const ParamLayout& layout, float* base, const std::string& prefix = "");

}  // namespace golf::train_cpu
