// loader.cpp: shard lists, validation tokens, batch requests, loader state encoding, and TokenStream, the
// challenge's sequential loader (train_gpt.py TokenStream/DistributedTokenLoader; see loader.h).
#include "loader.h"

#include <cstring>

namespace golf {
namespace data {
namespace {

constexpr char kStateMagic[4] = {'G', 'L', 'D', 'S'};
constexpr uint32_t kStateVersion = 1;

void put_u32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; i++) out->push_back(char(uint8_t(v >> (8 * i))));
}
void put_u64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; i++) out->push_back(char(uint8_t(v >> (8 * i))));
}
uint32_t get_u32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) v |= uint32_t(p[i]) << (8 * i);
  return v;
}
uint64_t get_u64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v |= uint64_t(p[i]) << (8 * i);
  return v;
}

const char* kind_name(LoaderKind kind) {
  return kind == LoaderKind::sequential ? "sequential" : kind == LoaderKind::shuffled ? "shuffled" : "unknown";
}

}  // namespace

Status open_shard_list(const std::string& pattern, ShardList* out) {
  ShardList list;
  GOLF_RETURN_IF_ERROR(list_shards(pattern, &list.paths));
  list.num_tokens.resize(list.paths.size());
  for (size_t i = 0; i < list.paths.size(); i++) {
    GOLF_RETURN_IF_ERROR(read_shard_header(list.paths[i], &list.num_tokens[i]));
    list.total_tokens += list.num_tokens[i];
  }
  *out = std::move(list);
  return Status::Ok();
}

Status check_batch_request(const BatchRequest& r, int64_t* local_tokens) {
  if (r.world_size < 1 || r.rank < 0 || r.rank >= r.world_size) {
    return Status(StatusCode::invalid_argument, "batch request: rank " + std::to_string(r.rank) +
                                                    " is outside world size " + std::to_string(r.world_size));
  }
  if (r.seq_len < 1 || r.grad_accum_steps < 1 || r.global_tokens < 1) {
    return Status(StatusCode::invalid_argument,
                  "batch request: global_tokens, seq_len and grad_accum_steps must be positive (got " +
                      std::to_string(r.global_tokens) + ", " + std::to_string(r.seq_len) + ", " +
                      std::to_string(r.grad_accum_steps) + ")");
  }
  const int64_t local = r.global_tokens / (int64_t(r.world_size) * r.grad_accum_steps);
  if (local < r.seq_len || local % r.seq_len != 0) {
    return Status(StatusCode::invalid_argument,
                  "batch request: each rank gets global_tokens / (world_size * grad_accum_steps) = " +
                      std::to_string(r.global_tokens) + " / (" + std::to_string(r.world_size) + " * " +
                      std::to_string(r.grad_accum_steps) + ") = " + std::to_string(local) +
                      " tokens per micro-step, which must be a positive multiple of seq_len " +
                      std::to_string(r.seq_len) + "; change the batch size or seq_len");
  }
  *local_tokens = local;
  return Status::Ok();
}

bool LoaderState::operator==(const LoaderState& o) const {
  return kind == o.kind && epoch == o.epoch && shard_index == o.shard_index && offset == o.offset &&
         seed == o.seed && seq_len == o.seq_len && num_shards == o.num_shards && total_tokens == o.total_tokens;
}

std::string encode_loader_state(const LoaderState& s) {
  std::string out(kStateMagic, 4);
  put_u32(&out, kStateVersion);
  put_u32(&out, uint32_t(s.kind));
  put_u32(&out, 0);
  for (uint64_t v : {s.epoch, s.shard_index, s.offset, s.seed, s.seq_len, s.num_shards, s.total_tokens}) {
    put_u64(&out, v);
  }
  return out;
}

Status decode_loader_state(const void* data, size_t size, LoaderState* state) {
  const uint8_t* p = static_cast<const uint8_t*>(data);
  if (size != kLoaderStateBytes || std::memcmp(p, kStateMagic, 4) != 0) {
    return Status(StatusCode::bad_format, "loader state: expected " + std::to_string(kLoaderStateBytes) +
                                              " bytes starting with \"GLDS\", got " + std::to_string(size) +
                                              " bytes (not a loader state, or a damaged checkpoint)");
  }
  if (get_u32(p + 4) != kStateVersion) {
    return Status(StatusCode::unsupported,
                  "loader state: version " + std::to_string(get_u32(p + 4)) + ", this build reads version 1");
  }
  const uint32_t kind = get_u32(p + 8);
  if (kind != uint32_t(LoaderKind::sequential) && kind != uint32_t(LoaderKind::shuffled)) {
    return Status(StatusCode::bad_format, "loader state: unknown loader kind " + std::to_string(kind));
  }
  LoaderState s;
  s.kind = LoaderKind(kind);
  uint64_t* fields[] = {&s.epoch, &s.shard_index, &s.offset, &s.seed, &s.seq_len, &s.num_shards, &s.total_tokens};
  for (size_t i = 0; i < 7; i++) *fields[i] = get_u64(p + 16 + 8 * i);
  *state = s;
  return Status::Ok();
}

