// piece_text.cpp: piece bytes and the split of a byte buffer at the last complete UTF-8 character.
#include "piece_text.h"

#include <cstdlib>

namespace golf {

namespace {
const char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD, what SentencePiece's decoder emits for a bad byte

// Expected length of the sequence a lead byte starts (0: not a lead byte).
size_t sequence_length(unsigned char c) {
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return 2;
  if (c >= 0xE0 && c <= 0xEF) return 3;
  if (c >= 0xF0 && c <= 0xF4) return 4;
  return 0;
}

// Moves the whole characters at the front of pending into out: valid sequences as they are, each invalid byte as
// U+FFFD; stops before a sequence that may still complete.
void drain(std::string& pending, std::string& out) {
  size_t i = 0, n = pending.size();
  while (i < n) {
    unsigned char c = (unsigned char)pending[i];
    size_t len = sequence_length(c);
    if (len == 0) { out += kReplacement; i++; continue; }
    size_t have = 1;
    while (have < len && i + have < n && ((unsigned char)pending[i + have] & 0xC0) == 0x80) have++;
    if (have == len) { out.append(pending, i, len); i += len; continue; }
    if (i + have == n) break;  // the sequence is cut short by the end of what we have: wait for more bytes
    out += kReplacement;       // a continuation byte is missing: the lead byte is invalid
    i++;
  }
  pending.erase(0, i);
}
}  // namespace

std::string PieceTextStream::push(int token) {
  const TokenizerPiece& p = tokenizer_.piece(token);
  switch (p.type) {
    case PieceType::control:
    case PieceType::unused:
      break;
    case PieceType::unknown:
      pending_ += tokenizer_.data().unk_surface;
      break;
    case PieceType::byte:
      if (p.piece.size() == 6) pending_ += (char)std::strtol(p.piece.substr(3, 2).c_str(), nullptr, 16);
      break;
    default:
      for (size_t i = 0; i < p.piece.size(); i++) {
        if (p.piece.compare(i, 3, "\xE2\x96\x81") == 0) {
          pending_ += ' ';
          i += 2;
        } else {
          pending_ += p.piece[i];
        }
      }
  }
  std::string out;
  drain(pending_, out);
  return out;
}

std::string PieceTextStream::flush() {
  // What remains is an unfinished sequence: each of its bytes is invalid on its own.
  std::string out;
  for (size_t i = 0; i < pending_.size(); i++) out += kReplacement;
  pending_.clear();
  return out;
}

}  // namespace golf
