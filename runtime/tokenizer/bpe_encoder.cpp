// bpe_encoder.cpp: SentencePiece-identical BPE encoding (see bpe_encoder.h). The merge loop is SentencePiece's: a
// linked list of symbols and a max-heap of candidate merges keyed by (score, then leftmost), stale candidates
// skipped when popped. Three things make it fast without changing a single id: merges of two known pieces are
// looked up by id pair instead of by string; when the vocabulary proves no piece can straddle a "▁" word boundary,
// each word is merged on its own; and short words pick their best merge by a scan instead of a heap.
#include "bpe_encoder.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <unordered_map>
#include <utility>

#include "utf8.h"

namespace golf {
namespace {

// Pieces up to this many bytes are entered in the id-pair table; longer merges are looked up by string. Real
// vocabularies stay far below it; the cap keeps init linear on hostile models made of very long pieces.
constexpr size_t kMaxPairBytes = 64;

// Words of fewer symbols than this are merged by scanning instead of with a heap.
constexpr int32_t kShortWord = 24;

}  // namespace

struct BpeEncoder::Symbol {
  uint32_t begin, length;  // bytes of the normalized text; length 0 once merged into its left neighbour
  int32_t id;              // ordinary piece spelled by these bytes, or -1
  int32_t prev, next;      // neighbours in the list, -1 at the ends
  bool frozen;             // a user-defined symbol: never merged
};

struct BpeEncoder::Candidate {
  float score;
  int32_t left, right;
  uint32_t length;  // left.length + right.length when proposed; a mismatch on pop means the candidate is stale
  int32_t merged;
};

class BpeEncoder::Workspace {
 public:
  std::vector<Symbol> symbols;
  std::vector<Candidate> heap;
  // Only for vocabularies with unused pieces: how the last proposed merge spelling each unused piece split it.
  std::unordered_map<std::string_view, std::pair<std::string_view, std::string_view>> unused_splits;
  std::vector<std::string_view> resegment_stack;
  bool prev_unknown = false;
};

namespace {

// Heap order of SentencePiece's agenda: higher score first, then the leftmost pair.
struct CandidateLess {
  template <typename C>
  bool operator()(const C& a, const C& b) const {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  }
};

}  // namespace

Status BpeEncoder::init(const Vocab* vocab, bool treat_whitespace_as_suffix) {
  vocab_ = vocab;
  suffix_mode_ = treat_whitespace_as_suffix;
  const int32_t count = vocab->size();
  split_words_ = !vocab->has_unused();  // unused pieces need SentencePiece's exact global merge order
  std::vector<std::pair<std::pair<int32_t, int32_t>, int32_t>> pair_list;
  for (int32_t id = 0; id < count; id++) {
    const TokenizerPiece& p = vocab->piece(id);
    if (!std::isfinite(p.score)) return Status(StatusCode::bad_format, "tokenizer: a piece score is not finite");
    if (!is_ordinary(p.type)) continue;
    const std::string& s = p.piece;
    // Can this piece straddle a word boundary (a "▁" anywhere but where a word starts, or ends in suffix mode)?
    for (size_t at = s.find(kSpaceSymbol); at != std::string::npos; at = s.find(kSpaceSymbol, at + 1)) {
      const bool at_word_edge = suffix_mode_ ? at + kSpaceSymbol.size() == s.size() : at == 0;
      if (!at_word_edge) split_words_ = false;
    }
    if (s.size() > kMaxPairBytes) continue;
    for (size_t k = 1; k < s.size(); k++) {
      const int32_t left = vocab->find_ordinary(s.data(), k);
      if (left < 0) continue;
      const int32_t right = vocab->find_ordinary(s.data() + k, s.size() - k);
      if (right >= 0) pair_list.push_back({{left, right}, id});
    }
  }
  pairs_.reserve(pair_list.size());
  for (const auto& entry : pair_list) pairs_.insert(entry.first.first, entry.first.second, entry.second);
  for (int c = 0; c < 128; c++) {
    const char byte = char(c);
    ascii_ids_[c] = vocab->find_ordinary(&byte, 1);
  }
  return Status::Ok();
}

int32_t BpeEncoder::merged_id(std::string_view text, const Symbol& a, const Symbol& b) const {
  const size_t length = size_t(a.length) + b.length;
  if (a.id >= 0 && b.id >= 0 && length <= kMaxPairBytes) return pairs_.find(a.id, b.id);
  return vocab_->find_ordinary(text.data() + a.begin, length);
}

void BpeEncoder::merge_range(std::string_view text, Workspace* w, int32_t first, int32_t last) const {
  std::vector<Symbol>& sym = w->symbols;
  std::vector<Candidate>& heap = w->heap;
  heap.clear();
  const bool track_unused = vocab_->has_unused();
  auto propose = [&](int32_t left, int32_t right) {
    if (left < first || right < 0 || right > last) return;
    const Symbol& a = sym[size_t(left)];
    const Symbol& b = sym[size_t(right)];
    if (a.frozen || b.frozen) return;
    const int32_t merged = merged_id(text, a, b);
    if (merged < 0) return;
    heap.push_back(Candidate{vocab_->score(merged), left, right, a.length + b.length, merged});
    std::push_heap(heap.begin(), heap.end(), CandidateLess());
    if (track_unused && vocab_->type(merged) == PieceType::unused) {
      w->unused_splits[text.substr(a.begin, size_t(a.length) + b.length)] =
          std::make_pair(text.substr(a.begin, a.length), text.substr(b.begin, b.length));
    }
  };
  // Short words (most of them): scanning the few candidates beats a heap. Same choice: the highest score, the
  // leftmost on ties. Not with unused pieces, whose bookkeeping follows SentencePiece's proposal order.
  if (last - first < kShortWord && !track_unused) {
    int32_t merged[kShortWord];  // merged[k - first]: the piece symbol k and its right neighbour would make, or -1
    auto pair_with_next = [&](int32_t k) {
      const int32_t next = sym[size_t(k)].next;
      if (next < 0 || next > last || sym[size_t(k)].frozen || sym[size_t(next)].frozen) return int32_t(-1);
      return merged_id(text, sym[size_t(k)], sym[size_t(next)]);
    };
    for (int32_t k = first; k <= last; k++) merged[k - first] = pair_with_next(k);
    for (;;) {
      int32_t best = -1;
      float best_score = 0;
      for (int32_t k = first; k >= 0 && k <= last; k = sym[size_t(k)].next) {
        const int32_t m = merged[k - first];
        if (m >= 0 && (best < 0 || vocab_->score(m) > best_score)) {
          best = k;
          best_score = vocab_->score(m);
        }
      }
      if (best < 0) return;
      Symbol& left = sym[size_t(best)];
      Symbol& right = sym[size_t(left.next)];
      left.length += right.length;
      left.id = merged[best - first];
      left.next = right.next;
      if (right.next >= 0) sym[size_t(right.next)].prev = best;
      right.length = 0;
      merged[best - first] = pair_with_next(best);
      if (left.prev >= first) merged[left.prev - first] = pair_with_next(left.prev);
    }
  }
  for (int32_t i = first + 1; i <= last; i++) propose(i - 1, i);
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), CandidateLess());
    const Candidate top = heap.back();
    heap.pop_back();
    Symbol& left = sym[size_t(top.left)];
    Symbol& right = sym[size_t(top.right)];
    if (left.length == 0 || right.length == 0 || left.length + right.length != top.length) continue;  // stale
    left.length += right.length;
    left.id = top.merged;
    left.next = right.next;
    if (right.next >= 0) sym[size_t(right.next)].prev = top.left;
    right.length = 0;
    propose(left.prev, top.left);
    propose(top.left, left.next);
  }
}

