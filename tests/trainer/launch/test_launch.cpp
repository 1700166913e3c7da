// test_launch.cpp: trainer/launch on the CPU, with real processes on the loopback interface. The launcher
// environments (mpirun, PMI, srun, torchrun, none) and every refusal naming its variable; the TCP bootstrap of a
// 128-byte blob (the size of an ncclUniqueId) from rank 0 to 3 other processes, also when rank 0 comes up last;
// its timeouts naming the address and the missing ranks; a rank of another job refused; and the --gpus self-spawn:
// 4 ranks with their torchrun-style environment that bootstrap among themselves, and a failing rank that stops the
// others. main() doubles as the spawned rank (--spawned-rank DIR MODE).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "launch_env.h"
#include "local_spawn.h"
#include "tcp_bootstrap.h"

using namespace golf;
using namespace golf::launch;
namespace fs = std::filesystem;

namespace {

Status parse(const std::map<std::string, std::string>& vars, LaunchEnv* e) {
  return launch_env_parse(
      [&](const char* v) -> const char* {
        auto it = vars.find(v);
        return it == vars.end() ? nullptr : it->second.c_str();
      },
      e);
}

void expect_refused(const std::map<std::string, std::string>& vars, const std::string& text) {
  LaunchEnv e;
  Status st = parse(vars, &e);
  EXPECT_FALSE(st.ok()) << "accepted; expected an error mentioning " << text;
  EXPECT_NE(st.message().find(text), std::string::npos) << st.message();
}

TEST(LaunchEnv, NoLauncherIsOneProcess) {
  LaunchEnv e;
  ASSERT_TRUE(parse({}, &e).ok());
  EXPECT_EQ(e.launcher, Launcher::single);
  EXPECT_EQ(e.world_size, 1);
  EXPECT_EQ(e.rank, 0);
}

TEST(LaunchEnv, OpenMpiMpirun) {
  LaunchEnv e;
  ASSERT_TRUE(parse({{"OMPI_COMM_WORLD_SIZE", "16"}, {"OMPI_COMM_WORLD_RANK", "9"},
                     {"OMPI_COMM_WORLD_LOCAL_RANK", "1"}, {"OMPI_COMM_WORLD_LOCAL_SIZE", "8"},
                     {"RANK", "3"}, {"WORLD_SIZE", "4"}},  // mpirun wins over a stray torchrun variable
                    &e).ok());
  EXPECT_EQ(e.launcher, Launcher::mpirun);
  EXPECT_TRUE(e.mpi_bootstrap());
  EXPECT_EQ(e.rank, 9);
  EXPECT_EQ(e.world_size, 16);
  EXPECT_EQ(e.local_rank, 1);
  EXPECT_EQ(e.local_world_size, 8);
  expect_refused({{"OMPI_COMM_WORLD_SIZE", "2"}, {"OMPI_COMM_WORLD_RANK", "2"}}, "OMPI_COMM_WORLD_RANK=2");
}

TEST(LaunchEnv, HydraAndSrunWithPmix) {
  LaunchEnv e;
  ASSERT_TRUE(
      parse({{"PMI_SIZE", "4"}, {"PMI_RANK", "3"}, {"MPI_LOCALRANKID", "1"}, {"MPI_LOCALNRANKS", "2"}}, &e).ok());
  EXPECT_EQ(e.launcher, Launcher::pmi);
  EXPECT_EQ(e.rank, 3);
  EXPECT_EQ(e.local_rank, 1);
  ASSERT_TRUE(
      parse({{"PMIX_RANK", "5"}, {"SLURM_PROCID", "5"}, {"SLURM_NTASKS", "16"}, {"SLURM_LOCALID", "5"}}, &e).ok());
  EXPECT_EQ(e.launcher, Launcher::pmi);
  EXPECT_TRUE(e.mpi_bootstrap());
  EXPECT_EQ(e.local_rank, 5);
}

TEST(LaunchEnv, SrunWithoutPmiNeedsTheMasterAddress) {
  LaunchEnv e;
  ASSERT_TRUE(parse({{"SLURM_PROCID", "11"}, {"SLURM_NTASKS", "16"}, {"SLURM_LOCALID", "3"},
                     {"SLURM_NTASKS_PER_NODE", "8"}, {"MASTER_ADDR", "node001"}, {"MASTER_PORT", "29500"}},
                    &e).ok());
  EXPECT_EQ(e.launcher, Launcher::srun);
  EXPECT_FALSE(e.mpi_bootstrap());
  EXPECT_EQ(e.rank, 11);
  EXPECT_EQ(e.local_rank, 3);
  EXPECT_EQ(e.local_world_size, 8);
  EXPECT_EQ(e.master_addr, "node001");
  EXPECT_EQ(e.master_port, 29500);
  EXPECT_NE(e.describe().find("node001:29500"), std::string::npos) << e.describe();
  expect_refused({{"SLURM_PROCID", "1"}, {"SLURM_NTASKS", "2"}}, "MASTER_ADDR");
}

TEST(LaunchEnv, TorchrunConvention) {
  LaunchEnv e;
  ASSERT_TRUE(parse({{"RANK", "6"}, {"WORLD_SIZE", "8"}, {"LOCAL_RANK", "6"}, {"LOCAL_WORLD_SIZE", "8"},
                     {"MASTER_ADDR", "10.0.0.1"}, {"MASTER_PORT", "29500"}},
                    &e).ok());
  EXPECT_EQ(e.launcher, Launcher::torchrun);
  EXPECT_EQ(e.rank, 6);
  EXPECT_EQ(e.local_rank, 6);
  int device = -1;
  ASSERT_TRUE(local_device_index(e, 8, &device).ok());
  EXPECT_EQ(device, 6);
  Status st = local_device_index(e, 4, &device);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("local rank 6"), std::string::npos) << st.message();
  // One rank needs no master; two do.
  ASSERT_TRUE(parse({{"RANK", "0"}, {"WORLD_SIZE", "1"}}, &e).ok());
  const std::map<std::string, std::string> ok = {{"RANK", "1"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"},
                                                 {"MASTER_PORT", "1234"}};
  ASSERT_TRUE(parse(ok, &e).ok());
  auto with = [&](const std::string& k, const std::string& v) {
    auto m = ok;
    m[k] = v;
    return m;
  };
  expect_refused(with("RANK", "2"), "RANK=2");
  expect_refused(with("RANK", "1x"), "RANK=1x");
  expect_refused(with("RANK", ""), "RANK=");
  expect_refused(with("WORLD_SIZE", "0"), "WORLD_SIZE=0");
  expect_refused(with("MASTER_PORT", "70000"), "MASTER_PORT=70000");
  expect_refused(with("LOCAL_WORLD_SIZE", "3"), "LOCAL_WORLD_SIZE=3");
  auto no_addr = ok;
  no_addr.erase("MASTER_ADDR");
  expect_refused(no_addr, "MASTER_ADDR");
  auto local = with("LOCAL_WORLD_SIZE", "1");
  local["LOCAL_RANK"] = "1";
  expect_refused(local, "LOCAL_RANK=1");
}

LaunchEnv loopback(int rank, int world, int port) {
  LaunchEnv e;
  e.launcher = Launcher::torchrun;
  e.rank = e.local_rank = rank;
  e.world_size = e.local_world_size = world;
  e.master_addr = "127.0.0.1";
  e.master_port = port;
  return e;
}

std::vector<uint8_t> id_blob() {  // stands in for a 128-byte ncclUniqueId
  std::vector<uint8_t> b(128);
  for (size_t i = 0; i < b.size(); i++) b[i] = (uint8_t)(i * 37 + 11);
  return b;
}

// Forks ranks 1..world-1 (each exits 0 iff it received rank 0's blob), runs rank 0 here after `delay_ms`.
void exchange(int world, int delay_ms) {
  int port = 0;
  ASSERT_TRUE(pick_free_port(&port).ok());
  std::vector<pid_t> kids;
  for (int r = 1; r < world; r++) {
    const pid_t pid = fork();
    if (pid == 0) {
      std::vector<uint8_t> got(128, 0);
      Status st = tcp_broadcast_blob(loopback(r, world, port), got.data(), got.size(), 10.0);
      _exit(st.ok() && got == id_blob() ? 0 : 1);
    }
    kids.push_back(pid);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
  std::vector<uint8_t> blob = id_blob();
  Status st = tcp_broadcast_blob(loopback(0, world, port), blob.data(), blob.size(), 10.0);
  EXPECT_TRUE(st.ok()) << st.message();
  for (pid_t k : kids) {
    int wstatus = 0;
    waitpid(k, &wstatus, 0);
    EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) << "a rank did not receive the blob";
  }
}

TEST(TcpBootstrap, FourProcessesReceiveRankZerosBlob) { exchange(4, 0); }
TEST(TcpBootstrap, RanksWaitForALateRankZero) { exchange(3, 700); }

TEST(TcpBootstrap, RankZeroNamesTheMissingRanksAfterTheTimeout) {
  int port = 0;
  ASSERT_TRUE(pick_free_port(&port).ok());
  const pid_t pid = fork();
  if (pid == 0) {
    std::vector<uint8_t> got(128);
    _exit(tcp_broadcast_blob(loopback(1, 4, port), got.data(), got.size(), 3.0).ok() ? 0 : 1);
  }
  std::vector<uint8_t> blob = id_blob();
  const auto t0 = std::chrono::steady_clock::now();
  Status st = tcp_broadcast_blob(loopback(0, 4, port), blob.data(), blob.size(), 1.0);
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("missing ranks 2, 3"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("MASTER_PORT=" + std::to_string(port)), std::string::npos) << st.message();
  EXPECT_LT(waited, 5.0);
  int wstatus = 0;
  waitpid(pid, &wstatus, 0);  // rank 1 arrived but was never answered: it fails (connection closed)
  EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 1);
}

