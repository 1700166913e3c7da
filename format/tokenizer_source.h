// tokenizer_source.h: loads a tokenizer from either file the project knows: a SentencePiece `.model`, or a `.golf`
// model whose TOKN section holds the same TokenizerData. The file's first bytes decide ("GOLF" magic), not its name.
// What golf-data, golf-train and golf-export accept wherever they take a tokenizer.
#pragma once
#include <string>

#include "status.h"
#include "tokenizer_data.h"

namespace golf {

Status load_tokenizer_data(const std::string& path, TokenizerData* out);

}  // namespace golf
