// launch_env.h: who this process is in a multi-process training job, read from the environment the launcher set:
// Open MPI's mpirun (OMPI_COMM_WORLD_*), Slurm's srun (SLURM_PROCID, ...), MPICH/Hydra (PMI_*), or the torchrun
// convention (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT; golf-train --gpus N sets
// these for the ranks it starts). Parsing only: no sockets, no MPI, no CUDA, so CI tests every case on the CPU.
#pragma once
#include <functional>
#include <string>

#include "status.h"  // defines: Status

namespace golf::launch {

enum class Launcher {
  single,    // no launcher: one process
  mpirun,    // Open MPI mpirun (or any launcher exporting OMPI_COMM_WORLD_*)
  pmi,       // MPICH/Hydra mpiexec, or srun with PMI/PMIx: MPI can bootstrap
  srun,      // Slurm srun without PMI: the ncclUniqueId must go over TCP (MASTER_ADDR/MASTER_PORT)
  torchrun,  // RANK/WORLD_SIZE/...: torchrun, golf-train --gpus, or any script that sets them
};
const char* launcher_name(Launcher l);

struct LaunchEnv {
  Launcher launcher = Launcher::single;
  int rank = 0, world_size = 1;
  int local_rank = 0, local_world_size = 1;  // this machine's ranks; local_rank picks the GPU
  std::string master_addr;                   // TCP bootstrap only: where rank 0 listens
  int master_port = 0;
  // Whether MPI can carry the bootstrap (mpirun, PMI); otherwise the id goes over TCP to master_addr:master_port.
  bool mpi_bootstrap() const { return launcher == Launcher::mpirun || launcher == Launcher::pmi; }
  // "rank 3 of 8 (local 3 of 8), torchrun, rank 0 at 10.0.0.1:29500" for the log.
  std::string describe() const;
};

// Reads the environment through `get` (std::getenv in golf-train; a map in tests). The first launcher whose
// variables are present wins, in the order mpirun, PMI, srun, torchrun. Refused (invalid_argument, naming the
// variable and its value) when a number does not parse, rank is outside [0, world_size), the local rank is outside
// the local world, or a TCP bootstrap with more than one rank lacks MASTER_ADDR or a MASTER_PORT in 1..65535.
using EnvGetter = std::function<const char*(const char*)>;
Status launch_env_parse(const EnvGetter& get, LaunchEnv* out);
Status launch_env_from_process(LaunchEnv* out);

// The CUDA device a rank uses: its local rank, refused (naming both numbers) when the machine has fewer devices.
Status local_device_index(const LaunchEnv& env, int device_count, int* device);

}  // namespace golf::launch
