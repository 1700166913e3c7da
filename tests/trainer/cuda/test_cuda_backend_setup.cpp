// test_cuda_backend_setup.cpp: what make_cuda_backend (trainer/cuda/cuda_backend.h) decides before it touches a
// GPU, checked in CI where none is: refusals of a bad --precision, a bad --device, and several ranks over a
// communicator that has no device collectives (MPI's: the ranks need NCCL), each naming what to do; and, on a machine without a usable GPU, a refusal that
// says to use --backend cpu (on a machine with one, the backend is built). Links the CUDA runtime, runs no kernel.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "cuda/cuda_backend.h"  // defines: make_cuda_backend
#include "train/communicator.h" // defines: Communicator

using namespace golf;
using namespace golf::train;

namespace {

// Two ranks, as mpirun -np 2 would give; nothing is ever sent.
class TwoRanks final : public Communicator {
 public:
  int rank() const override { return 0; }
  int world_size() const override { return 2; }
  std::string describe() const override { return "fake, 2 ranks"; }
  Status all_reduce_sum(float*, size_t) override { return Status::Ok(); }
  Status all_reduce_sum(double*, size_t) override { return Status::Ok(); }
  Status all_reduce_max(double*, size_t) override { return Status::Ok(); }
  Status broadcast(void*, size_t, int) override { return Status::Ok(); }
  Status barrier() override { return Status::Ok(); }
  void abort_job(int) override {}
};

BackendSetup tiny_setup() {
  BackendSetup s;
  s.backend = "cuda";
  s.model.model_dim = 64;
  s.model.num_layers = 2;
  s.model.num_heads = 2;
  s.model.num_kv_heads = 1;
  s.model.mlp_hidden = 128;
  s.model.num_encoder_layers = 1;
  s.model.rope_dims = 32;
  s.model.max_seq_len = 64;
  s.seq_len = 64;
  s.train_rows = 2;
  s.eval_rows = 2;
  return s;
}

}  // namespace

TEST(CudaBackendSetup, RefusesABadPrecision) {
  BackendSetup s = tiny_setup();
  s.precision = "fp16";
  std::unique_ptr<TrainBackend> b;
  Status st = train_cuda::make_cuda_backend(s, &b);
  EXPECT_EQ(st.code(), StatusCode::invalid_argument);
  EXPECT_NE(st.message().find("fp16"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("bf16"), std::string::npos) << st.message();
  EXPECT_FALSE(b);
}

TEST(CudaBackendSetup, RefusesABadDevice) {
  for (const char* device : {"gpu0", "cuda:", "cuda:x", "cuda:-1", "cuda:12345"}) {
    BackendSetup s = tiny_setup();
    s.device = device;
    std::unique_ptr<TrainBackend> b;
    Status st = train_cuda::make_cuda_backend(s, &b);
    EXPECT_EQ(st.code(), StatusCode::invalid_argument) << device;
    EXPECT_NE(st.message().find(std::string("--device ") + device), std::string::npos) << st.message();
  }
}

TEST(CudaBackendSetup, SeveralRanksNeedTheNcclCommunicator) {
  TwoRanks comm;
  BackendSetup s = tiny_setup();
  s.comm = &comm;
  std::unique_ptr<TrainBackend> b;
  Status st = train_cuda::make_cuda_backend(s, &b);
  EXPECT_EQ(st.code(), StatusCode::unsupported);
  EXPECT_NE(st.message().find("needs the NCCL communicator"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("--gpus N"), std::string::npos) << st.message();
  EXPECT_FALSE(b);
}

TEST(CudaBackendSetup, WithoutAGpuSaysWhatToDo) {
  std::unique_ptr<TrainBackend> b;
  Status st = train_cuda::make_cuda_backend(tiny_setup(), &b);
  if (st.ok()) {
    EXPECT_EQ(b->name(), "cuda");  // a machine with a GPU
  } else {
    EXPECT_EQ(st.code(), StatusCode::unsupported) << st.message();
    EXPECT_NE(st.message().find("--backend cpu"), std::string::npos) << st.message();
  }
}
