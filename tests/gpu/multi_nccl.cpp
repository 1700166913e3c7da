// multi_nccl.cpp: the self-test's "multi/nccl" part (built where NCCL is found): a one-rank NcclCommunicator
// (NCCL refuses two ranks on one GPU, so more ranks need the 8-GPU machine) through every call the trainer makes:
// the bucketed fp32 average of the baseline's gradient layout (each bucket after an event on a compute stream; one
// rank's average is the identity, so the bits must come back unchanged and every float must be written exactly
// where its bucket says), the bf16 all-gather, and the host collectives staged through device memory.
#include <cstring>
#include <memory>
#include <vector>

#include "device_buffers.h"              // defines: DeviceBuffer, to_device, to_host
#include "nccl_communicator.h"           // defines: NcclCommunicator
#include "params/grad_bucket_plan.h"     // defines: grad_bucket_plan_build
#include "selftest.h"                    // defines: SelftestRegistrar, fill_normal, bits_equal

namespace golf::gpu_test {

namespace {

CheckResult row(const std::string& name, const std::string& shape, bool pass, const std::string& note = "") {
  CheckResult r;
  r.part = "multi";
  r.name = name;
  r.shape = shape;
  r.pass = pass;
  r.note = note;
  return r;
}

Status run_nccl(const SelftestOptions& opt, std::vector<CheckResult>* out) {
  train_nccl::NcclSetup setup;  // env: one rank, no launcher
  std::unique_ptr<train_nccl::NcclCommunicator> comm;
  GOLF_RETURN_IF_ERROR(train_nccl::NcclCommunicator::create(setup, &comm));
  out->push_back(row("nccl init (one rank)", "", comm->world_size() == 1 && comm->rank() == 0, comm->describe()));

  // Bucketed average of the baseline layout's gradients, each bucket after its own event on a compute stream.
  train_cpu::ParamLayout layout;
  GOLF_RETURN_IF_ERROR(train_cpu::param_layout_build(ModelConfig(), &layout));
  train_cpu::GradBucketPlan plan;
  GOLF_RETURN_IF_ERROR(train_cpu::grad_bucket_plan_build(layout, &plan));
  std::vector<float> grads(layout.total);
  fill_normal(&grads, opt.seed, 1e-3f);
  DeviceBuffer d_grads;
  GOLF_RETURN_IF_ERROR(to_device<float>(&d_grads, grads));
  cudaStream_t compute = nullptr;
  GOLF_CUDA_CHECK(cudaStreamCreateWithFlags(&compute, cudaStreamNonBlocking));
  std::vector<cudaEvent_t> ready(plan.buckets.size());
  for (cudaEvent_t& e : ready) GOLF_CUDA_CHECK(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
  for (size_t k = 0; k < plan.buckets.size(); k++) {
    GOLF_CUDA_CHECK(cudaEventRecord(ready[k], compute));
    GOLF_RETURN_IF_ERROR(comm->all_reduce_avg_bucket(d_grads.as<float>(), plan.buckets[k], ready[k]));
  }
  GOLF_RETURN_IF_ERROR(comm->join(compute));
  GOLF_CUDA_CHECK(cudaStreamSynchronize(compute));
  std::vector<float> back;
  std::vector<unsigned char> raw;
  GOLF_RETURN_IF_ERROR(to_host<float>(d_grads, &back, &raw));
  out->push_back(row("all_reduce_avg_bucket x" + std::to_string(plan.buckets.size()),
                     std::to_string(layout.total) + " floats", bits_equal(raw.data(), grads.data(), raw.size()),
                     "one rank: the average must be the identity"));
  GOLF_RETURN_IF_ERROR(comm->check_async());

  // bf16 all-gather of one rank: recv == send.
  std::vector<float> upd(4096 + 7);
  fill_normal(&upd, opt.seed + 1, 1.0f);
  DeviceBuffer d_send, d_recv;
  GOLF_RETURN_IF_ERROR(to_device<train_cuda::bf16>(&d_send, upd));
  GOLF_RETURN_IF_ERROR(d_recv.alloc(d_send.bytes));
  GOLF_RETURN_IF_ERROR(d_recv.poison());
  GOLF_RETURN_IF_ERROR(comm->all_gather_bytes(d_send.p, d_recv.p, upd.size() * 2, nullptr));
  GOLF_RETURN_IF_ERROR(comm->join(compute));
  GOLF_CUDA_CHECK(cudaStreamSynchronize(compute));
  std::vector<float> a, b;
  std::vector<unsigned char> ra, rb;
  GOLF_RETURN_IF_ERROR(to_host<train_cuda::bf16>(d_send, &a, &ra));
  GOLF_RETURN_IF_ERROR(to_host<train_cuda::bf16>(d_recv, &b, &rb));
  out->push_back(row("all_gather_bytes (bf16)", std::to_string(upd.size()) + " bf16", ra == rb));

  // Host collectives through the staging buffer, larger than it (chunks): identities for one rank.
  std::vector<float> hf(300000);
  fill_normal(&hf, opt.seed + 2, 1.0f);
  std::vector<float> hf0 = hf;
  GOLF_RETURN_IF_ERROR(comm->all_reduce_sum(hf.data(), hf.size()));
  std::vector<double> hd = {1.5, -2.25, 3e300};
  GOLF_RETURN_IF_ERROR(comm->all_reduce_max(hd.data(), hd.size()));
  std::vector<unsigned char> bytes(5000);
  for (size_t i = 0; i < bytes.size(); i++) bytes[i] = (unsigned char)(i * 13);
  std::vector<unsigned char> bytes0 = bytes;
  GOLF_RETURN_IF_ERROR(comm->broadcast(bytes.data(), bytes.size(), 0));
  GOLF_RETURN_IF_ERROR(comm->barrier());
  const bool host_ok = hf == hf0 && hd == std::vector<double>({1.5, -2.25, 3e300}) && bytes == bytes0 &&
                       !comm->broadcast(bytes.data(), 1, 1).ok();
  out->push_back(row("host collectives (staged)", "300000 fp32, 3 fp64, 5000 bytes", host_ok,
                     "sum/max/broadcast identities; root 1 refused"));
  // The watchdog: quiet through all of the above (a 1 s timeout, far above these collectives); after an abort
  // (what it does to a hung communicator) every collective is refused instead of touching the freed communicator.
  comm->set_collective_timeout(1);
  GOLF_RETURN_IF_ERROR(comm->barrier());
  comm->abort_job(1);
  const Status after = comm->barrier();
  out->push_back(row("watchdog quiet, then abort", "barrier after ncclCommAbort", !after.ok(),
                     after.ok() ? "a collective ran on an aborted communicator" : after.message()));
  for (cudaEvent_t e : ready) cudaEventDestroy(e);
  cudaStreamDestroy(compute);
  return Status::Ok();
}

const SelftestRegistrar kRegisterNccl("multi/nccl", 25, run_nccl);

}  // namespace

}  // namespace golf::gpu_test
