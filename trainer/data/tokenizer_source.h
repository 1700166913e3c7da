// tokenizer_source.h: loads the tokenizer golf-data works with from either file the project knows: a SentencePiece
// `.model`, or a `.golf` model whose TOKN section holds the same TokenizerData. The file's first bytes decide
// ("GOLF" magic), not its name.
#pragma once
#include <string>

#include "status.h"
#include "tokenizer_data.h"

namespace golf {
namespace data {

Status load_tokenizer_data(const std::string& path, TokenizerData* out);

}  // namespace data
}  // namespace golf
