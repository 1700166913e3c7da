// gpu_ranks.cpp: --gpus N (spawn and wait) and the choice of communicator for GPU ranks (gpu_ranks.h).
#include "gpu_ranks.h"

#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "backend_module.h"  // defines: cuda_communicator_create
#include "launch_env.h"      // defines: launch_env_from_process
#include "local_spawn.h"     // defines: spawn_local_ranks, pick_free_port

namespace golf::train {

Status gpu_ranks_prepare(ParsedArgs* args) {
  TrainOptions& o = args->options;
  if (o.gpus == 0) return Status::Ok();
  const std::string n = std::to_string(o.gpus);
  if (args->explicit_flags.count("backend") && o.backend != "cuda")
    return Status(StatusCode::invalid_argument,
                  "--gpus " + n + " starts GPU ranks (--backend cuda); the CPU trainer runs data parallel under "
                  "mpirun -np N");
  if (args->explicit_flags.count("comm") && o.comm != "auto")
    return Status(StatusCode::invalid_argument,
                  "--gpus " + n + " with --comm " + o.comm + ": the ranks it starts join over NCCL; drop --comm");
  if (!o.device.empty())
    return Status(StatusCode::invalid_argument,
                  "--gpus " + n + " with --device " + o.device + ": each rank drives its own GPU (cuda:0.." +
                      std::to_string(o.gpus - 1) + "); drop --device");
  launch::LaunchEnv env;
  GOLF_RETURN_IF_ERROR(launch::launch_env_from_process(&env));
  // A launcher's single task (an sbatch step, mpirun -np 1) may start the ranks; a rank of several may not.
  if (env.world_size > 1)
    return Status(StatusCode::invalid_argument,
                  "--gpus " + n + ": this process is already rank " + std::to_string(env.rank) + " of a job started by " +
                      launch::launcher_name(env.launcher) + "; drop --gpus (the launcher starts the ranks)");
  o.backend = "cuda";
  return Status::Ok();
}

int gpu_ranks_run(int argc, char** argv, const ParsedArgs& args) {
  // This program again (not argv[0], which PATH may have found), without --gpus, as a CUDA rank.
  std::vector<std::string> child;
  char self[4096];
  const ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
  child.push_back(len > 0 ? std::string(self, (size_t)len) : std::string(argv[0]));
  for (int i = 1; i < argc; i++) {
    const std::string a = argv[i];
    if (a == "--gpus") {
      i++;  // its value
      continue;
    }
    if (a.rfind("--gpus=", 0) == 0) continue;
    child.push_back(a);
  }
  child.push_back("--backend");
  child.push_back("cuda");
  int port = 0;
  Status st = launch::pick_free_port(&port);
  if (!st.ok()) {
    std::fprintf(stderr, "golf-train: --gpus: %s\n", st.message().c_str());
    return 1;
  }
  const int n = args.options.gpus;
  std::fprintf(stderr,
               "golf-train: starting %d ranks on this machine (cuda:0..%d), NCCL bootstrap at 127.0.0.1:%d; rank 0 "
               "writes %s/run.log\n",
               n, n - 1, port, args.options.out_dir.c_str());
  std::fflush(stderr);
  launch::SpawnReport rep;
  st = launch::spawn_local_ranks(child, n, port, 10.0, &rep);
  if (!st.ok()) {
    std::fprintf(stderr, "golf-train: --gpus %d: %s\n", n, st.message().c_str());
    return 1;
  }
  if (rep.exit_code != 0) std::fprintf(stderr, "golf-train: --gpus %d: %s\n", n, rep.message.c_str());
  return rep.exit_code;
}

Status make_train_communicator(const TrainOptions& o, int* argc, char*** argv, std::unique_ptr<Communicator>* mpi,
                               std::unique_ptr<Communicator>* comm) {
  launch::LaunchEnv env;
  if (o.backend != "cuda" || o.comm == "single" || !launch::launch_env_from_process(&env).ok() ||
      env.world_size <= 1)
    return make_communicator(o.comm, argc, argv, comm);
  // A CUDA rank of several: NCCL carries the data; under mpirun/srun with PMI, MPI carries NCCL's id.
  if (env.mpi_bootstrap()) GOLF_RETURN_IF_ERROR(make_mpi_communicator(argc, argv, mpi));
  return cuda_communicator_create(mpi->get(), comm);
}

}  // namespace golf::train
