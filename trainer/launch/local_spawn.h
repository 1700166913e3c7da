// local_spawn.h: golf-train --gpus N on a bare node: the process starts N copies of a command, one per local GPU,
// each with the torchrun-style environment (RANK = LOCAL_RANK = r, WORLD_SIZE = LOCAL_WORLD_SIZE = N,
// MASTER_ADDR = 127.0.0.1, MASTER_PORT = a free port), so the ranks bootstrap over TCP (tcp_bootstrap.h) with no
// MPI installed. When one rank fails, the others are stopped (SIGTERM, then SIGKILL after a grace period) instead
// of being left waiting in a collective; SIGINT/SIGTERM to the parent reach every rank.
#pragma once
#include <string>
#include <vector>

#include "status.h"  // defines: Status

namespace golf::launch {

// A TCP port on the loopback interface that was free a moment ago (the kernel's choice), for MASTER_PORT.
Status pick_free_port(int* port);

struct SpawnReport {
  int exit_code = 0;         // 0 when every rank exited 0; else the first failing rank's code (128 + signal if killed)
  int failed_rank = -1;      // the first rank that failed, -1 when none
  std::string message;       // "rank 2 exited with status 1; stopped ranks 0, 1, 3" (empty on success)
};

// Runs argv (argv[0] a path) as `ranks` processes and waits for all of them. Refused (invalid_argument) for
// ranks < 1; io_error when a process cannot be started (the ones already started are stopped).
Status spawn_local_ranks(const std::vector<std::string>& argv, int ranks, int master_port, double grace_seconds,
                         SpawnReport* report);

}  // namespace golf::launch
