// spm_model.cpp: reads a SentencePiece .model file (a serialized sentencepiece.ModelProto, proto2) into TokenizerData
// with a small hand-written protobuf wire-format reader. Every varint, length and nested message is bounds-checked;
// unknown fields are skipped; absent fields take the defaults of sentencepiece_model.proto, so the result means what
// SentencePiece itself would load.
#include "spm_model.h"

#include <cmath>
#include <cstring>
#include <string_view>

#include "mapped_file.h"  // defines: read_file_bytes

namespace golf {
namespace {

// Wire types of the protobuf encoding.
enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kStartGroup = 3, kEndGroup = 4, kFixed32 = 5 };

// Nested messages and groups deeper than this are rejected rather than recursed into (a hostile file could
// otherwise exhaust the stack). ModelProto itself is only three levels deep.
constexpr int kMaxNesting = 32;

Status bad(const std::string& message) { return Status(StatusCode::bad_format, "spm model: " + message); }

// A cursor over one protobuf message. It never reads past its end; every method reports failure instead.
class WireReader {
 public:
  WireReader(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}
  bool at_end() const { return p_ == end_; }

  bool varint(uint64_t* out) {
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ == end_) return false;
      const uint8_t byte = *p_++;
      value |= uint64_t(byte & 0x7F) << shift;
      if (!(byte & 0x80)) {
        *out = value;
        return true;
      }
    }
    return false;  // more than 10 bytes: not a varint
  }
  bool fixed32(uint32_t* out) {
    if (size_t(end_ - p_) < 4) return false;
    std::memcpy(out, p_, 4);  // little-endian on the wire and on every host golf builds for
    p_ += 4;
    return true;
  }
  bool skip(size_t n) {
    if (size_t(end_ - p_) < n) return false;
    p_ += n;
    return true;
  }
  bool length_delimited(std::string_view* out) {
    uint64_t n;
    if (!varint(&n) || n > uint64_t(end_ - p_)) return false;
    *out = std::string_view(reinterpret_cast<const char*>(p_), size_t(n));
    p_ += n;
    return true;
  }
  // Reads a field key; false at a malformed key (field number 0 or a wire type protobuf does not define).
  bool tag(uint32_t* field, uint32_t* wire_type) {
    uint64_t key;
    if (!varint(&key)) return false;
    *field = uint32_t(key >> 3);
    *wire_type = uint32_t(key & 7);
    return (key >> 3) != 0 && (key >> 3) <= 0x1FFFFFFF && *wire_type <= kFixed32;
  }
  // Skips the value of a field this reader does not use, including (deprecated) groups.
  bool skip_value(uint32_t field, uint32_t wire_type, int depth) {
    uint64_t ignored;
    std::string_view bytes;
    switch (wire_type) {
      case kVarint: return varint(&ignored);
      case kFixed64: return skip(8);
      case kLengthDelimited: return length_delimited(&bytes);
      case kFixed32: return skip(4);
      case kStartGroup: {
        if (depth >= kMaxNesting) return false;
        for (;;) {
          uint32_t f, w;
          if (!tag(&f, &w)) return false;
          if (w == kEndGroup) return f == field;
          if (!skip_value(f, w, depth + 1)) return false;
        }
      }
      default: return false;  // a stray end-group
    }
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

// One field of a message, read by parse_message and handed to a per-message handler.
struct Field {
  uint32_t number = 0;
  uint32_t wire_type = 0;
  uint64_t varint = 0;      // for kVarint
  uint32_t fixed32 = 0;     // for kFixed32
  std::string_view bytes;   // for kLengthDelimited
};

// Walks the fields of one message and calls handle(field) for each; the handler returns a Status. Values of wire
// types the handler may not care about are still read (and bounds-checked) so that it can ignore them.
template <typename Handler>
Status parse_message(std::string_view message, const char* what, Handler handle) {
  WireReader r(reinterpret_cast<const uint8_t*>(message.data()), message.size());
  while (!r.at_end()) {
    Field f;
    if (!r.tag(&f.number, &f.wire_type)) return bad(std::string(what) + ": malformed field key");
    bool ok = true;
    switch (f.wire_type) {
      case kVarint: ok = r.varint(&f.varint); break;
      case kFixed32: ok = r.fixed32(&f.fixed32); break;
      case kLengthDelimited: ok = r.length_delimited(&f.bytes); break;
      default: ok = r.skip_value(f.number, f.wire_type, 1); break;
    }
    if (!ok) return bad(std::string(what) + ": field " + std::to_string(f.number) + " is truncated or malformed");
    GOLF_RETURN_IF_ERROR(handle(f));
  }
  return Status::Ok();
}

// Protobuf semantics: a known field seen with an unexpected wire type is treated as an unknown field (skipped).
bool is_varint(const Field& f) { return f.wire_type == kVarint; }
bool is_bytes(const Field& f) { return f.wire_type == kLengthDelimited; }

// What the pieces' and the specs' fields say before the special ids are resolved.
struct ParsedModel {
  TokenizerData data;
  // TrainerSpec.{unk,bos,eos,pad}_piece: the names SentencePiece looks the special ids up by.
  std::string unk_piece = "<unk>", bos_piece = "<s>", eos_piece = "</s>", pad_piece = "<pad>";
};

void set_flag(TokenizerData* t, TokenizerFlag flag, uint64_t value) {
  if (value) t->flags |= flag;
  else t->flags &= ~uint32_t(flag);
}

Status parse_piece(std::string_view message, size_t index, TokenizerData* t) {
  TokenizerPiece piece;  // defaults: empty piece, score 0, type NORMAL
  const std::string what = "piece " + std::to_string(index);
  GOLF_RETURN_IF_ERROR(parse_message(message, what.c_str(), [&](const Field& f) -> Status {
    if (f.number == 1 && is_bytes(f)) {
      if (f.bytes.size() > 65535) return bad(what + ": longer than 65535 bytes");
      piece.piece.assign(f.bytes.data(), f.bytes.size());
    } else if (f.number == 2 && f.wire_type == kFixed32) {
      std::memcpy(&piece.score, &f.fixed32, 4);
    } else if (f.number == 3 && is_varint(f)) {
      // proto2 keeps an enum value it does not know as an unknown field, so the type stays as it was.
      if (f.varint >= 1 && f.varint <= 6) piece.type = PieceType(f.varint);
    }
    return Status::Ok();
  }));
  if (!std::isfinite(piece.score)) return bad(what + ": score is not finite");
  t->pieces.push_back(std::move(piece));
  return Status::Ok();
}

Status parse_trainer_spec(std::string_view message, ParsedModel* m) {
  TokenizerData* t = &m->data;
  return parse_message(message, "trainer_spec", [&](const Field& f) -> Status {
    if (is_varint(f)) {
      const uint64_t v = f.varint;
      switch (f.number) {
        case 3: if (v >= 1 && v <= 4) t->model_type = uint32_t(v); break;
        case 20: t->max_piece_length = uint32_t(v); break;
        case 21: set_flag(t, kTokSplitByUnicodeScript, v); break;
        case 22: set_flag(t, kTokSplitByWhitespace, v); break;
        case 23: set_flag(t, kTokSplitByNumber, v); break;
        case 24: set_flag(t, kTokTreatWhitespaceAsSuffix, v); break;
        case 25: set_flag(t, kTokSplitDigits, v); break;
        case 26: set_flag(t, kTokAllowWhitespaceOnlyPieces, v); break;
        case 35: set_flag(t, kTokByteFallback, v); break;
        default: break;  // ids 40..43 are resolved from the pieces, as SentencePiece's accessors do
      }
    } else if (is_bytes(f)) {
      const std::string value(f.bytes);
      switch (f.number) {
        case 44: t->unk_surface = value; break;
        case 45: m->unk_piece = value; break;
        case 46: m->bos_piece = value; break;
        case 47: m->eos_piece = value; break;
        case 48: m->pad_piece = value; break;
        default: break;
      }
    }
    return Status::Ok();
  });
}

Status parse_normalizer_spec(std::string_view message, TokenizerData* t) {
  return parse_message(message, "normalizer_spec", [&](const Field& f) -> Status {
    if (is_bytes(f) && f.number == 1) t->normalizer_name.assign(f.bytes.data(), f.bytes.size());
    if (is_bytes(f) && f.number == 2) t->precompiled_charsmap.assign(f.bytes.data(), f.bytes.size());
    if (is_varint(f) && f.number == 3) set_flag(t, kTokAddDummyPrefix, f.varint);
    if (is_varint(f) && f.number == 4) set_flag(t, kTokRemoveExtraWhitespaces, f.varint);
    if (is_varint(f) && f.number == 5) set_flag(t, kTokEscapeWhitespaces, f.varint);
    return Status::Ok();
  });
}

// SentencePiece's unk_id()/bos_id()/... : PieceToId(name), kept only when that piece has the expected type, else -1.
// PieceToId looks among the reserved pieces (control, unknown, byte) before the others, and falls back to the
// unknown piece for a name it does not know. SentencePiece ignores TrainerSpec.unk_id etc. at run time; so do we.
bool is_reserved(PieceType type) {
  return type == PieceType::control || type == PieceType::unknown || type == PieceType::byte;
}

int32_t special_id(const TokenizerData& t, const std::string& name, PieceType want) {
  int32_t id = -1, unknown = -1;
  for (size_t i = 0; i < t.pieces.size(); i++) {
    const TokenizerPiece& p = t.pieces[i];
    if (p.type == PieceType::unknown && unknown < 0) unknown = int32_t(i);
    if (p.piece == name && (id < 0 || (is_reserved(p.type) && !is_reserved(t.pieces[size_t(id)].type))))
      id = int32_t(i);
  }
  if (id < 0) id = unknown;
  return id >= 0 && t.pieces[size_t(id)].type == want ? id : -1;
}

}  // namespace

