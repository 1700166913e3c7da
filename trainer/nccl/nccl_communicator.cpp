// nccl_communicator.cpp: bootstrap, host collectives staged through device memory, and the bucketed device
// collectives of nccl_communicator.h. Every NCCL error names this rank, the collective and NCCL's own message.
#include "nccl_communicator.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <thread>

#include "cuda_common.h"    // defines: GOLF_CUDA_CHECK
#include "tcp_bootstrap.h"  // defines: tcp_broadcast_blob

namespace golf::train_nccl {

Status NcclCommunicator::nccl_status(ncclResult_t r, const std::string& what) const {
  if (r == ncclSuccess || r == ncclInProgress) return Status::Ok();
  std::string text = "NCCL rank " + std::to_string(rank_) + " of " + std::to_string(world_) + ": " + what + ": " +
                     ncclGetErrorString(r);
  const char* last = ncclGetLastError(comm_);
  if (last && *last) text += " (" + std::string(last) + ")";
  return Status(StatusCode::io_error, text);
}

Status NcclCommunicator::create(const NcclSetup& setup, std::unique_ptr<NcclCommunicator>* out) {
  std::unique_ptr<NcclCommunicator> c(new NcclCommunicator());
  const launch::LaunchEnv& env = setup.env;
  c->rank_ = env.rank;
  c->world_ = env.world_size;
  int devices = 0;
  const cudaError_t e = cudaGetDeviceCount(&devices);
  if (e != cudaSuccess || devices == 0)
    return Status(StatusCode::unsupported,
                  "rank " + std::to_string(env.rank) + " of " + std::to_string(env.world_size) + ": no usable GPU (" +
                      (e != cudaSuccess ? cudaGetErrorString(e) : "no device") +
                      "); every rank of a multi-GPU run needs its own GPU (or train on the CPU: --backend cpu)");
  GOLF_RETURN_IF_ERROR(launch::local_device_index(env, devices, &c->device_));
  GOLF_CUDA_CHECK(cudaSetDevice(c->device_));
  ncclUniqueId id{};
  if (c->rank_ == 0) GOLF_RETURN_IF_ERROR(c->nccl_status(ncclGetUniqueId(&id), "ncclGetUniqueId"));
  if (c->world_ > 1) {
    if (env.mpi_bootstrap() && setup.mpi) {
      c->bootstrap_ = "MPI";
      GOLF_RETURN_IF_ERROR(setup.mpi->broadcast(&id, sizeof id, 0).prefix("NCCL bootstrap: "));
      // Some MPI stacks (HCOLL) progress the broadcast lazily and deadlock inside the blocking init without it.
      GOLF_RETURN_IF_ERROR(setup.mpi->barrier().prefix("NCCL bootstrap: "));
    } else {
      c->bootstrap_ = "TCP " + env.master_addr + ":" + std::to_string(env.master_port);
      GOLF_RETURN_IF_ERROR(launch::tcp_broadcast_blob(env, &id, sizeof id, setup.bootstrap_timeout_seconds)
                               .prefix("NCCL bootstrap: "));
    }
  } else {
    c->bootstrap_ = "none (one rank)";
  }
  GOLF_RETURN_IF_ERROR(c->nccl_status(ncclCommInitRank(&c->comm_, c->world_, id, c->rank_), "ncclCommInitRank"));
  GOLF_CUDA_CHECK(cudaStreamCreateWithFlags(&c->stream_, cudaStreamNonBlocking));
  GOLF_CUDA_CHECK(cudaEventCreateWithFlags(&c->done_, cudaEventDisableTiming));
  GOLF_CUDA_CHECK(cudaEventCreateWithFlags(&c->watched_, cudaEventDisableTiming));
  c->staging_bytes_ = std::max<size_t>(setup.staging_bytes, 256);
  GOLF_CUDA_CHECK(cudaMalloc(&c->staging_, c->staging_bytes_));
  c->start_watchdog(setup.collective_timeout_seconds);
  *out = std::move(c);
  return Status::Ok();
}

void NcclCommunicator::start_watchdog(double timeout_seconds) {
  launch::CollectiveWatchdog::Hooks h;
  // The hooks take nccl_mu_ with try_lock: a rank thread stuck for seconds inside an NCCL call must not stall the
  // watchdog (the error poll skips a turn; the abort goes ahead after 5 s, since that thread will not return).
  h.async_error = [this]() -> std::string {
    std::unique_lock<std::mutex> lock(nccl_mu_, std::try_to_lock);
    if (!lock || !comm_) return "";
    ncclResult_t async = ncclSuccess;
    if (ncclCommGetAsyncError(comm_, &async) != ncclSuccess || async == ncclSuccess || async == ncclInProgress)
      return "";
    return std::string("NCCL asynchronous error: ") + ncclGetErrorString(async) +
           " (a peer rank failed or the network broke)";
  };
  h.queued_work_done = [this] {
    cudaSetDevice(device_);  // the watchdog's thread starts on device 0
    return cudaEventQuery(watched_) != cudaErrorNotReady;
  };
  h.abort = [this] {
    std::unique_lock<std::mutex> lock(nccl_mu_, std::defer_lock);
    for (int i = 0; i < 500 && !lock.try_lock(); i++) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (comm_) ncclCommAbort(comm_);
    comm_ = nullptr;
  };
  watchdog_ = std::make_unique<launch::CollectiveWatchdog>(
      "NCCL rank " + std::to_string(rank_) + " of " + std::to_string(world_), std::move(h), timeout_seconds);
}

NcclCommunicator::~NcclCommunicator() {
  // Work still queued finishes first (the watchdog still guards the wait), then the watchdog stops.
  if (stream_) cudaStreamSynchronize(stream_);
  watchdog_.reset();
  if (comm_) ncclCommDestroy(comm_);
  if (staging_) cudaFree(staging_);
  if (done_) cudaEventDestroy(done_);
  if (watched_) cudaEventDestroy(watched_);
  if (stream_) cudaStreamDestroy(stream_);
}

Status NcclCommunicator::usable() const {
  if (comm_) return Status::Ok();
  const std::string why = watchdog_ ? watchdog_->failure() : std::string();
  return Status(StatusCode::io_error, why.empty() ? "NCCL rank " + std::to_string(rank_) + ": the communicator was "
                                                    "aborted"
                                                  : why);
}

Status NcclCommunicator::watch(const std::string& what) {
  GOLF_CUDA_CHECK(cudaEventRecord(watched_, stream_));
  watchdog_->queued(what);
  return Status::Ok();
}

void NcclCommunicator::set_collective_timeout(double seconds) {
  if (watchdog_) watchdog_->set_timeout(seconds);
}

std::string NcclCommunicator::describe() const {
  int v = 0;
  ncclGetVersion(&v);
  return "NCCL " + std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) + "." + std::to_string(v % 100) +
         ", " + std::to_string(world_) + " ranks, bootstrap " + bootstrap_ + ", cuda:" + std::to_string(device_);
}

