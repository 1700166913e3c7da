// cuda_module.cpp: the C entry points of libgolf-train-cuda.so (trainer/train/backend_module.h), the shared module
// golf-train dlopens only when --backend cuda is asked: the ABI tag of this build, and the factory of the backend.
#include <cstring>
#include <memory>
#include <type_traits>

#include "cuda_backend.h"          // defines: make_cuda_backend
#include "train/backend_module.h"  // defines: GOLF_TRAIN_CUDA_ABI, golf_train_cuda_*_fn

extern "C" {

__attribute__((visibility("default"))) const char* golf_train_cuda_abi() { return GOLF_TRAIN_CUDA_ABI; }

__attribute__((visibility("default"))) int golf_train_cuda_create(const golf::train::BackendSetup* setup,
                                                                  golf::train::TrainBackend** out, char* err,
                                                                  size_t err_len) {
  if (err && err_len > 0) err[0] = '\0';
  if (!setup || !out) return (int)golf::StatusCode::invalid_argument;
  std::unique_ptr<golf::train::TrainBackend> b;
  golf::Status st = golf::train_cuda::make_cuda_backend(*setup, &b);
  if (!st.ok()) {
    if (err && err_len > 0) {
      std::strncpy(err, st.message().c_str(), err_len - 1);
      err[err_len - 1] = '\0';
    }
    return (int)st.code();
  }
  *out = b.release();
  return 0;
}

}  // extern "C"

// The signatures must be the ones golf-train casts the symbols to.
static_assert(std::is_same_v<decltype(&golf_train_cuda_abi), golf_train_cuda_abi_fn>);
static_assert(std::is_same_v<decltype(&golf_train_cuda_create), golf_train_cuda_create_fn>);
