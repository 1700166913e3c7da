// safetensors.h: reads and writes safetensors files (8-byte header length, JSON header, raw little-endian data),
// the weight exchange format of the PyTorch ecosystem. golf-pack reads them; tests write them.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "status.h"

namespace golf {

struct SafeTensor {
  std::string dtype;              // "F32", "F16", "BF16", ...
  std::vector<uint64_t> shape;
  const uint8_t* data = nullptr;  // into SafetensorsFile::bytes
  uint64_t size = 0;
};

struct SafetensorsFile {
  std::string bytes;                           // the whole file
  std::vector<std::string> names;              // in file order (by data offset)
  std::map<std::string, SafeTensor> tensors;
  std::map<std::string, std::string> metadata; // "__metadata__"
};

// Validates the header (JSON, dtypes, shapes vs byte ranges, ranges inside the data, no overlap).
Status safetensors_load(const std::string& path, SafetensorsFile* out);
Status safetensors_parse(std::string bytes, const std::string& name, SafetensorsFile* out);
// Converts a tensor of dtype F32/F16/BF16 to fp32.
Status safetensor_to_f32(const SafeTensor& t, std::vector<float>* out);

// A tensor to write: `data` holds product(shape) elements of `dtype` ("F32", "I32", "F16", ...), little-endian.
struct SafeTensorOut {
  std::string name;
  std::string dtype = "F32";
  std::vector<uint64_t> shape;
  const void* data = nullptr;
};

// Writes the tensors in the order given, with string metadata ("__metadata__"), atomically (temp file, fsync,
// rename). The header is padded with spaces so the data block starts 8-byte aligned.
Status safetensors_write(const std::string& path, const std::vector<SafeTensorOut>& tensors,
                         const std::map<std::string, std::string>& metadata = {});

}  // namespace golf
