// tokenizer_source.cpp: reads TokenizerData from a SentencePiece .model or a .golf file (see tokenizer_source.h).
#include "tokenizer_source.h"

#include <cstring>
#include <memory>

#include "golf_file.h"
#include "mapped_file.h"
#include "spm_model.h"

namespace golf {

Status load_tokenizer_data(const std::string& path, TokenizerData* out) {
  std::string bytes;
  GOLF_RETURN_IF_ERROR(read_file_bytes(path, &bytes));
  if (bytes.size() >= 4 && std::memcmp(bytes.data(), "GOLF", 4) == 0) {
    std::unique_ptr<GolfFile> file;
    GOLF_RETURN_IF_ERROR(GolfFile::open_memory(bytes.data(), bytes.size(), &file, OpenOptions(), path));
    if (!file->has_tokenizer()) {
      return Status(StatusCode::invalid_argument,
                    path + ": this .golf file has no TOKN section; pass the SentencePiece .model instead");
    }
    *out = file->tokenizer();
    return Status::Ok();
  }
  Status status = spm_model_parse(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), out);
  if (!status.ok()) {
    status.prefix(path + ": not a .golf file, and not a readable SentencePiece .model: ");
  }
  return status;
}

}  // namespace golf
