// vocab.cpp: building and validating the piece tables (see vocab.h).
#include "vocab.h"

#include <cstdio>

namespace golf {
namespace {

Status bad(const std::string& message) { return Status(StatusCode::bad_format, "tokenizer: " + message); }

// Pieces are shown in error messages; keep those short and printable.
std::string quoted(const std::string& piece) {
  std::string out = "'";
  for (size_t i = 0; i < piece.size() && i < 40; i++) {
    const unsigned char c = static_cast<unsigned char>(piece[i]);
    if (c < 0x20 || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    } else {
      out += char(c);
    }
  }
  return out + (piece.size() > 40 ? "...'" : "'");
}

}  // namespace

int parse_byte_piece(std::string_view piece) {
  if (piece.size() != 6 || piece.substr(0, 3) != "<0x" || piece[5] != '>') return -1;
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  const int hi = hex(piece[3]), lo = hex(piece[4]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

int32_t Vocab::piece_to_id(std::string_view s) const {
  int32_t id = reserved_.find(s);
  if (id < 0) id = ordinary_.find(s);
  return id < 0 ? unk_id_ : id;
}

Status Vocab::init(const TokenizerData& data) {
  *this = Vocab();
  const size_t count = data.pieces.size();
  if (count == 0) return bad("the model has no pieces");
  if (count > size_t(INT32_MAX)) return bad("too many pieces");
  pieces_ = data.pieces;
  byte_fallback_ = data.has(kTokByteFallback);
  ordinary_.reserve(count);
  reserved_.reserve(count);
  byte_values_.assign(count, -1);
  byte_ids_.fill(-1);
  std::vector<std::string_view> user_defined;
  uint64_t total_bytes = 0;  // 64-bit on 32-bit targets too (WebAssembly)
  for (size_t i = 0; i < count; i++) {
    const TokenizerPiece& p = pieces_[i];
    const int32_t id = int32_t(i);
    const std::string where = "piece " + std::to_string(i) + " " + quoted(p.piece);
    if (uint8_t(p.type) < 1 || uint8_t(p.type) > 6) return bad(where + ": type " + std::to_string(int(p.type)));
    if (p.piece.empty()) return bad("piece " + std::to_string(i) + " is empty");
    if (p.piece.find('\0') != std::string::npos) return bad(where + " contains a NUL byte");
    total_bytes += p.piece.size();
    if (total_bytes >= (uint64_t(1) << 32)) return bad("the pieces hold more than 4 GiB");
    PieceIndex& map = is_ordinary(p.type) ? ordinary_ : reserved_;
    if (!map.insert(p.piece, id)) return bad(where + " is defined twice");
    if (p.type == PieceType::user_defined) user_defined.push_back(p.piece);
    if (p.type == PieceType::unused) has_unused_ = true;
    if (p.type == PieceType::unknown) {
      if (unk_id_ >= 0) return bad(where + ": a second unknown piece");
      unk_id_ = id;
    }
    if (p.type == PieceType::byte) {
      if (!byte_fallback_) return bad(where + " is a byte piece but byte_fallback is off");
      const int b = parse_byte_piece(p.piece);
      if (b < 0) return bad(where + " is a byte piece but not <0xNN>");
      byte_values_[i] = int16_t(b);
    }
  }
  if (unk_id_ < 0) return bad("no unknown piece");
  if (data.unk_id >= 0 && data.unk_id != unk_id_)
    return bad("unk_id " + std::to_string(data.unk_id) + " is not the unknown piece " + std::to_string(unk_id_));
  canonical_.resize(count);
  for (size_t i = 0; i < count; i++) canonical_[i] = piece_to_id(pieces_[i].piece);
  if (byte_fallback_) {
    // Byte fallback looks each byte's piece up by name, as SentencePiece does.
    char name[8];
    for (int b = 0; b < 256; b++) {
      std::snprintf(name, sizeof name, "<0x%02X>", b);
      const int32_t id = piece_to_id(name);
      if (type(id) != PieceType::byte) return bad("byte_fallback is on but piece " + std::string(name) + " is missing");
      byte_ids_[size_t(b)] = id;
    }
  }
  user_symbols_.build(user_defined);
  return Status::Ok();
}

}  // namespace golf