Status NcclCommunicator::host_collective(void* data, size_t count, size_t elem_bytes, ncclDataType_t type,
                                         ncclRedOp_t op, int root, const char* what) {
  const size_t chunk = staging_bytes_ / elem_bytes;
  uint8_t* p = (uint8_t*)data;
  for (size_t done = 0; done < count;) {
    const size_t n = std::min(chunk, count - done);
    {
      std::lock_guard<std::mutex> lock(nccl_mu_);
      GOLF_RETURN_IF_ERROR(usable());
      GOLF_CUDA_CHECK(
          cudaMemcpyAsync(staging_, p + done * elem_bytes, n * elem_bytes, cudaMemcpyHostToDevice, stream_));
      const ncclResult_t r = root < 0 ? ncclAllReduce(staging_, staging_, n, type, op, comm_, stream_)
                                      : ncclBroadcast(staging_, staging_, n, type, root, comm_, stream_);
      GOLF_RETURN_IF_ERROR(nccl_status(r, what));
      GOLF_RETURN_IF_ERROR(watch(what));
      GOLF_CUDA_CHECK(
          cudaMemcpyAsync(p + done * elem_bytes, staging_, n * elem_bytes, cudaMemcpyDeviceToHost, stream_));
    }
    // Outside the lock: a hung peer keeps this wait blocked until the watchdog aborts the communicator.
    GOLF_CUDA_CHECK(cudaStreamSynchronize(stream_));
    {
      std::lock_guard<std::mutex> lock(nccl_mu_);
      GOLF_RETURN_IF_ERROR(usable());  // aborted meanwhile: the bytes copied back are not a result
    }
    done += n;
  }
  return Status::Ok();
}

