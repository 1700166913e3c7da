// fuzz_spm_model.cpp: libFuzzer harness for the SentencePiece .model parser (format/spm_model.cpp, a hand-written
// protobuf reader). Every input is parsed; a model that parses is written as a TOKN section (SPEC.md §4) and read
// back, so the tokenizer codec sees whatever the parser lets through.
#include <cstdint>

#include "bytes.h"
#include "spm_model.h"
#include "tokenizer_data.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  golf::TokenizerData t;
  if (!golf::spm_model_parse(data, size, &t).ok()) return 0;
  golf::ByteWriter w;
  golf::tokenizer_encode(t, &w);
  golf::TokenizerData back;
  (void)golf::tokenizer_decode(w.buffer().data(), w.size(), &back);
  return 0;
}
