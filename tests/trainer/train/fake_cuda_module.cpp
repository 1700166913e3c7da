// fake_cuda_module.cpp: stand-ins for libgolf-train-cuda.so in CI (no GPU): the same C entry points as
// trainer/cuda/cuda_module.cpp, built twice: with this build's ABI tag (FAKE_ABI unset), whose factory returns a
// backend named "fake-cuda" (or, for setup.device "fail", the error a module reports) and whose communicator factory
// returns a single-process communicator (or, with FAKE_COMM_FAIL set in the environment, the module's error), and
// with another tag, which golf-train must refuse before calling anything else.
#include <cstdlib>
#include <cstring>

#include "backend_module.h"  // defines: GOLF_TRAIN_CUDA_ABI, BackendSetup, TrainBackend

#ifndef FAKE_ABI
#define FAKE_ABI GOLF_TRAIN_CUDA_ABI
#endif

namespace {

using namespace golf;
using namespace golf::train;

class FakeBackend final : public TrainBackend {
 public:
  std::string name() const override { return "fake-cuda"; }
  std::string describe() const override { return "fake module"; }
  const train_cpu::ParamLayout& layout() const override { return layout_; }
  MemoryReport memory() const override { return MemoryReport{}; }
  Status init_params(uint64_t, const train_cpu::InitOptions&) override { return no(); }
  Status train_step(const StepBatch&, double, int64_t, double*, bool (*)()) override { return no(); }
  Status eval_nll(const int32_t*, const int32_t*, int, int, float*, bool) override { return no(); }
  Status params_to_host(float*, bool) override { return no(); }
  Status checkpoint_refs(std::vector<train_cpu::TensorRef>*, std::map<std::string, std::string>*) override {
    return no();
  }
  Status checkpoint_load(const train_cpu::TensorFile&) override { return no(); }

 private:
  static Status no() { return Status(StatusCode::unsupported, "fake"); }
  train_cpu::ParamLayout layout_;
};

}  // namespace

extern "C" {

__attribute__((visibility("default"))) const char* golf_train_cuda_abi() { return FAKE_ABI; }

__attribute__((visibility("default"))) int golf_train_cuda_create(const BackendSetup* setup, TrainBackend** out,
                                                                  char* err, size_t err_len) {
  if (setup->device == "fail") {
    std::strncpy(err, "fake module: no usable GPU", err_len - 1);
    err[err_len - 1] = '\0';
    return (int)StatusCode::unsupported;
  }
  *out = new FakeBackend();
  return 0;
}

__attribute__((visibility("default"))) int golf_train_cuda_communicator_create(Communicator*, Communicator** out,
                                                                               char* err, size_t err_len) {
  if (std::getenv("FAKE_COMM_FAIL")) {
    std::strncpy(err, "fake module: NCCL bootstrap failed", err_len - 1);
    err[err_len - 1] = '\0';
    return (int)StatusCode::io_error;
  }
  *out = make_single_process_communicator().release();
  return 0;
}

}  // extern "C"
