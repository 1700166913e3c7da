// golf_writer.h: builds a .golf file (SPEC.md) from a config, a tokenizer, metadata and tensors given in their raw
// layout, encoding each tensor with its codec. Writing to disk is atomic (temp file, fsync, rename).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "dtype.h"
#include "kv.h"
#include "status.h"
#include "tokenizer_data.h"

namespace golf {

struct TensorRecord {
  std::string name;
  Dtype dtype = Dtype::f32;
  Codec codec = Codec::raw;
  std::vector<uint64_t> dims;
  uint32_t group_size = 0;
  std::vector<uint8_t> raw;  // the raw layout (SPEC.md §5.2); see quant.h to make it from floats
};

class GolfWriter {
 public:
  KeyValues& config() { return config_; }
  KeyValues& metadata() { return metadata_; }
  void set_tokenizer(const TokenizerData& t) { tokenizer_ = t; has_tokenizer_ = true; }

  // Validates the record (name, layout, raw size) and encodes it with its codec; the stored size is then known.
  Status add_tensor(TensorRecord record);
  // Stored bytes of the tensor added last (after its codec), for size reports.
  uint64_t last_stored_size() const { return tensors_.empty() ? 0 : tensors_.back().stored.size(); }

  Status serialize(std::vector<uint8_t>* out) const;
  Status write_file(const std::string& path) const;

 private:
  struct Stored {
    TensorRecord rec;  // rec.raw is released after encoding
    std::vector<uint8_t> stored;
  };
  KeyValues config_, metadata_;
  TokenizerData tokenizer_;
  bool has_tokenizer_ = false;
  std::vector<Stored> tensors_;
};

}  // namespace golf
