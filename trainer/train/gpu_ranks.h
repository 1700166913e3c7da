// gpu_ranks.h: how golf-train becomes one of several GPU ranks. `--gpus N` on a bare node: this process starts N
// copies of itself (launch/local_spawn.h) with the torchrun-style environment and waits for them; each copy is a
// rank with --backend cuda. A rank (started by --gpus, torchrun-style variables, mpirun or srun) with --backend cuda
// gets the NCCL communicator from the CUDA module (backend_module.h), with MPI carrying its bootstrap under
// mpirun/srun; every other process gets make_communicator's (single process, or MPI for the CPU trainer).
#pragma once
#include <memory>

#include "communicator.h"  // defines: Communicator
#include "options.h"       // defines: ParsedArgs
#include "status.h"        // defines: Status

namespace golf::train {

// --gpus N given: refused (invalid_argument, a usage error) with --backend cpu, with --device, or inside a job a
// launcher already started; otherwise --backend becomes cuda.
Status gpu_ranks_prepare(ParsedArgs* args);

// Starts args.options.gpus ranks running this program with argv minus --gpus (and --backend cuda), waits for them
// and returns the exit status to end with: 0 when every rank succeeded, else the first failing rank's (the others
// are stopped, and the failure is printed).
int gpu_ranks_run(int argc, char** argv, const ParsedArgs& args);

// The communicators of this process: `comm` is the one training uses; `mpi` (may stay empty) is the MPI one that
// carried the NCCL id and must outlive `comm` (destroy comm first).
Status make_train_communicator(const TrainOptions& o, int* argc, char*** argv, std::unique_ptr<Communicator>* mpi,
                               std::unique_ptr<Communicator>* comm);

}  // namespace golf::train
