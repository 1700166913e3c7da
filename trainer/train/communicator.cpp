// communicator.cpp: the single-process communicator, the averaging helper and the choice between implementations.
#include "communicator.h"

#include <cstdint>
#include <cstdlib>

namespace golf::train {

Status Communicator::all_reduce_avg(float* data, size_t count) {
  GOLF_RETURN_IF_ERROR(all_reduce_sum(data, count));
  const int w = world_size();
  if (w > 1) {
    const float inv = 1.0f / (float)w;
    for (size_t i = 0; i < count; i++) data[i] *= inv;
  }
  return Status::Ok();
}

Status Communicator::all_gather(void* data, size_t bytes_per_rank) {
  for (int r = 0; r < world_size(); r++)
    GOLF_RETURN_IF_ERROR(broadcast((uint8_t*)data + (size_t)r * bytes_per_rank, bytes_per_rank, r));
  return Status::Ok();
}

namespace {

class SingleProcessCommunicator : public Communicator {
 public:
  int rank() const override { return 0; }
  int world_size() const override { return 1; }
  std::string describe() const override { return "single process"; }
  Status all_reduce_sum(float*, size_t) override { return Status::Ok(); }
  Status all_reduce_sum(double*, size_t) override { return Status::Ok(); }
  Status all_reduce_max(double*, size_t) override { return Status::Ok(); }
  Status broadcast(void*, size_t, int root) override {
    return root == 0 ? Status::Ok() : Status(StatusCode::invalid_argument, "broadcast: root rank out of range");
  }
  Status barrier() override { return Status::Ok(); }
  void abort_job(int) override {}
};

}  // namespace

std::unique_ptr<Communicator> make_single_process_communicator() {
  return std::make_unique<SingleProcessCommunicator>();
}

bool launched_by_mpi_launcher() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS"}) {
    if (std::getenv(var)) return true;
  }
  return false;
}

#ifndef GOLF_HAVE_MPI
bool mpi_built() { return false; }
Status make_mpi_communicator(int*, char***, std::unique_ptr<Communicator>*) {
  return Status(StatusCode::unsupported,
                "this golf-train was built without MPI (Meson found no 'mpi' dependency); install "
                "libopenmpi-dev and reconfigure to train data-parallel");
}
#endif

Status make_communicator(const std::string& kind, int* argc, char*** argv, std::unique_ptr<Communicator>* out) {
  if (kind == "single") {
    *out = make_single_process_communicator();
    return Status::Ok();
  }
  if (kind == "mpi") return make_mpi_communicator(argc, argv, out);
  if (kind != "auto") return Status(StatusCode::invalid_argument, "--comm " + kind + ": expected auto|single|mpi");
  if (launched_by_mpi_launcher()) {
    if (!mpi_built()) {
      return Status(StatusCode::unsupported,
                    "launched by an MPI launcher, but this golf-train was built without MPI: every rank would train "
                    "alone; install libopenmpi-dev and reconfigure, or run without mpirun");
    }
    return make_mpi_communicator(argc, argv, out);
  }
  // torchrun, golf-train --gpus or a script set WORLD_SIZE for several ranks: without MPI only the NCCL
  // communicator can join them, and a process that trained alone would write a run that claims to be one of N.
  if (const char* w = std::getenv("WORLD_SIZE"); w && std::atoi(w) > 1) {
    return Status(StatusCode::unsupported,
                  std::string("WORLD_SIZE=") + w + " (a torchrun-style launch) joins GPU ranks over NCCL: pass "
                  "--backend cuda; launch the CPU trainer with mpirun, or pass --comm single to train this process "
                  "alone");
  }
  *out = make_single_process_communicator();
  return Status::Ok();
}

}  // namespace golf::train
