// split_score.cpp: score_split_across_ranks (split_score.h).
#include "split_score.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>

namespace golf::train {

namespace {

using AlignedBytes = std::unique_ptr<uint8_t, decltype(&std::free)>;

// Rank 0's file, in a 64-byte aligned buffer on every rank (raw tensors keep the buffer's alignment). The size
// goes first, -1 when rank 0 cannot read its own file, so no rank waits for bytes that never come.
Status broadcast_file(Communicator* comm, const std::string& path, AlignedBytes* bytes, int64_t* size) {
  Status read_status;
  *size = -1;
  if (comm->rank() == 0) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (in) *size = (int64_t)in.tellg();
    if (*size > 0) {
      bytes->reset(static_cast<uint8_t*>(std::aligned_alloc(64, ((size_t)*size + 63) / 64 * 64)));
      in.seekg(0);
      if (!*bytes || !in.read(reinterpret_cast<char*>(bytes->get()), *size)) *size = -1;
    }
    if (*size <= 0) {
      read_status = Status(StatusCode::io_error, "cannot read " + path + " to send it to the other ranks");
      *size = -1;
    }
  }
  GOLF_RETURN_IF_ERROR(comm->broadcast(size, sizeof *size, 0).prefix("post-export score: "));
  if (*size < 0)
    return comm->rank() == 0 ? read_status
                             : Status(StatusCode::io_error, "post-export score: rank 0 could not read its file");
  if (comm->rank() != 0) {
    bytes->reset(static_cast<uint8_t*>(std::aligned_alloc(64, ((size_t)*size + 63) / 64 * 64)));
    if (!*bytes) return Status(StatusCode::out_of_memory, "post-export score: no memory for rank 0's file");
  }
  return comm->broadcast(bytes->get(), (size_t)*size, 0).prefix("post-export score: ");
}

}  // namespace

Status score_split_across_ranks(Communicator* comm, const std::string& path, const std::vector<int32_t>& tokens,
                                train_export::ScoreSettings settings, train_export::ScoreReport* out) {
  const int rank = comm->rank(), world = comm->world_size();
  settings.part = rank;
  settings.parts = world;
  train_export::ScoreReport mine;
  Status st;
  if (world == 1) {
    st = train_export::score_golf_file(path, tokens, settings, &mine);
  } else {
    AlignedBytes bytes(nullptr, &std::free);
    int64_t size = 0;
    GOLF_RETURN_IF_ERROR(broadcast_file(comm, path, &bytes, &size));
    const std::string label = "rank 0's exported file";
    st = rank == 0 ? train_export::score_golf_file(path, tokens, settings, &mine)
                   : train_export::score_golf_memory(bytes.get(), (size_t)size, label, tokens, settings, &mine);
  }
  // The sums, and how many ranks failed: every rank learns it in the same collective, so none waits for another.
  double sums[4] = {mine.nats, (double)mine.tokens, (double)mine.bytes, st.ok() ? 0.0 : 1.0};
  if (!st.ok()) sums[0] = sums[1] = sums[2] = 0;
  GOLF_RETURN_IF_ERROR(comm->all_reduce_sum(sums, 4).prefix("post-export score: "));
  double seconds = mine.seconds;
  GOLF_RETURN_IF_ERROR(comm->all_reduce_max(&seconds, 1).prefix("post-export score: "));
  if (!st.ok()) return st.prefix("rank " + std::to_string(rank) + ": ");
  if (sums[3] > 0)
    return Status(StatusCode::io_error, "post-export score: " + std::to_string((int)sums[3]) + " of " +
                                            std::to_string(world) + " ranks failed (their errors say why)");
  // Device and note: rank 0's, which every rank learns as its own when world == 1.
  train_export::ScoreReport r = mine;
  r.nats = sums[0];
  r.tokens = (int64_t)sums[1];
  r.bytes = (int64_t)sums[2];
  r.val_loss = r.tokens > 0 ? r.nats / (double)r.tokens : 0;
  r.val_bpb = r.bytes > 0 ? r.nats / (std::log(2.0) * (double)r.bytes) : 0;
  r.seconds = seconds;
  *out = r;
  return Status::Ok();
}

}  // namespace golf::train
