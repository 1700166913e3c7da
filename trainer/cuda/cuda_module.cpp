// cuda_module.cpp: the C entry points of libgolf-train-cuda.so (trainer/train/backend_module.h), the shared module
// golf-train dlopens only when --backend cuda is asked: the ABI tag of this build, the factory of the backend, and
// the factory of the NCCL communicator that joins several GPU ranks (built where NCCL is found).
#include <cstring>
#include <memory>
#include <type_traits>

#include "cuda_backend.h"          // defines: make_cuda_backend
#include "train/backend_module.h"  // defines: GOLF_TRAIN_CUDA_ABI, golf_train_cuda_*_fn
#ifdef GOLF_HAVE_NCCL
#include "launch_env.h"         // defines: launch_env_from_process
#include "nccl_communicator.h"  // defines: NcclCommunicator
#endif

namespace {

int fail_with(const golf::Status& st, char* err, size_t err_len) {
  if (err && err_len > 0) {
    std::strncpy(err, st.message().c_str(), err_len - 1);
    err[err_len - 1] = '\0';
  }
  return (int)st.code();
}

golf::Status make_nccl_communicator(golf::train::Communicator* mpi, std::unique_ptr<golf::train::Communicator>* out) {
#ifdef GOLF_HAVE_NCCL
  golf::train_nccl::NcclSetup setup;
  GOLF_RETURN_IF_ERROR(golf::launch::launch_env_from_process(&setup.env));
  setup.mpi = mpi;
  std::unique_ptr<golf::train_nccl::NcclCommunicator> c;
  GOLF_RETURN_IF_ERROR(golf::train_nccl::NcclCommunicator::create(setup, &c));
  *out = std::move(c);
  return golf::Status::Ok();
#else
  (void)mpi;
  (void)out;
  return golf::Status(golf::StatusCode::unsupported,
                      "this CUDA trainer was built without NCCL, which several GPU ranks need: install NCCL "
                      "(libnccl-dev) and reconfigure, or train on one GPU");
#endif
}

}  // namespace

extern "C" {

__attribute__((visibility("default"))) const char* golf_train_cuda_abi() { return GOLF_TRAIN_CUDA_ABI; }

__attribute__((visibility("default"))) int golf_train_cuda_create(const golf::train::BackendSetup* setup,
                                                                  golf::train::TrainBackend** out, char* err,
                                                                  size_t err_len) {
  if (err && err_len > 0) err[0] = '\0';
  if (!setup || !out) return (int)golf::StatusCode::invalid_argument;
  std::unique_ptr<golf::train::TrainBackend> b;
  golf::Status st = golf::train_cuda::make_cuda_backend(*setup, &b);
  if (!st.ok()) return fail_with(st, err, err_len);
  *out = b.release();
  return 0;
}

__attribute__((visibility("default"))) int golf_train_cuda_communicator_create(golf::train::Communicator* mpi,
                                                                               golf::train::Communicator** out,
                                                                               char* err, size_t err_len) {
  if (err && err_len > 0) err[0] = '\0';
  if (!out) return (int)golf::StatusCode::invalid_argument;
  std::unique_ptr<golf::train::Communicator> c;
  golf::Status st = make_nccl_communicator(mpi, &c);
  if (!st.ok()) return fail_with(st, err, err_len);
  *out = c.release();
  return 0;
}

}  // extern "C"

// The signatures must be the ones golf-train casts the symbols to.
static_assert(std::is_same_v<decltype(&golf_train_cuda_abi), golf_train_cuda_abi_fn>);
static_assert(std::is_same_v<decltype(&golf_train_cuda_create), golf_train_cuda_create_fn>);
static_assert(std::is_same_v<decltype(&golf_train_cuda_communicator_create), golf_train_cuda_communicator_create_fn>);
