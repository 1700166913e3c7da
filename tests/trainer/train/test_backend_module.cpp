// test_backend_module.cpp: golf-train's loader of the CUDA backend module (trainer/train/backend_module.h) in CI,
// with fake modules (fake_cuda_module.cpp): a module with this build's ABI tag is loaded and its backend used; one
// with another tag, a missing file and a library without the entry points are refused with messages that say what
// to do; a module's own error comes back as its Status. No GPU and no CUDA library is needed.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "backend_module.h"  // defines: backend_module_create, cuda_module_candidates

using namespace golf;
using namespace golf::train;

namespace {

Status load(const std::string& path, const std::string& device, std::unique_ptr<TrainBackend>* out) {
  BackendSetup s;
  s.backend = "cuda";
  s.device = device;
  return backend_module_create(path, s, out);
}

}  // namespace

TEST(BackendModule, LoadsAModuleWithThisAbi) {
  std::unique_ptr<TrainBackend> b;
  Status st = load(FAKE_MODULE_OK, "", &b);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->name(), "fake-cuda");
}

TEST(BackendModule, PassesTheModulesErrorBack) {
  std::unique_ptr<TrainBackend> b;
  Status st = load(FAKE_MODULE_OK, "fail", &b);
  EXPECT_EQ(st.code(), StatusCode::unsupported);
  EXPECT_EQ(st.message(), "fake module: no usable GPU");
  EXPECT_FALSE(b);
}

TEST(BackendModule, RefusesAnotherAbi) {
  std::unique_ptr<TrainBackend> b;
  Status st = load(FAKE_MODULE_OLD_ABI, "", &b);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("golf-train-cuda-0"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find(GOLF_TRAIN_CUDA_ABI), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("rebuild"), std::string::npos) << st.message();
  EXPECT_FALSE(b);
}

TEST(BackendModule, RefusesAMissingModule) {
  std::unique_ptr<TrainBackend> b;
  const std::string path = "/nonexistent/libgolf-train-cuda.so";
  Status st = load(path, "", &b);
  EXPECT_EQ(st.code(), StatusCode::unsupported);
  EXPECT_NE(st.message().find(path), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("--backend cpu"), std::string::npos) << st.message();
}

TEST(BackendModule, RefusesALibraryWithoutTheEntryPoints) {
  std::unique_ptr<TrainBackend> b;
  Status st = load("libm.so.6", "", &b);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("not a golf CUDA trainer module"), std::string::npos) << st.message();
}

TEST(BackendModule, EnvironmentChoosesTheModule) {
  setenv("GOLF_TRAIN_CUDA_MODULE", "/tmp/x.so", 1);
  std::vector<std::string> c = cuda_module_candidates();
  unsetenv("GOLF_TRAIN_CUDA_MODULE");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0], "/tmp/x.so");
  EXPECT_EQ(cuda_module_candidates().back(), GOLF_TRAIN_CUDA_MODULE);
}

// The communicator of GPU ranks comes from the module named by GOLF_TRAIN_CUDA_MODULE (the only candidate then).
TEST(BackendModule, CommunicatorFromTheModule) {
  setenv("GOLF_TRAIN_CUDA_MODULE", FAKE_MODULE_OK, 1);
  std::unique_ptr<Communicator> comm;
  Status st = cuda_communicator_create(nullptr, &comm);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_TRUE(comm);
  EXPECT_EQ(comm->world_size(), 1);

  setenv("FAKE_COMM_FAIL", "1", 1);
  comm.reset();
  st = cuda_communicator_create(nullptr, &comm);
  unsetenv("FAKE_COMM_FAIL");
  EXPECT_EQ(st.code(), StatusCode::io_error);
  EXPECT_EQ(st.message(), "fake module: NCCL bootstrap failed");
  EXPECT_FALSE(comm);

  setenv("GOLF_TRAIN_CUDA_MODULE", FAKE_MODULE_OLD_ABI, 1);
  st = cuda_communicator_create(nullptr, &comm);
  EXPECT_NE(st.message().find("rebuild"), std::string::npos) << st.message();

  setenv("GOLF_TRAIN_CUDA_MODULE", "/nonexistent/libgolf-train-cuda.so", 1);
  st = cuda_communicator_create(nullptr, &comm);
  unsetenv("GOLF_TRAIN_CUDA_MODULE");
  EXPECT_EQ(st.code(), StatusCode::unsupported);
  EXPECT_NE(st.message().find("cannot load"), std::string::npos) << st.message();
}
