// piece_text.cpp: piece bytes (Tokenizer::append_piece_bytes); runs of byte pieces are held back until their last
// character is complete, with SentencePiece's UTF-8 rules (utf8.h) deciding what is valid, as decode() does.
#include "piece_text.h"

#include "utf8.h"

namespace golf {

namespace {

// Whether pending[i, n) is the start of a character that more bytes could still complete: a lead byte of a
// multi-byte sequence followed only by continuation bytes, fewer than it needs.
bool may_complete(const std::string& pending, size_t i) {
  const uint8_t lead = (uint8_t)pending[i];
  if (lead < 0xC2 || lead > 0xF4 || pending.size() - i >= utf8::lead_length(lead)) return false;
  for (size_t j = i + 1; j < pending.size(); j++)
    if (!utf8::is_trail((uint8_t)pending[j])) return false;
  return true;
}

// Moves the characters at the front of pending into out as decode() writes a byte run: valid characters as they
// are, each byte that does not start one as U+FFFD. Unless the run has ended, stops before a character that may
// still complete.
void drain(std::string& pending, bool run_ended, std::string& out) {
  size_t i = 0;
  while (i < pending.size() && (run_ended || !may_complete(pending, i))) {
    size_t length = 0;
    if (utf8::valid_char(pending.data() + i, pending.size() - i, &length)) {
      out.append(pending, i, length);
    } else {
      out.append(utf8::kReplacementUtf8, 3);
      length = 1;
    }
    i += length;
  }
  pending.erase(0, i);
}

}  // namespace

std::string PieceTextStream::push(int token) {
  std::string out, text;
  if (tokenizer_.append_piece_bytes(token, &text)) {
    pending_ += text;
    drain(pending_, false, out);
  } else {  // any other piece ends the byte run; its own text is whole characters
    drain(pending_, true, out);
    out += text;
  }
  return out;
}

std::string PieceTextStream::flush() {
  std::string out;
  drain(pending_, true, out);
  return out;
}

}  // namespace golf
