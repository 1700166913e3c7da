// golf_train.cpp: golf-train's command line: parse the options, start the local GPU ranks (--gpus N) or the
// communicator (MPI under mpirun, NCCL for GPU ranks), install the SIGINT/SIGTERM flag, then setup -> loop ->
// finish (train_run.h).
// Exit status: 0 done, 1 error, 2 bad command line, 3 stopped by a signal (a checkpoint was written).
#include <cstdio>
#include <memory>
#include <string>

#include "communicator.h"  // defines: Communicator
#include "gpu_ranks.h"     // defines: gpu_ranks_prepare, gpu_ranks_run, make_train_communicator
#include "options.h"       // defines: parse_train_args, train_usage
#include "stop_signal.h"   // defines: stop_signal_install
#include "train_run.h"     // defines: train_setup, train_loop, train_finish

using namespace golf;
using namespace golf::train;

namespace {

std::string join_command_line(int argc, char** argv) {
  std::string s;
  for (int i = 0; i < argc; i++) {
    std::string a = argv[i];
    bool quote = a.empty() || a.find_first_of(" \t\"'$\\*?") != std::string::npos;
    s += (i ? " " : "") + (quote ? "'" + a + "'" : a);
  }
  return s;
}

// `comm` is the run's communicator; `mpi` (may be null) the MPI one under it when NCCL bootstrapped through MPI.
int fail(Communicator* comm, Communicator* mpi, const Status& st, int code) {
  std::fprintf(stderr, "golf-train: error: %s\n", st.message().c_str());
  std::fflush(stderr);
  // One rank failing alone would leave the others blocked in a collective: end the whole job. Aborting NCCL only
  // would not: this rank's MPI_Finalize would wait for peers stuck on the dead NCCL rank, so MPI ends the job.
  if (comm && comm->world_size() > 1) comm->abort_job(code);
  if (mpi && mpi->world_size() > 1) mpi->abort_job(code);
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string command_line = join_command_line(argc, argv);
  ParsedArgs args;
  Status st = parse_train_args(argc, argv, &args);
  if (!st.ok()) {
    std::fprintf(stderr, "golf-train: %s\n", st.message().c_str());
    return 2;
  }
  if (args.help) {
    std::fputs(train_usage().c_str(), stdout);
    return 0;
  }
  st = gpu_ranks_prepare(&args);
  if (st.ok() && args.options.resume.empty()) st = validate_options(args.options);
  if (!st.ok()) {
    std::fprintf(stderr, "golf-train: %s\n", st.message().c_str());
    return 2;
  }
  if (args.options.gpus > 1) return gpu_ranks_run(argc, argv, args);

  std::unique_ptr<Communicator> mpi, comm;  // comm is destroyed first (NCCL before the MPI that bootstrapped it)
  st = make_train_communicator(args.options, &argc, &argv, &mpi, &comm);
  if (!st.ok()) return fail(nullptr, mpi.get(), st, 1);
  comm->set_collective_timeout(args.options.collective_timeout);
  stop_signal_install();

  auto run = std::make_unique<TrainRun>();
  st = train_setup(args, comm.get(), command_line, run.get());
  if (!st.ok()) return fail(comm.get(), mpi.get(), st, st.code() == StatusCode::invalid_argument ? 2 : 1);
  TrainOutcome outcome;
  st = train_loop(run.get(), &outcome);
  if (!st.ok()) return fail(comm.get(), mpi.get(), st, 1);
  if (outcome.stop_signal) return 3;
  if (outcome.paused) return 0;
  st = train_finish(run.get(), outcome);
  if (!st.ok()) return fail(comm.get(), mpi.get(), st, 1);
  return 0;
}