Status BpeEncoder::emit(std::string_view text, Workspace* w, std::vector<int32_t>* ids) const {
  // One final piece, as SentencePieceProcessor::PopulateSentencePieceText treats it.
  auto emit_piece = [&](std::string_view piece, int32_t id) -> Status {
    const PieceType type = vocab_->type(id);
    if (type == PieceType::control)  // SentencePiece fails the same way ("all normalized characters are not consumed")
      return Status(StatusCode::invalid_argument, "tokenizer: the text spells the control piece '" +
                                                      std::string(piece.substr(0, 40)) + "'");
    const bool unknown = type == PieceType::unknown;
    if (unknown && vocab_->byte_fallback()) {
      for (char c : piece) ids->push_back(vocab_->byte_id(uint8_t(c)));
    } else if (!(unknown && w->prev_unknown)) {  // a run of unknown pieces becomes a single unknown id
      ids->push_back(id);
    }
    w->prev_unknown = unknown;
    return Status::Ok();
  };
  for (int32_t i = 0; i >= 0; i = w->symbols[size_t(i)].next) {
    const Symbol& s = w->symbols[size_t(i)];
    const std::string_view piece = text.substr(s.begin, s.length);
    const int32_t id = s.id >= 0 ? vocab_->canonical_id(s.id) : vocab_->piece_to_id(piece);
    if (vocab_->type(id) != PieceType::unused) {
      GOLF_RETURN_IF_ERROR(emit_piece(piece, id));
      continue;
    }
    // An unused piece is split back into the two pieces that formed it, recursively.
    w->resegment_stack.assign(1, piece);
    while (!w->resegment_stack.empty()) {
      const std::string_view part = w->resegment_stack.back();
      w->resegment_stack.pop_back();
      const int32_t part_id = vocab_->piece_to_id(part);
      const auto split = w->unused_splits.find(part);
      if (vocab_->type(part_id) != PieceType::unused || split == w->unused_splits.end()) {
        GOLF_RETURN_IF_ERROR(emit_piece(part, part_id));
      } else {
        w->resegment_stack.push_back(split->second.second);
        w->resegment_stack.push_back(split->second.first);
      }
    }
  }
  return Status::Ok();
}