TEST(TcpBootstrap, APeerNamesTheAddressWhenRankZeroNeverComes) {
  int port = 0;
  ASSERT_TRUE(pick_free_port(&port).ok());
  std::vector<uint8_t> got(128);
  Status st = tcp_broadcast_blob(loopback(2, 3, port), got.data(), got.size(), 0.5);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("rank 2"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("127.0.0.1:" + std::to_string(port)), std::string::npos) << st.message();
}

TEST(TcpBootstrap, ARankOfAnotherJobIsRefused) {
  int port = 0;
  ASSERT_TRUE(pick_free_port(&port).ok());
  const pid_t pid = fork();
  if (pid == 0) {
    std::vector<uint8_t> got(64);  // another blob size: another job
    Status st = tcp_broadcast_blob(loopback(1, 2, port), got.data(), got.size(), 5.0);
    _exit(!st.ok() && st.message().find("refused") != std::string::npos ? 0 : 1);
  }
  std::vector<uint8_t> blob = id_blob();
  Status st = tcp_broadcast_blob(loopback(0, 2, port), blob.data(), blob.size(), 5.0);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("different jobs"), std::string::npos) << st.message();
  int wstatus = 0;
  waitpid(pid, &wstatus, 0);
  EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) << "the peer did not report the refusal";
}

