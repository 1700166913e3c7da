// nccl_communicator.h: data parallelism across GPUs with NCCL, one process per GPU (cuda-trainer.md §2). It is the
// golf-train Communicator (host control plane: clock MAX, stop flags, validation sums, broadcasts), staged through
// a small device buffer, and it carries the device data plane: the fp32 gradient average in per-layer buckets
// (grad_bucket_plan.h) and the all-gather of sharded Muon's bf16 updates, both on its own stream, ordered after the
// compute stream by events, so the all-reduce hides behind the backward. Bootstrap: rank 0's ncclUniqueId travels
// through MPI (broadcast, then a barrier before ncclCommInitRank) under mpirun/srun with PMI, else over TCP to
// MASTER_ADDR:MASTER_PORT (tcp_bootstrap.h). The local rank picks the device. Built only where NCCL is found; the
// one-GPU trainer does not depend on it.
#pragma once
#include <cuda_runtime_api.h>
#include <nccl.h>

#include <memory>
#include <mutex>
#include <string>

#include "collective_watchdog.h"      // defines: CollectiveWatchdog
#include "communicator.h"             // defines: Communicator
#include "cuda/device_collectives.h"  // defines: DeviceCollectives
#include "launch_env.h"               // defines: LaunchEnv
#include "params/grad_bucket_plan.h"  // defines: GradBucket
#include "status.h"                   // defines: Status

namespace golf::train_nccl {

struct NcclSetup {
  launch::LaunchEnv env;                   // who this rank is (launch_env_from_process)
  train::Communicator* mpi = nullptr;      // carries the id when env.mpi_bootstrap(); not owned
  double bootstrap_timeout_seconds = 300;  // TCP bootstrap: how long rank 0 waits for the others
  double collective_timeout_seconds = 600; // the watchdog: how long a collective may wait (0: forever)
  size_t staging_bytes = 1 << 20;          // device buffer of the host collectives
};

class NcclCommunicator final : public train::Communicator, public train_cuda::DeviceCollectives {
 public:
  // Selects the device (cudaSetDevice(local rank)), exchanges the id, creates the communicator and its stream.
  static Status create(const NcclSetup& setup, std::unique_ptr<NcclCommunicator>* out);
  ~NcclCommunicator() override;

  // ---- Communicator: synchronous host collectives through the staging buffer ----
  int rank() const override { return rank_; }
  int world_size() const override { return world_; }
  std::string describe() const override;
  Status all_reduce_sum(float* data, size_t count) override;
  Status all_reduce_sum(double* data, size_t count) override;
  Status all_reduce_max(double* data, size_t count) override;
  Status broadcast(void* data, size_t bytes, int root) override;
  Status barrier() override;
  // Aborts this rank's NCCL communicator, so the peers' next collective fails (NCCL reports the lost rank)
  // instead of hanging; the caller then exits.
  void abort_job(int exit_code) override;
  // The watchdog's timeout from now on (0: forever).
  void set_collective_timeout(double seconds) override;

  // ---- DeviceCollectives: the device data plane, asynchronous on comm_stream() ----
  int device() const override { return device_; }
  cudaStream_t comm_stream() const { return stream_; }
  // Once `ready` has fired (recorded on the compute stream after the bucket's backward), grads[b.begin, b.end)
  // becomes its average over the ranks (fp32, ncclAvg). `ready` may be null (no wait).
  Status all_reduce_avg_bucket(float* grads, const train_cpu::GradBucket& b, cudaEvent_t ready) override;
  // Once `ready` has fired: recv (world · bytes) gets every rank's `bytes` bytes of send, in rank order (sharded
  // Muon's updates: bf16, or fp32 under --precision fp32).
  Status all_gather_bytes(const void* send, void* recv, size_t bytes, cudaEvent_t ready) override;
  // `stream` waits for all work queued on the comm stream so far (no host synchronisation).
  Status join(cudaStream_t stream) override;
  // NCCL's asynchronous error state (a peer that died or a network failure), as a Status naming the rank.
  Status check_async();

 private:
  NcclCommunicator() = default;
  // Under nccl_mu_, before every NCCL call: the watchdog's verdict once it has aborted the communicator.
  Status usable() const;
  // Under nccl_mu_, after every queued collective: the marker the watchdog polls, and its clock.
  Status watch(const std::string& what);
  void start_watchdog(double timeout_seconds);
  Status host_collective(void* data, size_t count, size_t elem_bytes, ncclDataType_t type, ncclRedOp_t op,
                         int root, const char* what);
  Status nccl_status(ncclResult_t r, const std::string& what) const;

  int rank_ = 0, world_ = 1, device_ = 0;
  ncclComm_t comm_ = nullptr;
  cudaStream_t stream_ = nullptr;
  cudaEvent_t done_ = nullptr;
  void* staging_ = nullptr;
  size_t staging_bytes_ = 0;
  std::string bootstrap_;  // "MPI" or "TCP 10.0.0.1:29500"
  // comm_ is used by this rank's thread and aborted by the watchdog's: every NCCL call holds nccl_mu_.
  mutable std::mutex nccl_mu_;
  cudaEvent_t watched_ = nullptr;  // recorded on stream_ after each collective (the watchdog's marker)
  std::unique_ptr<launch::CollectiveWatchdog> watchdog_;  // after the members its hooks use
};

}  // namespace golf::train_nccl
