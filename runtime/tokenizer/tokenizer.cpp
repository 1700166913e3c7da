// tokenizer.cpp: golf::Tokenizer (see tokenizer.h): validation, the encode pipeline (normalize, then BPE) and
// SentencePiece's decoding rules.
#include "tokenizer.h"

#include "utf8.h"

namespace golf {
namespace {

// Appends bytes gathered from consecutive byte pieces: each well-formed character as it is, each byte that does
// not start one as U+FFFD (SentencePiece's ProcessBytePieces).
void append_bytes(const std::string& bytes, std::string* out) {
  size_t at = 0;
  while (at < bytes.size()) {
    size_t length = 0;
    if (utf8::valid_char(bytes.data() + at, bytes.size() - at, &length)) {
      out->append(bytes, at, length);
    } else {
      out->append(utf8::kReplacementUtf8, 3);
      length = 1;
    }
    at += length;
  }
}

// Appends piece with each "▁" as a space.
void append_spaced(std::string_view piece, std::string* out) {
  for (size_t at = 0; at < piece.size();) {
    if (piece.compare(at, kSpaceSymbol.size(), kSpaceSymbol) == 0) {
      out->push_back(' ');
      at += kSpaceSymbol.size();
    } else {
      out->push_back(piece[at++]);
    }
  }
}

}  // namespace

Status Tokenizer::init(const TokenizerData& data) {
  ready_ = false;
  if (data.model_type != kModelBpe)
    return Status(StatusCode::unsupported, "tokenizer: model type " + std::to_string(data.model_type) +
                                               " is not BPE (2); only BPE models are supported");
  if (data.flags & ~uint32_t(kTokAllFlags)) return Status(StatusCode::bad_format, "tokenizer: unknown flag bits");
  data_ = data;
  GOLF_RETURN_IF_ERROR(vocab_.init(data_));
  GOLF_RETURN_IF_ERROR(normalizer_.init(data_, &vocab_.user_symbols()));
  GOLF_RETURN_IF_ERROR(encoder_.init(&vocab_, data_.has(kTokTreatWhitespaceAsSuffix)));
  ready_ = true;
  return Status::Ok();
}

Status Tokenizer::encode(std::string_view text, std::vector<int32_t>* ids) const {
  ids->clear();
  if (!ready_) return Status(StatusCode::invalid_argument, "tokenizer: not initialized");
  std::string normalized;
  normalizer_.normalize(text, &normalized);
  return encoder_.encode(normalized, ids);
}

std::string Tokenizer::normalize(std::string_view text) const {
  std::string normalized;
  if (ready_) normalizer_.normalize(text, &normalized);
  return normalized;
}

Status Tokenizer::decode(const int32_t* ids, size_t n, std::string* out) const {
  out->clear();
  if (!ready_) return Status(StatusCode::invalid_argument, "tokenizer: not initialized");
  for (size_t i = 0; i < n; i++) {
    if (ids[i] < 0 || ids[i] >= vocab_.size())
      return Status(StatusCode::invalid_argument, "tokenizer: id " + std::to_string(ids[i]) + " at position " +
                                                      std::to_string(i) + " is outside [0, " +
                                                      std::to_string(vocab_.size()) + ")");
  }
  // A leading "▁" was never in the input when the model adds a dummy prefix or strips leading whitespace, so
  // SentencePiece drops it from the first piece that starts with one while nothing has been written yet. With
  // remove_extra_whitespaces it keeps dropping them until some text appears; otherwise it drops only one.
  const bool strip_leading_space = data_.has(kTokAddDummyPrefix) || data_.has(kTokRemoveExtraWhitespaces);
  const bool strip_all_leading = data_.has(kTokRemoveExtraWhitespaces);
  bool at_start = true, stripped_one = false;
  std::string pending_bytes;
  for (size_t i = 0; i < n; i++) {
    const int32_t id = vocab_.canonical_id(ids[i]);  // SentencePiece decodes id -> piece -> id
    const PieceType type = vocab_.type(id);
    if (type == PieceType::byte) {
      pending_bytes.push_back(char(vocab_.byte_value(id)));
      continue;
    }
    append_bytes(pending_bytes, out);
    pending_bytes.clear();
    if (stripped_one || !out->empty()) at_start = false;
    stripped_one = false;
    if (type == PieceType::control) continue;
    if (type == PieceType::unknown) {
      out->append(data_.unk_surface);
      continue;
    }
    std::string_view piece = vocab_.piece(id).piece;
    if (at_start && strip_leading_space && piece.substr(0, kSpaceSymbol.size()) == kSpaceSymbol) {
      piece.remove_prefix(kSpaceSymbol.size());
      stripped_one = !strip_all_leading;
    }
    append_spaced(piece, out);
  }
  append_bytes(pending_bytes, out);
  return Status::Ok();
}

bool Tokenizer::append_piece_bytes(int32_t id, std::string* out) const {
  id = vocab_.canonical_id(id);
  switch (vocab_.type(id)) {
    case PieceType::byte: out->push_back(char(vocab_.byte_value(id))); return true;
    case PieceType::control: break;
    case PieceType::unknown: out->append(data_.unk_surface); break;
    default: append_spaced(vocab_.piece(id).piece, out);
  }
  return false;
}

Status tokenizer_check(const TokenizerData& data) {
  Tokenizer t;
  return t.init(data);
}

}  // namespace golf
