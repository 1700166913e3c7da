// loader.h: the training-data loaders golf-train uses on CPU and GPU, and the validation-token loader.
//
// TokenStream is the challenge's loader exactly (train_gpt.py TokenStream + DistributedTokenLoader, challenge.md
// §1.5): shards in sorted order, read sequentially, wrapping forever; each next_batch call takes one contiguous
// chunk of (local_tokens + 1) * world_size tokens and rank r uses chunk[r*(local+1) : (r+1)*(local+1)], with
// x = span[:-1] and y = span[1:].
//
// ShuffledLoader reads the same shards in a seeded random order (see its comment). Both report their position as a
// LoaderState (plain data, 72 bytes serialized) that a checkpoint stores; restoring it continues bit-identically.
// Every rank opens its own loader and makes the same calls in the same order; the rank only picks which part of
// each micro-batch it receives. Loaders are not thread-safe: one thread drives each.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "shard.h"
#include "status.h"

namespace golf {
namespace data {

// The shards of one split, sorted by name, with every header and file size checked up front (a damaged shard
// fails at start-up, not hours into a run).
struct ShardList {
  std::vector<std::string> paths;
  std::vector<uint64_t> num_tokens;
  uint64_t total_tokens = 0;
};
// pattern: a glob such as "data/fineweb_train_*.bin" (shard_glob() builds one).
Status open_shard_list(const std::string& pattern, ShardList* out);

// The arguments of the challenge's next_batch(global_tokens, seq_len, grad_accum_steps) plus the rank.
struct BatchRequest {
  int64_t global_tokens = 0;     // tokens per optimizer step, all ranks and micro-steps together
  int64_t seq_len = 0;
  int64_t grad_accum_steps = 1;  // micro-steps per optimizer step; next_batch is called once per micro-step
  int rank = 0;
  int world_size = 1;
};
// Checks a request and gives the tokens one rank receives per call:
// local_tokens = global_tokens / (world_size * grad_accum_steps), floored as the challenge floors it. It must be a
// positive multiple of seq_len (the challenge reshapes x to (-1, seq_len)).
Status check_batch_request(const BatchRequest& request, int64_t* local_tokens);

enum class LoaderKind : uint32_t { sequential = 1, shuffled = 2 };

// A loader's position. Plain data: copy it, compare it, store its 72-byte encoding in a checkpoint.
struct LoaderState {
  LoaderKind kind = LoaderKind::sequential;
  uint64_t epoch = 0;         // completed passes over all shards
  uint64_t shard_index = 0;   // sequential: index into the sorted shards; shuffled: position in the epoch's order
  uint64_t offset = 0;        // sequential: next token of that shard; shuffled: next window of its permutation
  uint64_t seed = 0;          // shuffled: every permutation derives from (seed, epoch, shard); no running RNG
  uint64_t seq_len = 0;       // shuffled: the window length the permutations were made for
  uint64_t num_shards = 0;    // fingerprint of the data the state belongs to, checked by restore()
  uint64_t total_tokens = 0;  // fingerprint, as above
  bool operator==(const LoaderState& o) const;
  bool operator!=(const LoaderState& o) const { return !(*this == o); }
};
constexpr size_t kLoaderStateBytes = 72;
// Little-endian: "GLDS", u32 version 1, u32 kind, u32 zero, then the eight u64 fields in declaration order.
std::string encode_loader_state(const LoaderState& state);
Status decode_loader_state(const void* data, size_t size, LoaderState* state);
// One line for logs: "sequential epoch 0 shard 3 offset 123456".
std::string describe_loader_state(const LoaderState& state);
// The checks every restore() starts with: the saved state is of `kind` and belongs to these shards.
Status check_loader_state(const LoaderState& state, LoaderKind kind, const ShardList& shards);

// What golf-train drives: either loader, behind one interface.
class TrainLoader {
 public:
  virtual ~TrainLoader() = default;
  // Fills x and y with this rank's local_tokens tokens of the next micro-batch (row-major, local_tokens / seq_len
  // rows of seq_len); y[i] is the token after x[i]. Every rank must make the same sequence of calls.
  virtual Status next_batch(const BatchRequest& request, int32_t* x, int32_t* y) = 0;
  // As above into vectors resized to local_tokens; the challenge's argument order.
  Status next_batch(int64_t global_tokens, int64_t seq_len, int64_t grad_accum_steps, int rank, int world_size,
                    std::vector<int32_t>* x, std::vector<int32_t>* y);
  virtual LoaderState state() const = 0;
  // Continues from a state taken by state() of a loader of the same kind over the same shards (and, shuffled, the
  // same seed and seq_len); anything else -> invalid_argument saying what differs.
  virtual Status restore(const LoaderState& state) = 0;
  virtual const ShardList& shards() const = 0;
};

// (a) The challenge's sequential loader.
class TokenStream : public TrainLoader {
 public:
  Status open(const std::string& pattern);
  // The challenge's TokenStream.take(n): the next n tokens of the endless stream into out, or skipped when out is
  // null (ranks skip the other ranks' spans without reading them).
  Status take(uint64_t n, uint16_t* out);
  using TrainLoader::next_batch;
  Status next_batch(const BatchRequest& request, int32_t* x, int32_t* y) override;
  LoaderState state() const override;
  Status restore(const LoaderState& state) override;
  const ShardList& shards() const override { return shards_; }

