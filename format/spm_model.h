// spm_model.h: reads a SentencePiece .model file (a serialized ModelProto protobuf) into TokenizerData, with a
// hand-written protobuf wire-format parser (no protobuf dependency). Every length is bounds-checked.
#pragma once
#include <string>

#include "status.h"
#include "tokenizer_data.h"

namespace golf {

Status spm_model_parse(const uint8_t* data, size_t size, TokenizerData* out);
Status spm_model_load(const std::string& path, TokenizerData* out);

}  // namespace golf
