// backend_module.h: how golf-train reaches the CUDA backend without linking CUDA. The backend is built into a shared
// module, libgolf-train-cuda.so, which golf-train loads (dlopen) only when --backend cuda is asked: a machine
// without the CUDA libraries runs every CPU command, and a build without CUDA says how to get one. The module
// exports the two C symbols below; both sides are compiled from this header in the same build, and the ABI tag
// guards against loading a module from another build.
#pragma once
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "backend.h"  // defines: BackendSetup, TrainBackend

#define GOLF_TRAIN_CUDA_MODULE "libgolf-train-cuda.so"
// Changes whenever BackendSetup or TrainBackend change shape.
#define GOLF_TRAIN_CUDA_ABI "golf-train-cuda-3"

extern "C" {
// Returns GOLF_TRAIN_CUDA_ABI as the module was built.
typedef const char* (*golf_train_cuda_abi_fn)();
// Builds a CUDA backend: 0 and *out on success (the caller deletes it); otherwise a StatusCode value and a message
// of at most err_len - 1 bytes in err.
typedef int (*golf_train_cuda_create_fn)(const golf::train::BackendSetup* setup, golf::train::TrainBackend** out,
                                         char* err, size_t err_len);
// Builds the NCCL communicator of this rank (several GPU ranks) from the launcher's environment; `mpi` (may be null)
// carries the NCCL id under mpirun/srun. Returns as golf_train_cuda_create does (the caller deletes *out).
typedef int (*golf_train_cuda_communicator_create_fn)(golf::train::Communicator* mpi,
                                                      golf::train::Communicator** out, char* err, size_t err_len);
}

namespace golf::train {

// Where golf-train looks for the module: $GOLF_TRAIN_CUDA_MODULE when set, else the path this build put it at
// (the build tree, or the install's library directory), else the bare name (the dynamic linker's search path).
std::vector<std::string> cuda_module_candidates();

// Loads the module at `path` (dlopen; it stays loaded for the life of the process), checks its ABI tag against
// GOLF_TRAIN_CUDA_ABI and builds the backend. A missing module, missing symbols or another ABI are refused with a
// message that names the path, what is wrong and what to do; the module's own errors come back as its Status.
Status backend_module_create(const std::string& path, const BackendSetup& setup, std::unique_ptr<TrainBackend>* out);

// The NCCL communicator of a CUDA rank, from the first module cuda_module_candidates() can load; `mpi` (may be
// null) carries the bootstrap under mpirun/srun and must outlive the result. Refused, saying what to do, in a build
// without the CUDA trainer or without NCCL.
Status cuda_communicator_create(Communicator* mpi, std::unique_ptr<Communicator>* out);

}  // namespace golf::train