Status check_loader_state(const LoaderState& s, LoaderKind kind, const ShardList& shards) {
  if (s.kind != kind) {
    return Status(StatusCode::invalid_argument,
                  "the saved loader state is " + describe_loader_state(s) + ", not a " +
                      (kind == LoaderKind::sequential ? "sequential" : "shuffled") + " one; resume with the same loader");
  }
  if (s.num_shards != shards.paths.size() || s.total_tokens != shards.total_tokens) {
    return Status(StatusCode::invalid_argument,
                  "the saved loader state belongs to " + std::to_string(s.num_shards) + " shards holding " +
                      std::to_string(s.total_tokens) + " tokens, but these shards are " +
                      std::to_string(shards.paths.size()) + " holding " + std::to_string(shards.total_tokens) +
                      "; resume with the same training data");
  }
  return Status::Ok();
}

std::string describe_loader_state(const LoaderState& s) {
  std::string out = std::string(kind_name(s.kind)) + " epoch " + std::to_string(s.epoch) + " shard " +
                    std::to_string(s.shard_index) + (s.kind == LoaderKind::shuffled ? " window " : " offset ") +
                    std::to_string(s.offset);
  if (s.kind == LoaderKind::shuffled) {
    out += " seed " + std::to_string(s.seed) + " seq_len " + std::to_string(s.seq_len);
  }
  return out;
}

Status TrainLoader::next_batch(int64_t global_tokens, int64_t seq_len, int64_t grad_accum_steps, int rank,
                               int world_size, std::vector<int32_t>* x, std::vector<int32_t>* y) {
  BatchRequest request;
  request.global_tokens = global_tokens;
  request.seq_len = seq_len;
  request.grad_accum_steps = grad_accum_steps;
  request.rank = rank;
  request.world_size = world_size;
  int64_t local = 0;
  GOLF_RETURN_IF_ERROR(check_batch_request(request, &local));
  x->resize(size_t(local));
  y->resize(size_t(local));
  return next_batch(request, x->data(), y->data());
}

Status TokenStream::open(const std::string& pattern) {
  ShardList list;
  GOLF_RETURN_IF_ERROR(open_shard_list(pattern, &list));
  if (list.total_tokens == 0) {
    return Status(StatusCode::invalid_argument, pattern + ": the shards hold 0 tokens");
  }
  shards_ = std::move(list);
  current_.close();
  shard_index_ = offset_ = epoch_ = 0;
  return Status::Ok();
}

Status TokenStream::take(uint64_t n, uint16_t* out) {
  if (shards_.paths.empty()) return Status(StatusCode::invalid_argument, "TokenStream: take() before open()");
  uint64_t remaining = n;
  while (remaining > 0) {
    const uint64_t avail = shards_.num_tokens[shard_index_] - offset_;
    if (avail == 0) {
      // The challenge's _advance_file: the next shard, wrapping to the first one forever.
      shard_index_ = (shard_index_ + 1) % shards_.paths.size();
      if (shard_index_ == 0) epoch_++;
      offset_ = 0;
      continue;
    }
    const uint64_t k = remaining < avail ? remaining : avail;
    if (out != nullptr) {
      if (current_.path() != shards_.paths[shard_index_]) {
        GOLF_RETURN_IF_ERROR(current_.open(shards_.paths[shard_index_]));
        if (current_.num_tokens() != shards_.num_tokens[shard_index_]) {
          return Status(StatusCode::io_error, shards_.paths[shard_index_] + ": the shard changed since it was listed");
        }
      }
      std::memcpy(out, current_.tokens() + offset_, 2 * k);
      out += k;
    }
    offset_ += k;
    remaining -= k;
  }
  return Status::Ok();
}

Status TokenStream::next_batch(const BatchRequest& request, int32_t* x, int32_t* y) {
  int64_t local = 0;
  GOLF_RETURN_IF_ERROR(check_batch_request(request, &local));
  const uint64_t span = uint64_t(local) + 1;
  const uint64_t chunk = span * uint64_t(request.world_size);
  if (chunk > shards_.total_tokens) {
    return Status(StatusCode::invalid_argument,
                  "need at least " + std::to_string(chunk) + " tokens for one batch ((local_tokens + 1) * world_size), "
                  "the shards hold " + std::to_string(shards_.total_tokens) +
                  "; tokenize more data or shrink the batch");
  }
  span_.resize(span);
  // One contiguous chunk for all ranks; this rank reads only its own span and skips the others'.
  GOLF_RETURN_IF_ERROR(take(uint64_t(request.rank) * span, nullptr));
  GOLF_RETURN_IF_ERROR(take(span, span_.data()));
  GOLF_RETURN_IF_ERROR(take(uint64_t(request.world_size - 1 - request.rank) * span, nullptr));
  for (uint64_t i = 0; i < uint64_t(local); i++) {
    x[i] = span_[i];
    y[i] = span_[i + 1];
  }
  return Status::Ok();
}

LoaderState TokenStream::state() const {
  LoaderState s;
  s.kind = LoaderKind::sequential;
  s.epoch = epoch_;
  s.shard_index = shard_index_;
  s.offset = offset_;
  s.num_shards = shards_.paths.size();
  s.total_tokens = shards_.total_tokens;
  return s;
}

Status TokenStream::restore(const LoaderState& s) {
  GOLF_RETURN_IF_ERROR(check_loader_state(s, LoaderKind::sequential, shards_));
  if (s.shard_index >= shards_.paths.size() || s.offset > shards_.num_tokens[s.shard_index]) {
    return Status(StatusCode::invalid_argument, "the saved loader state points outside the shards: " +
                                                    describe_loader_state(s));
  }
  shard_index_ = s.shard_index;
  offset_ = s.offset;
  epoch_ = s.epoch;
  return Status::Ok();
}

}  // namespace data
}  // namespace golf
