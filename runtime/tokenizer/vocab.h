// vocab.h: the pieces of a SentencePiece model and the lookups encode and decode need, validated the way
// SentencePiece validates a model when it loads it (ModelInterface::InitializePieces).
#pragma once
#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "piece_index.h"
#include "status.h"
#include "tokenizer_data.h"
#include "user_symbols.h"

namespace golf {

class Vocab {
 public:
  // Copies the pieces. Fails (bad_format) on: an empty or NUL-containing piece, a piece defined twice, zero or two
  // unknown pieces, a byte piece that is not "<0xNN>" or appears without byte_fallback, byte_fallback without all
  // 256 byte pieces.
  Status init(const TokenizerData& data);

  int size() const { return int(pieces_.size()); }
  const TokenizerPiece& piece(int32_t id) const { return pieces_[size_t(id)]; }
  PieceType type(int32_t id) const { return pieces_[size_t(id)].type; }
  float score(int32_t id) const { return pieces_[size_t(id)].score; }
  int32_t unk_id() const { return unk_id_; }

  // SentencePiece keeps two maps: the "ordinary" pieces (normal, user-defined, unused), which are what BPE merges
  // can produce, and the "reserved" ones (control, unknown, byte). A string may be in both.
  int32_t find_ordinary(const char* p, size_t n) const { return ordinary_.find(p, n); }
  int32_t find_ordinary(std::string_view s) const { return ordinary_.find(s); }
  int32_t find_reserved(std::string_view s) const { return reserved_.find(s); }
  // SentencePiece's PieceToId: the reserved map first, then the ordinary one, else the unknown id.
  int32_t piece_to_id(std::string_view s) const;
  // piece_to_id(piece(id).piece): what SentencePiece's decoder, which maps ids to pieces and back, sees for id.
  int32_t canonical_id(int32_t id) const { return canonical_[size_t(id)]; }
  // The id that stands for byte b under byte fallback (-1 without byte fallback), and the byte of a byte piece.
  int32_t byte_id(uint8_t b) const { return byte_ids_[b]; }
  int byte_value(int32_t id) const { return byte_values_[size_t(id)]; }
  bool byte_fallback() const { return byte_fallback_; }
  bool has_unused() const { return has_unused_; }
  const UserSymbols& user_symbols() const { return user_symbols_; }

 private:
  std::vector<TokenizerPiece> pieces_;
  PieceIndex ordinary_, reserved_;
  std::vector<int32_t> canonical_;
  std::vector<int16_t> byte_values_;  // -1 for pieces that are not byte pieces
  std::array<int32_t, 256> byte_ids_{};
  UserSymbols user_symbols_;
  int32_t unk_id_ = -1;
  bool byte_fallback_ = false;
  bool has_unused_ = false;
};

// Parses "<0xNN>" (two upper-case hex digits, as SentencePiece writes them); -1 for anything else.
int parse_byte_piece(std::string_view piece);

}  // namespace golf
