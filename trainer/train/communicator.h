// communicator.h: what data-parallel training needs from the processes around it, and nothing more: rank, world
// size, element-wise all-reduce (sum and average of fp32 gradients, sum of fp64 validation totals, max of fp64
// flags and clocks), broadcast of bytes from one rank, an all-gather of equal blocks, and a barrier.
// Implementations: a single process (every collective is the identity), Open MPI (mpi_communicator.cpp, built when
// MPI is found), and NCCL for the CUDA trainer (trainer/nccl); buffers are plain host pointers and counts, so an
// NCCL version maps each call to one collective. Every rank must make the same calls in the same order (as with any
// collective library).
#pragma once
#include <cstddef>
#include <memory>
#include <string>

#include "status.h"  // defines: Status

namespace golf::train {

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int world_size() const = 0;
  // "single process" or "MPI (Open MPI v4.1.4), 2 ranks" for the log header.
  virtual std::string describe() const = 0;
  // In place, element-wise over all ranks; every rank ends with the same result.
  virtual Status all_reduce_sum(float* data, size_t count) = 0;
  virtual Status all_reduce_sum(double* data, size_t count) = 0;
  virtual Status all_reduce_max(double* data, size_t count) = 0;
  // Copies `bytes` bytes from rank `root`'s buffer into every other rank's.
  virtual Status broadcast(void* data, size_t bytes, int root) = 0;
  virtual Status barrier() = 0;
  // In place: rank r's block of `bytes_per_rank` bytes at data + r·bytes_per_rank reaches every rank (sharded
  // Muon's updates). The default is one broadcast per rank; MPI overrides it with MPI_Allgather.
  virtual Status all_gather(void* data, size_t bytes_per_rank);
  // For the command line's error path only: ends every rank of the job (MPI_Abort), since a rank that exits alone
  // leaves the others waiting in their next collective forever. The single-process version returns (the caller
  // then exits).
  virtual void abort_job(int exit_code) = 0;
  // How long a collective may wait for the other ranks before the job is ended (NCCL's watchdog, for a peer that
  // hangs without exiting; 0: forever). MPI and the single process ignore it: mpirun ends a job whose rank exits.
  virtual void set_collective_timeout(double seconds) { (void)seconds; }
  // Sum, then multiply by 1/world_size (DDP's gradient average).
  Status all_reduce_avg(float* data, size_t count);
};

std::unique_ptr<Communicator> make_single_process_communicator();

// Whether this build has the MPI communicator.
bool mpi_built();
// Whether this process looks launched by mpirun/srun (Open MPI, MPICH/PMI or PMIx environment variables).
bool launched_by_mpi_launcher();
// Initializes MPI (MPI_Init) and wraps MPI_COMM_WORLD; MPI_Finalize runs when the communicator is destroyed.
// Without MPI in the build: unsupported, saying how to get it.
Status make_mpi_communicator(int* argc, char*** argv, std::unique_ptr<Communicator>* out);

// kind "single", "mpi", or "auto" (MPI when launched by a launcher and built with MPI, else single process).
Status make_communicator(const std::string& kind, int* argc, char*** argv, std::unique_ptr<Communicator>* out);

}  // namespace golf::train