Status spm_model_parse(const uint8_t* data, size_t size, TokenizerData* out) {
  if (data == nullptr && size != 0) return Status(StatusCode::invalid_argument, "spm model: null data");
  ParsedModel m;
  TokenizerData* t = &m.data;
  t->model_type = kModelUnigram;  // TrainerSpec.model_type default
  t->max_piece_length = 16;
  t->flags = kTokAddDummyPrefix | kTokRemoveExtraWhitespaces | kTokEscapeWhitespaces | kTokSplitByWhitespace |
             kTokSplitByUnicodeScript | kTokSplitByNumber;
  t->unk_surface = " \xE2\x81\x87 ";
  const std::string_view whole(reinterpret_cast<const char*>(data), size);
  // Repeated occurrences of trainer_spec / normalizer_spec merge into one message, as protobuf does.
  GOLF_RETURN_IF_ERROR(parse_message(whole, "ModelProto", [&](const Field& f) -> Status {
    if (!is_bytes(f)) return Status::Ok();
    if (f.number == 1) return parse_piece(f.bytes, t->pieces.size(), t);
    if (f.number == 2) return parse_trainer_spec(f.bytes, &m);
    if (f.number == 3) return parse_normalizer_spec(f.bytes, t);
    return Status::Ok();  // self_test_data, denormalizer_spec, extensions
  }));
  if (t->pieces.empty()) return bad("the model has no pieces");
  if (t->pieces.size() > size_t(INT32_MAX)) return bad("too many pieces");
  t->unk_id = special_id(*t, m.unk_piece, PieceType::unknown);
  t->bos_id = special_id(*t, m.bos_piece, PieceType::control);
  t->eos_id = special_id(*t, m.eos_piece, PieceType::control);
  t->pad_id = special_id(*t, m.pad_piece, PieceType::control);
  *out = std::move(m.data);
  return Status::Ok();
}

Status spm_model_load(const std::string& path, TokenizerData* out) {
  // read_file_bytes reports a directory or an unreadable file as a Status (an ifstream would throw from its buffer).
  std::string bytes;
  GOLF_RETURN_IF_ERROR(read_file_bytes(path, &bytes));
  return spm_model_parse(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), out).prefix(path + ": ");
}

}  // namespace golf
