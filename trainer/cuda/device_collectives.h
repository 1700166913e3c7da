// device_collectives.h: what the CUDA backend needs from a multi-GPU communicator, as an interface, so the backend
// builds and runs on one GPU without NCCL: the fp32 gradient average of one bucket and an all-gather of equal byte
// blocks, both queued on the communicator's own stream after an event of the compute stream, and a join that makes
// a stream wait for them. trainer/nccl's NcclCommunicator implements it (and train::Communicator, the host side);
// the backend finds it with a dynamic_cast of BackendSetup::comm. Nothing here synchronises the host.
#pragma once
#include <cuda_runtime_api.h>

#include <cstddef>

#include "params/grad_bucket_plan.h"  // defines: GradBucket
#include "status.h"                   // defines: Status

namespace golf::train_cuda {

class DeviceCollectives {
 public:
  virtual ~DeviceCollectives() = default;
  // The CUDA device this rank drives (its local rank's).
  virtual int device() const = 0;
  // Once `ready` has fired (null: at once), grads[b.begin, b.end) becomes its average over the ranks (fp32).
  virtual Status all_reduce_avg_bucket(float* grads, const train_cpu::GradBucket& b, cudaEvent_t ready) = 0;
  // Once `ready` has fired: recv (world · bytes) gets every rank's `bytes` bytes of send, in rank order.
  virtual Status all_gather_bytes(const void* send, void* recv, size_t bytes, cudaEvent_t ready) = 0;
  // `stream` waits for everything queued on the communicator so far.
  virtual Status join(cudaStream_t stream) = 0;
};

}  // namespace golf::train_cuda
