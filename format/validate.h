// validate.h: the one definition of a valid golf-gpt model file. GolfFile::open checks the container (layout,
// checksums, tensor payloads: SPEC.md §2-§6); validate_model_file checks that the container holds a model this
// runtime can run (SPEC.md §3.1, §4, §9). Model::load (so golf-eval, the C API and every binding) and golf-inspect
// call it, so a file is refused by all of them or by none, with the same message.
#pragma once
#include <functional>

#include "golf_file.h"
#include "model_config.h"
#include "status.h"
#include "tokenizer_data.h"

namespace golf {

// The runtime's own tokenizer check (it builds the SentencePiece tables, which live in runtime/tokenizer, not in
// format/): called with the TOKN section after every format-level rule holds.
using TokenizerCheck = std::function<Status(const TokenizerData&)>;

// Checks, in this order, and returns the first failure with the file's name in front:
//   CONF: every known key of its type, required unknown keys refused, the keys without a default present
//         (`max_seq_len` and `bos_id` included), values in range (ModelConfig::validate);
//   tensors: exactly model_tensor_specs(config): none missing, none extra, every shape as specified;
//   TOKN (when present): piece_count == vocab_size, its bos_id -1 or CONF's bos_id, then check_tokenizer.
// Fills *config when it returns Ok. check_tokenizer may be empty (format-level rules only).
Status validate_model_file(const GolfFile& file, const TokenizerCheck& check_tokenizer, ModelConfig* config);

}  // namespace golf
