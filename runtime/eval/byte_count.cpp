// byte_count.cpp: the challenge's per-token byte table (build_sentencepiece_luts in train_gpt.py).
#include "byte_count.h"

#include <string>

namespace golf {

ByteCounter::ByteCounter(const TokenizerData& t, int vocab_size)
    : base_bytes_(vocab_size, 0), has_space_(vocab_size, 0), is_boundary_(vocab_size, 1) {
  int n = (int)t.pieces.size() < vocab_size ? (int)t.pieces.size() : vocab_size;
  for (int id = 0; id < n; id++) {
    const TokenizerPiece& p = t.pieces[id];
    if (p.type == PieceType::control || p.type == PieceType::unknown || p.type == PieceType::unused) continue;
    is_boundary_[id] = 0;
    if (p.type == PieceType::byte) {
      base_bytes_[id] = 1;
      continue;
    }
    std::string piece = p.piece;
    if (piece.compare(0, kSpaceSymbol.size(), kSpaceSymbol) == 0) {
      has_space_[id] = 1;
      piece = piece.substr(kSpaceSymbol.size());
    }
    base_bytes_[id] = (int16_t)piece.size();
  }
}

}  // namespace golf
