// launch_env.cpp: the launcher environments of launch_env.h, checked variable by variable.
#include "launch_env.h"

#include <cerrno>
#include <cstdlib>

namespace golf::launch {

const char* launcher_name(Launcher l) {
  switch (l) {
    case Launcher::single: return "single process";
    case Launcher::mpirun: return "mpirun";
    case Launcher::pmi: return "PMI (mpiexec or srun --mpi)";
    case Launcher::srun: return "srun";
    case Launcher::torchrun: return "torchrun environment";
  }
  return "?";
}

std::string LaunchEnv::describe() const {
  std::string s = "rank " + std::to_string(rank) + " of " + std::to_string(world_size) + " (local " +
                  std::to_string(local_rank) + " of " + std::to_string(local_world_size) + "), " +
                  launcher_name(launcher);
  if (!mpi_bootstrap() && world_size > 1) s += ", rank 0 at " + master_addr + ":" + std::to_string(master_port);
  return s;
}

namespace {

// A whole decimal integer in [lo, hi]; the error names the variable and what it held.
Status parse_int(const EnvGetter& get, const char* var, int lo, int hi, int* out) {
  const char* v = get(var);
  if (!v) return Status(StatusCode::invalid_argument, std::string(var) + " is not set");
  errno = 0;
  char* end = nullptr;
  const long x = std::strtol(v, &end, 10);
  if (*v == '\0' || *end != '\0' || errno != 0 || x < lo || x > hi)
    return Status(StatusCode::invalid_argument, std::string(var) + "=" + v + ": expected an integer in [" +
                                                    std::to_string(lo) + ", " + std::to_string(hi) + "]");
  *out = (int)x;
  return Status::Ok();
}

// Reads rank/world/local from the given variable names (local_size may be null: then 1 per machine is not assumed
// but the local rank's bound is skipped).
Status read_ranks(const EnvGetter& get, const char* rank, const char* size, const char* local_rank,
                  const char* local_size, LaunchEnv* e) {
  GOLF_RETURN_IF_ERROR(parse_int(get, size, 1, 1 << 20, &e->world_size));
  GOLF_RETURN_IF_ERROR(parse_int(get, rank, 0, e->world_size - 1, &e->rank));
  e->local_rank = e->rank;
  e->local_world_size = e->world_size;
  if (local_size && get(local_size))
    GOLF_RETURN_IF_ERROR(parse_int(get, local_size, 1, e->world_size, &e->local_world_size));
  if (local_rank && get(local_rank)) {
    GOLF_RETURN_IF_ERROR(parse_int(get, local_rank, 0, e->local_world_size - 1, &e->local_rank));
  } else if (e->local_world_size != e->world_size) {
    return Status(StatusCode::invalid_argument, std::string(local_rank ? local_rank : "the local rank") +
                                                    " is not set, and the job spans several machines");
  }
  return Status::Ok();
}

Status read_master(const EnvGetter& get, const char* launcher, LaunchEnv* e) {
  if (e->world_size == 1) return Status::Ok();
  const char* addr = get("MASTER_ADDR");
  if (!addr || !*addr)
    return Status(StatusCode::invalid_argument, std::string(launcher) +
                                                    " with several ranks needs MASTER_ADDR (the host of rank 0) and "
                                                    "MASTER_PORT for the TCP bootstrap");
  e->master_addr = addr;
  return parse_int(get, "MASTER_PORT", 1, 65535, &e->master_port);
}

}  // namespace

Status launch_env_parse(const EnvGetter& get, LaunchEnv* out) {
  LaunchEnv e;
  if (get("OMPI_COMM_WORLD_SIZE")) {
    e.launcher = Launcher::mpirun;
    GOLF_RETURN_IF_ERROR(read_ranks(get, "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_RANK",
                                    "OMPI_COMM_WORLD_LOCAL_SIZE", &e));
  } else if (get("PMI_SIZE") || get("PMIX_RANK")) {
    // Hydra sets PMI_RANK/PMI_SIZE and MPI_LOCALRANKID; srun --mpi=pmix sets PMIX_RANK and the SLURM_* below.
    e.launcher = Launcher::pmi;
    if (get("PMI_SIZE"))
      GOLF_RETURN_IF_ERROR(read_ranks(get, "PMI_RANK", "PMI_SIZE", "MPI_LOCALRANKID", "MPI_LOCALNRANKS", &e));
    else
      GOLF_RETURN_IF_ERROR(read_ranks(get, "SLURM_PROCID", "SLURM_NTASKS", "SLURM_LOCALID", nullptr, &e));
  } else if (get("SLURM_PROCID") && get("SLURM_NTASKS")) {
    e.launcher = Launcher::srun;
    GOLF_RETURN_IF_ERROR(read_ranks(get, "SLURM_PROCID", "SLURM_NTASKS", "SLURM_LOCALID", nullptr, &e));
    if (get("SLURM_LOCALID")) {
      // Slurm gives no local task count in one variable for uneven layouts; the GPU index only needs local_rank.
      e.local_world_size = e.local_rank + 1;
      int per_node = 0;
      if (get("SLURM_NTASKS_PER_NODE") && parse_int(get, "SLURM_NTASKS_PER_NODE", 1, 1 << 20, &per_node).ok() &&
          per_node > e.local_rank)
        e.local_world_size = per_node;
    }
    GOLF_RETURN_IF_ERROR(read_master(get, "srun without PMI", &e));
  } else if (get("RANK") || get("WORLD_SIZE")) {
    e.launcher = Launcher::torchrun;
    GOLF_RETURN_IF_ERROR(read_ranks(get, "RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", &e));
    GOLF_RETURN_IF_ERROR(read_master(get, "RANK/WORLD_SIZE (torchrun convention)", &e));
  }
  *out = e;
  return Status::Ok();
}

Status launch_env_from_process(LaunchEnv* out) {
  return launch_env_parse([](const char* v) { return (const char*)std::getenv(v); }, out);
}

Status local_device_index(const LaunchEnv& env, int device_count, int* device) {
  if (env.local_rank >= device_count)
    return Status(StatusCode::invalid_argument,
                  "rank " + std::to_string(env.rank) + " has local rank " + std::to_string(env.local_rank) +
                      " but this machine has " + std::to_string(device_count) +
                      " CUDA devices: start at most one rank per GPU on each machine");
  *device = env.local_rank;
  return Status::Ok();
}

}  // namespace golf::launch
