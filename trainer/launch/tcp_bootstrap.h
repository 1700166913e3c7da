// tcp_bootstrap.h: the few bytes a job needs before NCCL exists (the 128-byte ncclUniqueId), sent from rank 0 to
// every rank over one TCP connection per rank, when no MPI is there to carry them (torchrun-style environment,
// srun without PMI, golf-train --gpus). Rank 0 listens on MASTER_PORT; the others connect to
// MASTER_ADDR:MASTER_PORT, retrying until rank 0 is up, and say who they are; rank 0 answers once every rank has
// arrived (so the exchange is also a barrier). A rank that does not arrive within the timeout ends the exchange
// with an error naming the address and the missing ranks, instead of a hang.
#pragma once
#include <cstddef>

#include "launch_env.h"  // defines: LaunchEnv
#include "status.h"      // defines: Status

namespace golf::launch {

// Rank 0's `bytes` bytes at `blob` are copied into every other rank's `blob`. Every rank of env calls it with the
// same `bytes`. world_size 1: nothing to do. Errors (io_error) start with "rank R: " and name the address.
Status tcp_broadcast_blob(const LaunchEnv& env, void* blob, size_t bytes, double timeout_seconds);

}  // namespace golf::launch