std::string read_text(const fs::path& p) {
  std::ifstream f(p);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

fs::path temp_dir(const char* name) {
  fs::path d = fs::temp_directory_path() / (std::string(name) + "_" + std::to_string(getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

TEST(LocalSpawn, FourRanksGetTheirEnvironmentAndBootstrapOverTcp) {
  const fs::path dir = temp_dir("golf_spawn_ok");
  int port = 0;
  ASSERT_TRUE(pick_free_port(&port).ok());
  SpawnReport rep;
  ASSERT_TRUE(
      spawn_local_ranks({"/proc/self/exe", "--spawned-rank", dir.string(), "bootstrap"}, 4, port, 5.0, &rep).ok());
  EXPECT_EQ(rep.exit_code, 0) << rep.message;
  for (int r = 0; r < 4; r++) {
    EXPECT_EQ(read_text(dir / ("rank_" + std::to_string(r))),
              "rank " + std::to_string(r) + " of 4 (local " + std::to_string(r) +
                  " of 4), torchrun environment, rank 0 at 127.0.0.1:" + std::to_string(port) + "; blob ok\n");
  }
  fs::remove_all(dir);
}

TEST(LocalSpawn, AFailingRankStopsTheOthers) {
  const fs::path dir = temp_dir("golf_spawn_fail");
  int port = 0;
  ASSERT_TRUE(pick_free_port(&port).ok());
  SpawnReport rep;
  const auto t0 = std::chrono::steady_clock::now();
  // Rank 2 exits 5 at once; the others would sleep 60 s.
  ASSERT_TRUE(spawn_local_ranks({"/proc/self/exe", "--spawned-rank", dir.string(), "fail2"}, 4, port, 10.0, &rep).ok());
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(rep.failed_rank, 2);
  EXPECT_EQ(rep.exit_code, 5);
  EXPECT_NE(rep.message.find("rank 2 exited with status 5; stopping ranks 0, 1, 3"), std::string::npos) << rep.message;
  EXPECT_LT(waited, 8.0);  // SIGTERM stopped them, not the SIGKILL after the 10 s grace
  fs::remove_all(dir);
}

// The spawned rank: writes what it knows to DIR/rank_<r>; mode "bootstrap" also receives rank 0's blob over TCP,
// mode "fail2" makes rank 2 exit 5 and the others sleep.
int spawned_rank(const std::string& dir, const std::string& mode) {
  LaunchEnv env;
  Status st = launch_env_from_process(&env);
  if (!st.ok()) return 9;
  if (mode == "fail2") {
    if (env.rank == 2) return 5;
    std::this_thread::sleep_for(std::chrono::seconds(60));
    return 0;
  }
  std::vector<uint8_t> blob = env.rank == 0 ? id_blob() : std::vector<uint8_t>(128, 0);
  st = tcp_broadcast_blob(env, blob.data(), blob.size(), 20.0);
  std::ofstream f(dir + "/rank_" + std::to_string(env.rank));
  f << env.describe() << "; blob " << (st.ok() && blob == id_blob() ? "ok" : "BAD: " + st.message()) << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::strcmp(argv[1], "--spawned-rank") == 0) return spawned_rank(argv[2], argv[3]);
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