 private:
  ShardList shards_;
  ShardReader current_;  // the mapped shard shard_index_, opened when its tokens are first needed
  uint64_t shard_index_ = 0, offset_ = 0, epoch_ = 0;
  std::vector<uint16_t> span_;  // scratch: one rank's local_tokens + 1 tokens
};

// (b) A seeded shuffled loader. Each shard is cut into windows of seq_len + 1 tokens, window w covering
// [phase + w * seq_len, phase + w * seq_len + seq_len + 1) (consecutive windows share one token, so every token is
// a target once per epoch), where phase in [0, seq_len) is drawn per (epoch, shard) so that window boundaries move
// between epochs. Each epoch visits the shards in a random order and, inside each shard, its windows in a random
// order (Fisher-Yates). All randomness is a pure function of (seed, epoch, shard): a portable SplitMix64 stream,
// identical on every platform, so the position alone is the state. One call hands out world_size * rows windows
// (rows = local_tokens / seq_len); rank r gets windows [r * rows, (r + 1) * rows) of them, so ranks never share a
// window within a step, and an epoch never repeats a window.
class ShuffledLoader : public TrainLoader {
 public:
  Status open(const std::string& pattern, uint64_t seed, int64_t seq_len);
  using TrainLoader::next_batch;
  // request.seq_len must equal the seq_len given to open().
  Status next_batch(const BatchRequest& request, int32_t* x, int32_t* y) override;
  LoaderState state() const override;
  Status restore(const LoaderState& state) override;
  const ShardList& shards() const override { return shards_; }
  // Windows in one epoch at the least (every phase at its worst); what check against a batch uses.
  uint64_t min_windows_per_epoch() const { return min_windows_per_epoch_; }

 private:
  // Makes the shard order of epoch_ and the windows of the shard at order position order_pos_ current.
  void prepare_epoch();
  void prepare_shard();
  // Moves to the next window, crossing shard and epoch boundaries; fills one row of x, y when they are not null.
  Status advance_window(int32_t* x, int32_t* y);

  ShardList shards_;
  ShardReader current_;
  uint64_t seed_ = 0, seq_len_ = 0, min_windows_per_epoch_ = 0;
  uint64_t epoch_ = 0, order_pos_ = 0, window_pos_ = 0;
  std::vector<uint32_t> shard_order_;  // shard indices in epoch_'s order
  uint64_t prepared_epoch_ = UINT64_MAX;
  uint64_t prepared_shard_ = UINT64_MAX;  // the order position whose windows_ are built
  uint64_t phase_ = 0;
  std::vector<uint32_t> windows_;  // window numbers of the current shard, in visiting order
};

// Deterministic random numbers for the shuffled loader, exposed for tests.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t next();
  // Uniform in [0, bound), bound > 0, without modulo bias (Lemire's multiply-and-reject).
  uint64_t below(uint64_t bound);

 private:
  uint64_t state_;
};
// The seed of the stream `stream` of epoch `epoch` under the run seed.
uint64_t shuffle_stream_seed(uint64_t seed, uint64_t epoch, uint64_t stream);

}  // namespace data
}  // namespace golf