Status NcclCommunicator::all_reduce_sum(float* data, size_t count) {
  return host_collective(data, count, sizeof(float), ncclFloat32, ncclSum, -1, "ncclAllReduce(sum, fp32, host)");
}
Status NcclCommunicator::all_reduce_sum(double* data, size_t count) {
  return host_collective(data, count, sizeof(double), ncclFloat64, ncclSum, -1, "ncclAllReduce(sum, fp64, host)");
}
Status NcclCommunicator::all_reduce_max(double* data, size_t count) {
  return host_collective(data, count, sizeof(double), ncclFloat64, ncclMax, -1, "ncclAllReduce(max, fp64, host)");
}
Status NcclCommunicator::broadcast(void* data, size_t bytes, int root) {
  if (root < 0 || root >= world_) return Status(StatusCode::invalid_argument, "broadcast: root rank out of range");
  return host_collective(data, bytes, 1, ncclUint8, ncclSum, root, "ncclBroadcast(host)");
}
Status NcclCommunicator::barrier() {
  float one = 1.0f;
  return host_collective(&one, 1, sizeof(float), ncclFloat32, ncclSum, -1, "barrier (ncclAllReduce of one float)");
}
void NcclCommunicator::abort_job(int) {
  std::lock_guard<std::mutex> lock(nccl_mu_);
  if (comm_) ncclCommAbort(comm_);
  comm_ = nullptr;
}

Status NcclCommunicator::all_reduce_avg_bucket(float* grads, const train_cpu::GradBucket& b, cudaEvent_t ready) {
  std::lock_guard<std::mutex> lock(nccl_mu_);
  GOLF_RETURN_IF_ERROR(usable());
  if (ready) GOLF_CUDA_CHECK(cudaStreamWaitEvent(stream_, ready, 0));
  const std::string what =
      "ncclAllReduce(avg, fp32, bucket " + b.name + ", " + std::to_string(b.floats()) + " floats)";
  GOLF_RETURN_IF_ERROR(nccl_status(
      ncclAllReduce(grads + b.begin, grads + b.begin, b.floats(), ncclFloat32, ncclAvg, comm_, stream_), what));
  return watch(what);
}

Status NcclCommunicator::all_gather_bytes(const void* send, void* recv, size_t bytes, cudaEvent_t ready) {
  std::lock_guard<std::mutex> lock(nccl_mu_);
  GOLF_RETURN_IF_ERROR(usable());
  if (ready) GOLF_CUDA_CHECK(cudaStreamWaitEvent(stream_, ready, 0));
  const std::string what = "ncclAllGather(Muon updates, " + std::to_string(bytes) + " bytes per rank)";
  GOLF_RETURN_IF_ERROR(nccl_status(ncclAllGather(send, recv, bytes, ncclUint8, comm_, stream_), what));
  return watch(what);
}

Status NcclCommunicator::join(cudaStream_t stream) {
  GOLF_CUDA_CHECK(cudaEventRecord(done_, stream_));
  GOLF_CUDA_CHECK(cudaStreamWaitEvent(stream, done_, 0));
  return Status::Ok();
}

Status NcclCommunicator::check_async() {
  std::lock_guard<std::mutex> lock(nccl_mu_);
  GOLF_RETURN_IF_ERROR(usable());
  ncclResult_t async = ncclSuccess;
  GOLF_RETURN_IF_ERROR(nccl_status(ncclCommGetAsyncError(comm_, &async), "ncclCommGetAsyncError"));
  return nccl_status(async, "asynchronous error (a peer rank failed or the network broke)");
}

}  // namespace golf::train_nccl
