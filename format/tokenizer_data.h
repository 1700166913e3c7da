// tokenizer_data.h: the tokenizer as stored in a .golf file (SPEC.md §4): a SentencePiece model's pieces, scores,
// types, special ids, flags and normalizer, and the codec of the TOKN section.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bytes.h"
#include "status.h"

namespace golf {

// Values of SentencePiece's ModelProto.SentencePiece.Type.
enum class PieceType : uint8_t { normal = 1, unknown = 2, control = 3, user_defined = 4, unused = 5, byte = 6 };
// Pieces made of text that BPE merges produce (SentencePiece's "IsNormal || IsUserDefined || IsUnused" sets), as
// opposed to the reserved ones: control, unknown, byte.
inline bool is_ordinary(PieceType t) {
  return t == PieceType::normal || t == PieceType::user_defined || t == PieceType::unused;
}

// U+2581 "▁": SentencePiece's visible space in pieces.
constexpr std::string_view kSpaceSymbol = "\xE2\x96\x81";

// TOKN flags (SPEC.md §4).
enum TokenizerFlag : uint32_t {
  kTokByteFallback = 1u << 0,
  kTokAddDummyPrefix = 1u << 1,
  kTokRemoveExtraWhitespaces = 1u << 2,
  kTokEscapeWhitespaces = 1u << 3,
  kTokSplitDigits = 1u << 4,
  kTokTreatWhitespaceAsSuffix = 1u << 5,
  kTokSplitByWhitespace = 1u << 6,
  kTokSplitByUnicodeScript = 1u << 7,
  kTokSplitByNumber = 1u << 8,
  kTokAllowWhitespaceOnlyPieces = 1u << 9,
  kTokAllFlags = (1u << 10) - 1,
};

// SentencePiece TrainerSpec.ModelType.
enum TokenizerModelType : uint32_t { kModelUnigram = 1, kModelBpe = 2, kModelWord = 3, kModelChar = 4 };

struct TokenizerPiece {
  std::string piece;  // UTF-8, whitespace as U+2581, byte pieces as "<0xNN>"
  float score = 0;
  PieceType type = PieceType::normal;
};

struct TokenizerData {
  uint32_t model_type = kModelBpe;
  std::vector<TokenizerPiece> pieces;
  int32_t unk_id = -1, bos_id = -1, eos_id = -1, pad_id = -1;
  uint32_t flags = 0;
  uint32_t max_piece_length = 16;
  std::string normalizer_name;       // "nmt_nfkc", "identity", ...
  std::string precompiled_charsmap;  // SentencePiece's normalization blob, verbatim
  std::string unk_surface = " \xE2\x81\x87 ";  // " ⁇ "
  bool has(TokenizerFlag f) const { return (flags & f) != 0; }
};

Status tokenizer_decode(const uint8_t* data, size_t size, TokenizerData* out);
void tokenizer_encode(const TokenizerData& t, ByteWriter* w);

}  // namespace golf
