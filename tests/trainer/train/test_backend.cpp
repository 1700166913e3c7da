// test_backend.cpp: the backend seam of golf-train (trainer/train/backend.h): the CPU backend gives the same bits
// as the trainer/cpu calls the loop made before it existed; "cuda" is refused in a build without the CUDA trainer;
// the EMA weights follow their formula (checked against a hand computation), start when asked, leave no trace when
// off, and survive a checkpoint bit for bit; a memory plan larger than the machine is refused with the flags that
// lower it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "backend.h"
#include "checkpoint.h"
#include "communicator.h"
#include "cpu/matmul.h"
#include "cpu/model.h"
#include "cpu/optimizer.h"
#include "cpu/params.h"
#include "cpu_backend.h"

using namespace golf;
using namespace golf::train;
namespace fs = std::filesystem;

namespace {

constexpr int kT = 16, kRows = 2, kMicro = 2;

ModelConfig tiny_config() {
  ModelConfig c;
  c.vocab_size = 64;
  c.model_dim = 32;
  c.num_layers = 2;
  c.num_heads = 2;
  c.num_kv_heads = 1;
  c.mlp_hidden = 64;
  c.rope_dims = 16;
  c.num_encoder_layers = 1;
  c.max_seq_len = kT;
  return c;
}

BackendSetup tiny_setup(Communicator* comm, float ema_decay = 0, int64_t ema_start = 0) {
  BackendSetup s;
  s.model = tiny_config();
  s.seq_len = kT;
  s.train_rows = kRows;
  s.eval_rows = kRows;
  s.ema_decay = ema_decay;
  s.ema_start_step = ema_start;
  s.comm = comm;
  return s;
}

// Step k's micro-batches: (kMicro, kRows, kT) ids and their next-token targets, different for every step.
struct Batch {
  std::vector<int32_t> x, y;
  StepBatch view() const { return StepBatch{x.data(), y.data(), kMicro, kRows, kT}; }
};
Batch make_batch(int k) {
  Batch b;
  const size_t n = (size_t)kMicro * kRows * kT;
  for (size_t i = 0; i <= n; i++) b.x.push_back((int32_t)((i * 7919 + (size_t)k * 104729) % 64));
  b.y.assign(b.x.begin() + 1, b.x.end());
  b.x.pop_back();
  return b;
}

std::unique_ptr<TrainBackend> make_backend(const BackendSetup& s) {
  train_cpu::threads_init(1);
  std::unique_ptr<TrainBackend> b;
  Status st = make_train_backend(s, &b);
  EXPECT_TRUE(st.ok()) << st.message();
  if (b) {
    EXPECT_TRUE(b->init_params(7, train_cpu::InitOptions()).ok());
  }
  return b;
}

std::vector<float> host(TrainBackend* b, bool ema) {
  std::vector<float> v(b->layout().total);
  EXPECT_TRUE(b->params_to_host(v.data(), ema).ok());
  return v;
}

void step(TrainBackend* b, int k) {
  const Batch batch = make_batch(k);
  double loss = 0;
  Status st = b->train_step(batch.view(), 1.0, k, &loss, nullptr);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_TRUE(std::isfinite(loss));
}

TEST(Backend, CpuIsBitIdenticalToTheDirectTrainerCalls) {
  auto comm = make_single_process_communicator();
  auto b = make_backend(tiny_setup(comm.get()));
  ASSERT_TRUE(b);
  // The same three steps as the loop made them before the backend existed (train_loop.cpp at 17f7561).
  train_cpu::ParamStore ps;
  train_cpu::OptimizerState opt;
  train_cpu::Activations acts;
  ASSERT_TRUE(train_cpu::param_store_init(tiny_config(), &ps).ok());
  train_cpu::params_init(&ps, 7);
  ASSERT_TRUE(train_cpu::optimizer_init(ps.layout, train_cpu::OptimizerConfig(), &opt).ok());
  ASSERT_TRUE(train_cpu::activations_init(tiny_config(), kRows, kT, &acts, true).ok());
  for (int k = 0; k < 3; k++) {
    step(b.get(), k);
    const Batch batch = make_batch(k);
    train_cpu::param_store_zero_grads(&ps);
    for (int m = 0; m < kMicro; m++) {
      double loss = 0;
      const size_t off = (size_t)m * kRows * kT;
      ASSERT_TRUE(
          train_cpu::model_forward(ps, &acts, batch.x.data() + off, batch.y.data() + off, kRows, kT, &loss).ok());
      ASSERT_TRUE(train_cpu::model_backward(&ps, &acts, 1.0f / kMicro).ok());
    }
    ASSERT_TRUE(train_cpu::optimizer_step(&opt, &ps, 1.0f, k).ok());
  }
  const std::vector<float> p = host(b.get(), false);
  EXPECT_EQ(std::memcmp(p.data(), ps.params, p.size() * sizeof(float)), 0);
  // EMA off: the "EMA weights" are the parameters, and checkpoints hold no ema.* tensors.
  EXPECT_EQ(host(b.get(), true), p);
  std::vector<train_cpu::TensorRef> refs;
  std::map<std::string, std::string> md;
  ASSERT_TRUE(b->checkpoint_refs(&refs, &md).ok());
  for (const train_cpu::TensorRef& r : refs) EXPECT_NE(r.name.compare(0, 4, "ema."), 0) << r.name;
  EXPECT_EQ(md["golf.adam_step"], "3");
  EXPECT_EQ(md["golf.backend"], "cpu");
}

TEST(Backend, CudaWithoutAGpuOrModuleIsRefused) {
  auto comm = make_single_process_communicator();
  BackendSetup s = tiny_setup(comm.get());
  s.backend = "cuda";
  std::unique_ptr<TrainBackend> b;
  Status st = make_train_backend(s, &b);
  if (!cuda_backend_built()) {
    EXPECT_FALSE(st.ok());
    EXPECT_NE(st.message().find("golf-train was built without the CUDA trainer"), std::string::npos) << st.message();
    EXPECT_FALSE(b);
  } else if (!st.ok()) {
    // The module loads (it is built beside golf-train) and refuses where no GPU is usable, saying what to do.
    EXPECT_NE(st.message().find("--backend cpu"), std::string::npos) << st.message();
    EXPECT_FALSE(b);
  } else {
    EXPECT_EQ(b->name(), "cuda");  // a machine with a GPU
  }
}

TEST(Backend, StopBetweenMicroBatchesChangesNothing) {
  auto comm = make_single_process_communicator();
  auto b = make_backend(tiny_setup(comm.get()));
  ASSERT_TRUE(b);
  const std::vector<float> before = host(b.get(), false);
  const Batch batch = make_batch(0);
  double loss = 0;
  Status st = b->train_step(batch.view(), 1.0, 0, &loss, [] { return true; });
  EXPECT_EQ(st.code(), StatusCode::cancelled);
  EXPECT_EQ(host(b.get(), false), before);
}

TEST(Ema, UpdateIsTheFormulaElementByElement) {
  float ema[3] = {1.0f, 2.0f, -4.0f};
  const float param[3] = {3.0f, -2.0f, 4.0f};
  ema_update(ema, param, 3, 0.75f);  // 0.75·e + 0.25·p, exact in binary
  EXPECT_EQ(ema[0], 1.5f);
  EXPECT_EQ(ema[1], 1.0f);
  EXPECT_EQ(ema[2], -2.0f);
}

TEST(Ema, FollowsAHandComputationOverTwoSteps) {
  auto comm = make_single_process_communicator();
  const double d = 0.9;
  auto b = make_backend(tiny_setup(comm.get(), (float)d));
  ASSERT_TRUE(b);
  const std::vector<float> p0 = host(b.get(), false);
  EXPECT_EQ(host(b.get(), true), p0);  // starts at the initial parameters
  step(b.get(), 0);
  const std::vector<float> p1 = host(b.get(), false);
  step(b.get(), 1);
  const std::vector<float> p2 = host(b.get(), false), e2 = host(b.get(), true);
  // e2 = d·(d·p0 + (1−d)·p1) + (1−d)·p2, in double; fp32 rounds each term to ~6e-8 of its size.
  size_t moved = 0;
  for (size_t i = 0; i < p0.size(); i++) {
    const double want = d * d * p0[i] + d * (1 - d) * p1[i] + (1 - d) * p2[i];
    const double scale = std::fabs(p0[i]) + std::fabs(p1[i]) + std::fabs(p2[i]);
    ASSERT_NEAR(e2[i], want, 1e-6 * scale + 1e-12) << i;
    if (p2[i] != p0[i]) moved++;
  }
  EXPECT_GT(moved, p0.size() / 2);  // the check saw real updates, not a constant
  EXPECT_NE(e2, p2);
}

TEST(Ema, CopiesTheParametersUntilTheStartStep) {
  auto comm = make_single_process_communicator();
  const float d = 0.5f;
  auto b = make_backend(tiny_setup(comm.get(), d, 2));
  ASSERT_TRUE(b);
  step(b.get(), 0);
  EXPECT_EQ(host(b.get(), true), host(b.get(), false));
  step(b.get(), 1);
  const std::vector<float> p2 = host(b.get(), false);
  EXPECT_EQ(host(b.get(), true), p2);
  step(b.get(), 2);
  const std::vector<float> p3 = host(b.get(), false), e3 = host(b.get(), true);
  for (size_t i = 0; i < p3.size(); i++) ASSERT_EQ(e3[i], d * p2[i] + (1.0f - d) * p3[i]) << i;
}

TEST(Ema, CheckpointRoundTripIsBitExact) {
  auto comm = make_single_process_communicator();
  const BackendSetup s = tiny_setup(comm.get(), 0.95f);
  auto a = make_backend(s);
  ASSERT_TRUE(a);
  for (int k = 0; k < 3; k++) step(a.get(), k);
  const fs::path dir = fs::temp_directory_path() / ("golf_backend_test_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  std::vector<train_cpu::TensorRef> refs;
  std::map<std::string, std::string> md;
  ASSERT_TRUE(a->checkpoint_refs(&refs, &md).ok());
  size_t ema_tensors = 0;
  for (const train_cpu::TensorRef& r : refs) ema_tensors += r.name.compare(0, 4, "ema.") == 0;
  EXPECT_EQ(ema_tensors, a->layout().tensors.size());
  CheckpointMeta meta;
  meta.step = 3;
  std::string path;
  ASSERT_TRUE(checkpoint_write(dir.string(), a->layout().config, refs, md, meta, 1, &path).ok());
  train_cpu::TensorFile file;
  CheckpointMeta read_meta;
  Status st = checkpoint_read(path, &file, &read_meta);
  ASSERT_TRUE(st.ok()) << st.message();

  auto b = make_backend(s);
  ASSERT_TRUE(b);
  ASSERT_TRUE(b->checkpoint_load(file).ok());
  EXPECT_EQ(host(b.get(), true), host(a.get(), true));
  // Continuing both: the same bits (the optimizer state came back too).
  step(a.get(), 3);
  step(b.get(), 3);
  EXPECT_EQ(host(b.get(), false), host(a.get(), false));
  EXPECT_EQ(host(b.get(), true), host(a.get(), true));

  // An EMA run cannot resume from a checkpoint without EMA weights.
  auto plain = make_backend(tiny_setup(comm.get()));
  std::vector<train_cpu::TensorRef> plain_refs;
  std::map<std::string, std::string> plain_md;
  ASSERT_TRUE(plain->checkpoint_refs(&plain_refs, &plain_md).ok());
  ASSERT_TRUE(checkpoint_write(dir.string(), plain->layout().config, plain_refs, plain_md, meta, 1, &path).ok());
  ASSERT_TRUE(checkpoint_read(path, &file, &read_meta).ok());
  st = b->checkpoint_load(file);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("no EMA weights"), std::string::npos) << st.message();
  fs::remove_all(dir);
}

TEST(Memory, PlanCountsEveryRegionAndARefusalNamesTheFlags) {
  auto comm = make_single_process_communicator();
  train_cpu::threads_init(1);
  BackendSetup s = tiny_setup(comm.get(), 0.9f);
  MemoryReport plan = cpu_backend_memory_plan(s);
  train_cpu::ParamLayout layout;
  ASSERT_TRUE(train_cpu::param_layout_build(s.model, &layout).ok());
  auto bytes_of = [&](const std::string& name) {
    for (const MemoryItem& i : plan.items)
      if (i.name == name) return i.bytes;
    return size_t(0);
  };
  EXPECT_EQ(bytes_of("weights"), layout.total * 4);
  EXPECT_EQ(bytes_of("ema"), layout.total * 4);
  EXPECT_EQ(bytes_of("activations"), train_cpu::activations_bytes(s.model, kRows, kT, true));
  train_cpu::Activations acts;
  ASSERT_TRUE(train_cpu::activations_init(s.model, kRows, kT, &acts, true).ok());
  EXPECT_EQ(bytes_of("activations"), acts.mem.size());

  plan.available = plan.total() - 1;  // one byte short
  Status st = check_memory_plan(plan, 1, false);
  ASSERT_FALSE(st.ok());
  for (const char* flag : {"--train-batch-tokens", "--grad-accum", "--val-batch-tokens", "--force"})
    EXPECT_NE(st.message().find(flag), std::string::npos) << flag << ": " << st.message();
  EXPECT_TRUE(check_memory_plan(plan, 1, true).ok());           // forced
  plan.available = plan.total();
  EXPECT_TRUE(check_memory_plan(plan, 1, false).ok());          // fits exactly
  EXPECT_FALSE(check_memory_plan(plan, 2, false).ok());         // two ranks on this machine do not
  EXPECT_GT(host_memory_available(), 0u);                       // Linux: /proc/meminfo

  // A plan far beyond any machine is refused by make_train_backend itself, before allocating.
  s.train_rows = 1 << 30;
  std::unique_ptr<TrainBackend> b;
  st = make_train_backend(s, &b);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("the memory plan does not fit"), std::string::npos) << st.message();
}

}  // namespace
