// shuffled_loader.cpp: ShuffledLoader, the seeded shuffled training loader (windows of seq_len + 1 tokens, shard
// order and window order drawn per epoch; see loader.h), and its portable SplitMix64 random numbers.
#include <cstring>

#include "loader.h"

namespace golf {
namespace data {
namespace {

// SplitMix64's output function: a bijective 64-bit mixer.
uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// The stream of the epoch's shard order; stream 1 + s belongs to shard s (its phase, then its window order).
constexpr uint64_t kShardOrderStream = 0;

}  // namespace

uint64_t SplitMix64::next() {
  state_ += 0x9e3779b97f4a7c15ULL;
  return mix64(state_);
}

uint64_t SplitMix64::below(uint64_t bound) {
  // Lemire, "Fast random integer generation in an interval" (2019): exact, and no division on the common path.
  __uint128_t product = static_cast<__uint128_t>(next()) * bound;
  uint64_t low = static_cast<uint64_t>(product);
  if (low < bound) {
    const uint64_t threshold = (0 - bound) % bound;
    while (low < threshold) {
      product = static_cast<__uint128_t>(next()) * bound;
      low = static_cast<uint64_t>(product);
    }
  }
  return static_cast<uint64_t>(product >> 64);
}

uint64_t shuffle_stream_seed(uint64_t seed, uint64_t epoch, uint64_t stream) {
  uint64_t h = mix64(seed ^ 0x6a09e667f3bcc909ULL);
  h = mix64(h ^ (epoch * 0x9e3779b97f4a7c15ULL));
  return mix64(h ^ (stream * 0xc2b2ae3d27d4eb4fULL + 1));
}

namespace {

// Phase range of a shard of n tokens: phases in [0, range) leave at least one window; 0 when n < seq_len + 1.
uint64_t phase_range(uint64_t n, uint64_t seq_len) {
  if (n < seq_len + 1) return 0;
  return n - seq_len < seq_len ? n - seq_len : seq_len;
}

uint64_t window_count(uint64_t n, uint64_t seq_len, uint64_t phase) {
  return n < phase + seq_len + 1 ? 0 : (n - phase - 1) / seq_len;
}

}  // namespace

Status ShuffledLoader::open(const std::string& pattern, uint64_t seed, int64_t seq_len) {
  if (seq_len < 1) {
    return Status(StatusCode::invalid_argument,
                  "shuffled loader: seq_len must be positive, got " + std::to_string(seq_len));
  }
  ShardList list;
  GOLF_RETURN_IF_ERROR(open_shard_list(pattern, &list));
  const uint64_t len = uint64_t(seq_len);
  uint64_t min_windows = 0;
  for (uint64_t n : list.num_tokens) {
    const uint64_t range = phase_range(n, len);
    if (range > 0) min_windows += window_count(n, len, range - 1);
  }
  if (min_windows == 0) {
    return Status(StatusCode::invalid_argument,
                  pattern + ": no shard holds seq_len + 1 = " + std::to_string(len + 1) +
                      " tokens, so the shuffled loader has no window to give (the shards hold " +
                      std::to_string(list.total_tokens) + " tokens)");
  }
  shards_ = std::move(list);
  current_.close();
  seed_ = seed;
  seq_len_ = len;
  min_windows_per_epoch_ = min_windows;
  epoch_ = order_pos_ = window_pos_ = 0;
  prepared_epoch_ = prepared_shard_ = UINT64_MAX;
  windows_.clear();
  return Status::Ok();
}

void ShuffledLoader::prepare_epoch() {
  if (prepared_epoch_ == epoch_) return;
  const size_t count = shards_.paths.size();
  shard_order_.resize(count);
  for (size_t i = 0; i < count; i++) shard_order_[i] = uint32_t(i);
  SplitMix64 rng(shuffle_stream_seed(seed_, epoch_, kShardOrderStream));
  for (size_t i = count; i > 1; i--) std::swap(shard_order_[i - 1], shard_order_[rng.below(i)]);
  prepared_epoch_ = epoch_;
  prepared_shard_ = UINT64_MAX;
}

void ShuffledLoader::prepare_shard() {
  prepare_epoch();
  if (prepared_shard_ == order_pos_) return;
  const uint32_t shard = shard_order_[order_pos_];
  const uint64_t n = shards_.num_tokens[shard];
  SplitMix64 rng(shuffle_stream_seed(seed_, epoch_, 1 + uint64_t(shard)));
  const uint64_t range = phase_range(n, seq_len_);
  phase_ = range > 0 ? rng.below(range) : 0;
  const uint64_t count = range > 0 ? window_count(n, seq_len_, phase_) : 0;
  windows_.resize(count);
  for (uint64_t i = 0; i < count; i++) windows_[i] = uint32_t(i);
  for (uint64_t i = count; i > 1; i--) std::swap(windows_[i - 1], windows_[rng.below(i)]);
  prepared_shard_ = order_pos_;
}

Status ShuffledLoader::advance_window(int32_t* x, int32_t* y) {
  // min_windows_per_epoch_ >= 1, so this finds a window within one epoch.
  for (;;) {
    prepare_shard();
    if (window_pos_ < windows_.size()) break;
    window_pos_ = 0;
    if (++order_pos_ == shards_.paths.size()) {
      order_pos_ = 0;
      epoch_++;
    }
  }
  if (x != nullptr) {
    const std::string& path = shards_.paths[shard_order_[order_pos_]];
    if (current_.path() != path) {
      GOLF_RETURN_IF_ERROR(current_.open(path));
      if (current_.num_tokens() != shards_.num_tokens[shard_order_[order_pos_]]) {
        return Status(StatusCode::io_error, path + ": the shard changed since it was listed");
      }
    }
    const uint16_t* window = current_.tokens() + phase_ + uint64_t(windows_[window_pos_]) * seq_len_;
    for (uint64_t j = 0; j < seq_len_; j++) {
      x[j] = window[j];
      y[j] = window[j + 1];
    }
  }
  window_pos_++;
  return Status::Ok();
}

Status ShuffledLoader::next_batch(const BatchRequest& request, int32_t* x, int32_t* y) {
  if (shards_.paths.empty()) return Status(StatusCode::invalid_argument, "ShuffledLoader: next_batch() before open()");
  int64_t local = 0;
  GOLF_RETURN_IF_ERROR(check_batch_request(request, &local));
  if (uint64_t(request.seq_len) != seq_len_) {
    return Status(StatusCode::invalid_argument,
                  "shuffled loader: opened for seq_len " + std::to_string(seq_len_) + " but asked for seq_len " +
                      std::to_string(request.seq_len) + " (its windows are cut for one length; reopen it)");
  }
  const uint64_t rows = uint64_t(local) / seq_len_;
  const uint64_t windows = rows * uint64_t(request.world_size);
  if (windows > min_windows_per_epoch_) {
    return Status(StatusCode::invalid_argument,
                  "need at least " + std::to_string(windows * seq_len_ + 1) + " tokens for one batch (" +
                      std::to_string(windows) + " windows of seq_len + 1 tokens), the shards hold " +
                      std::to_string(shards_.total_tokens) + " tokens, which give at least " +
                      std::to_string(min_windows_per_epoch_) +
                      " windows per epoch; tokenize more data or shrink the batch");
  }
  const uint64_t first = uint64_t(request.rank) * rows;
  for (uint64_t w = 0; w < windows; w++) {
    const bool mine = w >= first && w < first + rows;
    const uint64_t row = w - first;
    GOLF_RETURN_IF_ERROR(advance_window(mine ? x + row * seq_len_ : nullptr, mine ? y + row * seq_len_ : nullptr));
  }
  return Status::Ok();
}

LoaderState ShuffledLoader::state() const {
  LoaderState s;
  s.kind = LoaderKind::shuffled;
  s.epoch = epoch_;
  s.shard_index = order_pos_;
  s.offset = window_pos_;
  s.seed = seed_;
  s.seq_len = seq_len_;
  s.num_shards = shards_.paths.size();
  s.total_tokens = shards_.total_tokens;
  return s;
}

Status ShuffledLoader::restore(const LoaderState& s) {
  GOLF_RETURN_IF_ERROR(check_loader_state(s, LoaderKind::shuffled, shards_));
  if (s.seed != seed_ || s.seq_len != seq_len_) {
    return Status(StatusCode::invalid_argument,
                  "the saved loader state was made with seed " + std::to_string(s.seed) + " and seq_len " +
                      std::to_string(s.seq_len) + ", this loader has seed " + std::to_string(seed_) +
                      " and seq_len " + std::to_string(seq_len_) + "; resume with the same settings");
  }
  if (s.shard_index >= shards_.paths.size()) {
    return Status(StatusCode::invalid_argument, "the saved loader state points outside the shards: " +
                                                    describe_loader_state(s));
  }
  // The window count of the saved shard is known only once its permutation is built; keep the old position to
  // fall back to if the state points past it.
  const uint64_t old_epoch = epoch_, old_order_pos = order_pos_, old_window_pos = window_pos_;
  epoch_ = s.epoch;
  order_pos_ = s.shard_index;
  window_pos_ = s.offset;
  prepare_shard();
  if (window_pos_ > windows_.size()) {
    epoch_ = old_epoch;
    order_pos_ = old_order_pos;
    window_pos_ = old_window_pos;
    prepare_shard();
    return Status(StatusCode::invalid_argument, "the saved loader state points past the windows of its shard: " +
                                                    describe_loader_state(s));
  }
  return Status::Ok();
}

}  // namespace data
}  // namespace golf