Status BpeEncoder::encode(std::string_view text, std::vector<int32_t>* ids) const {
  if (vocab_ == nullptr) return Status(StatusCode::invalid_argument, "tokenizer: not initialized");
  if (text.empty()) return Status::Ok();
  if (text.size() > size_t(INT32_MAX)) return Status(StatusCode::invalid_argument, "tokenizer: text over 2 GiB");
  Workspace w;
  w.symbols.reserve(text.size());
  // Characters (SentencePiece's lead-byte lengths) and user-defined symbols are the initial symbols.
  const UserSymbols& user = vocab_->user_symbols();
  for (size_t at = 0; at < text.size();) {
    const uint8_t lead = uint8_t(text[at]);
    size_t length = user.empty() ? 0 : user.match(text.data() + at, text.size() - at);
    const bool frozen = length > 0;
    if (!frozen) length = std::min(utf8::lead_length(lead), text.size() - at);
    const int32_t id = length == 1 && lead < 128 ? ascii_ids_[lead] : vocab_->find_ordinary(text.data() + at, length);
    const int32_t index = int32_t(w.symbols.size());
    w.symbols.push_back(Symbol{uint32_t(at), uint32_t(length), id, index - 1, index + 1, frozen});
    at += length;
  }
  w.symbols.back().next = -1;
  const int32_t count = int32_t(w.symbols.size());
  if (!split_words_) {
    merge_range(text, &w, 0, count - 1);
  } else {
    auto has_space_at = [&](size_t at) {
      return at + kSpaceSymbol.size() <= text.size() && text.compare(at, kSpaceSymbol.size(), kSpaceSymbol) == 0;
    };
    int32_t first = 0;
    for (int32_t i = 1; i < count; i++) {
      const Symbol& s = w.symbols[size_t(i)];
      const Symbol& before = w.symbols[size_t(i - 1)];
      const bool boundary = suffix_mode_ ? before.length >= kSpaceSymbol.size() &&
                                               has_space_at(before.begin + before.length - kSpaceSymbol.size())
                                         : has_space_at(s.begin);
      if (boundary) {
        merge_range(text, &w, first, i - 1);
        first = i;
      }
    }
    merge_range(text, &w, first, count - 1);
  }
  return emit(text, &w, ids);
}

}  // namespace golf
