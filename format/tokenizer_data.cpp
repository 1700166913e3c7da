// tokenizer_data.cpp: the TOKN section codec (SPEC.md §4). Decoding checks every count, length, id and enum.
#include "tokenizer_data.h"

#include <cmath>

#include "utf8_valid.h"

namespace golf {

Status tokenizer_decode(const uint8_t* data, size_t size, TokenizerData* out) {
  ByteReader r(data, size);
  auto bad = [](const std::string& m) { return Status(StatusCode::bad_format, m); };
  TokenizerData t;
  uint32_t count;
  if (!r.u32(&t.model_type) || !r.u32(&count) || !r.i32(&t.unk_id) || !r.i32(&t.bos_id) || !r.i32(&t.eos_id) ||
      !r.i32(&t.pad_id) || !r.u32(&t.flags) || !r.u32(&t.max_piece_length))
    return bad("truncated header");
  if (t.model_type < 1 || t.model_type > 4) return bad("model_type " + std::to_string(t.model_type) + " is not 1..4");
  if (count == 0) return bad("piece_count is 0");
  if (count > size / 7) return bad("piece_count " + std::to_string(count) + " cannot fit in the section");
  if (t.flags & ~(uint32_t)kTokAllFlags) return bad("unknown flag bits set");
  auto id_ok = [&](int32_t id) { return id == -1 || (id >= 0 && (uint32_t)id < count); };
  if (!id_ok(t.unk_id) || !id_ok(t.bos_id) || !id_ok(t.eos_id) || !id_ok(t.pad_id))
    return bad("a special id (unk/bos/eos/pad) is outside [-1, piece_count)");
  if (!r.str(&t.normalizer_name, 1024)) return bad("normalizer_name runs past the section end");
  if (!r.str(&t.precompiled_charsmap)) return bad("precompiled_charsmap runs past the section end");
  if (!r.str(&t.unk_surface, 1024)) return bad("unk_surface runs past the section end");
  if (!utf8_is_valid(t.normalizer_name) || !utf8_is_valid(t.unk_surface))
    return bad("normalizer_name or unk_surface is not valid UTF-8");
  t.pieces.resize(count);
  for (uint32_t i = 0; i < count; i++) {
    TokenizerPiece& p = t.pieces[i];
    uint8_t type;
    uint16_t len;
    if (!r.f32(&p.score) || !r.u8(&type) || !r.u16(&len)) return bad("piece " + std::to_string(i) + ": truncated");
    if (type < 1 || type > 6) return bad("piece " + std::to_string(i) + ": type " + std::to_string(type) + " is not 1..6");
    if (!std::isfinite(p.score)) return bad("piece " + std::to_string(i) + ": score is not finite");
    p.type = (PieceType)type;
    const uint8_t* bytes = r.take(len);
    if (!bytes) return bad("piece " + std::to_string(i) + ": bytes run past the section end");
    p.piece.assign((const char*)bytes, len);
    if (!utf8_is_valid(p.piece)) return bad("piece " + std::to_string(i) + ": bytes are not valid UTF-8");
  }
  if (!r.at_end()) return bad(std::to_string(r.remaining()) + " trailing bytes after the last piece");
  *out = std::move(t);
  return Status::Ok();
}

void tokenizer_encode(const TokenizerData& t, ByteWriter* w) {
  w->u32(t.model_type);
  w->u32((uint32_t)t.pieces.size());
  w->i32(t.unk_id);
  w->i32(t.bos_id);
  w->i32(t.eos_id);
  w->i32(t.pad_id);
  w->u32(t.flags);
  w->u32(t.max_piece_length);
  w->str(t.normalizer_name);
  w->str(t.precompiled_charsmap);
  w->str(t.unk_surface);
  for (const TokenizerPiece& p : t.pieces) {
    w->f32(p.score);
    w->u8((uint8_t)p.type);
    w->u16((uint16_t)p.piece.size());
    w->bytes(p.piece.data(), p.piece.size());
  }
}

}  // namespace golf
