// mpi_communicator.cpp: the Communicator over MPI_COMM_WORLD (built only when Meson finds MPI; -DGOLF_HAVE_MPI).
// Collectives run in place and in chunks of at most INT_MAX elements, since MPI counts are ints.
// Only MPI's C API is used; its deprecated C++ bindings would add warnings and a libmpi_cxx dependency.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstdint>

#include "communicator.h"

namespace golf::train {

namespace {

Status mpi_status(int rc, const char* what) {
  if (rc == MPI_SUCCESS) return Status::Ok();
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, text, &len);
  return Status(StatusCode::io_error, std::string(what) + ": " + std::string(text, (size_t)len));
}

template <typename T>
Status all_reduce_chunked(T* data, size_t count, MPI_Datatype type, MPI_Op op, const char* what) {
  for (size_t done = 0; done < count;) {
    const int n = (int)std::min<size_t>(count - done, (size_t)INT_MAX);
    GOLF_RETURN_IF_ERROR(mpi_status(MPI_Allreduce(MPI_IN_PLACE, data + done, n, type, op, MPI_COMM_WORLD), what));
    done += (size_t)n;
  }
  return Status::Ok();
}

class MpiCommunicator : public Communicator {
 public:
  MpiCommunicator(int rank, int world, bool owns_init) : rank_(rank), world_(world), owns_init_(owns_init) {}
  ~MpiCommunicator() override {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (owns_init_ && !finalized) MPI_Finalize();
  }
  int rank() const override { return rank_; }
  int world_size() const override { return world_; }
  std::string describe() const override {
    char version[MPI_MAX_LIBRARY_VERSION_STRING];
    int len = 0;
    MPI_Get_library_version(version, &len);
    std::string v(version, (size_t)len);
    if (size_t nl = v.find_first_of(",\n"); nl != std::string::npos) v.resize(nl);
    return "MPI (" + v + "), " + std::to_string(world_) + " ranks";
  }
  Status all_reduce_sum(float* data, size_t count) override {
    return all_reduce_chunked(data, count, MPI_FLOAT, MPI_SUM, "MPI_Allreduce(sum, float)");
  }
  Status all_reduce_sum(double* data, size_t count) override {
    return all_reduce_chunked(data, count, MPI_DOUBLE, MPI_SUM, "MPI_Allreduce(sum, double)");
  }
  Status all_reduce_max(double* data, size_t count) override {
    return all_reduce_chunked(data, count, MPI_DOUBLE, MPI_MAX, "MPI_Allreduce(max, double)");
  }
  Status broadcast(void* data, size_t bytes, int root) override {
    if (root < 0 || root >= world_) return Status(StatusCode::invalid_argument, "broadcast: root rank out of range");
    uint8_t* p = (uint8_t*)data;
    for (size_t done = 0; done < bytes;) {
      const int n = (int)std::min<size_t>(bytes - done, (size_t)INT_MAX);
      GOLF_RETURN_IF_ERROR(mpi_status(MPI_Bcast(p + done, n, MPI_BYTE, root, MPI_COMM_WORLD), "MPI_Bcast"));
      done += (size_t)n;
    }
    return Status::Ok();
  }
  Status all_gather(void* data, size_t bytes_per_rank) override {
    if (bytes_per_rank > (size_t)INT_MAX) return Communicator::all_gather(data, bytes_per_rank);
    return mpi_status(MPI_Allgather(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, data, (int)bytes_per_rank, MPI_BYTE,
                                    MPI_COMM_WORLD),
                      "MPI_Allgather");
  }
  Status barrier() override { return mpi_status(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier"); }
  void abort_job(int exit_code) override {
    if (world_ > 1) MPI_Abort(MPI_COMM_WORLD, exit_code);
  }

 private:
  int rank_, world_;
  bool owns_init_;
};

}  // namespace

bool mpi_built() { return true; }

Status make_mpi_communicator(int* argc, char*** argv, std::unique_ptr<Communicator>* out) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) GOLF_RETURN_IF_ERROR(mpi_status(MPI_Init(argc, argv), "MPI_Init"));
  // Errors come back as codes (turned into Status) instead of aborting the job inside MPI.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  int rank = 0, world = 1;
  GOLF_RETURN_IF_ERROR(mpi_status(MPI_Comm_rank(MPI_COMM_WORLD, &rank), "MPI_Comm_rank"));
  GOLF_RETURN_IF_ERROR(mpi_status(MPI_Comm_size(MPI_COMM_WORLD, &world), "MPI_Comm_size"));
  *out = std::make_unique<MpiCommunicator>(rank, world, !initialized);
  return Status::Ok();
}

}  // namespace golf::train
