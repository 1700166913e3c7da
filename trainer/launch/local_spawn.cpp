// local_spawn.cpp: fork/exec of the local ranks, the wait loop that stops the job when one rank fails, and the
// forwarding of the parent's stop signals.
#include "local_spawn.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace golf::launch {

namespace {

volatile sig_atomic_t g_forward_signal = 0;
void record_signal(int sig) { g_forward_signal = sig; }

int exit_code_of(int wstatus) {
  if (WIFEXITED(wstatus)) return WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus)) return 128 + WTERMSIG(wstatus);
  return 1;
}

std::string describe_exit(int wstatus) {
  if (WIFSIGNALED(wstatus)) return std::string("was killed by signal ") + strsignal(WTERMSIG(wstatus));
  return "exited with status " + std::to_string(exit_code_of(wstatus));
}

void signal_all(const std::vector<pid_t>& pids, int sig) {
  for (pid_t p : pids)
    if (p > 0) kill(p, sig);
}

}  // namespace

Status pick_free_port(int* port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status(StatusCode::io_error, std::string("socket: ") + std::strerror(errno));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (bind(fd, (sockaddr*)&a, sizeof a) != 0 || getsockname(fd, (sockaddr*)&a, &len) != 0) {
    const int e = errno;
    close(fd);
    return Status(StatusCode::io_error, std::string("cannot find a free TCP port: ") + std::strerror(e));
  }
  close(fd);
  *port = ntohs(a.sin_port);
  return Status::Ok();
}

Status spawn_local_ranks(const std::vector<std::string>& argv, int ranks, int master_port, double grace_seconds,
                         SpawnReport* report) {
  if (ranks < 1 || argv.empty())
    return Status(StatusCode::invalid_argument, "spawn: need at least one rank and a command");
  *report = SpawnReport();
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  struct sigaction sa {}, old_int{}, old_term{};
  sa.sa_handler = record_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  g_forward_signal = 0;
  std::vector<pid_t> pids((size_t)ranks, -1);
  Status result = Status::Ok();
  // The stop signals stay blocked from fork until the child has its default handlers back: a SIGTERM sent to a
  // child that has not reached exec yet would otherwise run the parent's handler there and be lost.
  sigset_t stop_set, old_mask;
  sigemptyset(&stop_set);
  sigaddset(&stop_set, SIGINT);
  sigaddset(&stop_set, SIGTERM);
  sigprocmask(SIG_BLOCK, &stop_set, &old_mask);
  for (int r = 0; r < ranks && result.ok(); r++) {
    const pid_t pid = fork();
    if (pid == 0) {
      // Child: default stop signals, the torchrun-style variables, then the command. (setenv is not
      // async-signal-safe; the parent is single-threaded when it spawns, so it is safe here.)
      signal(SIGINT, SIG_DFL);
      signal(SIGTERM, SIG_DFL);
      sigprocmask(SIG_SETMASK, &old_mask, nullptr);
      // Its own process group: a terminal's Ctrl-C (or a signal to the parent's group) reaches the parent only,
      // which forwards it once; twice would be a rank's "stop now, no checkpoint".
      setpgid(0, 0);
      const std::string r_s = std::to_string(r), n_s = std::to_string(ranks), port_s = std::to_string(master_port);
      setenv("RANK", r_s.c_str(), 1);
      setenv("LOCAL_RANK", r_s.c_str(), 1);
      setenv("WORLD_SIZE", n_s.c_str(), 1);
      setenv("LOCAL_WORLD_SIZE", n_s.c_str(), 1);
      setenv("MASTER_ADDR", "127.0.0.1", 1);
      setenv("MASTER_PORT", port_s.c_str(), 1);
      // A launcher's variables in the parent's environment would make the children think they are MPI ranks.
      for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "SLURM_PROCID"}) unsetenv(v);
      execv(args[0], args.data());
      _exit(127);
    }
    if (pid < 0) {
      result = Status(StatusCode::io_error, "cannot start rank " + std::to_string(r) + ": " + std::strerror(errno));
      break;
    }
    pids[(size_t)r] = pid;
  }
  sigprocmask(SIG_SETMASK, &old_mask, nullptr);
  if (!result.ok()) signal_all(pids, SIGTERM);
  int running = 0;
  for (pid_t p : pids) running += p > 0;
  bool stopping = !result.ok(), forwarded = false;
  auto stop_deadline = std::chrono::steady_clock::now();
  while (running > 0) {
    if (g_forward_signal && !forwarded) {
      signal_all(pids, g_forward_signal);  // Ctrl-C / SIGTERM: every rank checkpoints and stops on its own
      forwarded = true;
    }
    int wstatus = 0;
    const pid_t done = waitpid(-1, &wstatus, WNOHANG);
    if (done <= 0) {
      if (stopping && std::chrono::steady_clock::now() > stop_deadline) signal_all(pids, SIGKILL);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    int rank = -1;
    for (int r = 0; r < ranks; r++)
      if (pids[(size_t)r] == done) rank = r;
    if (rank < 0) continue;  // not ours
    pids[(size_t)rank] = -1;
    running--;
    const int code = exit_code_of(wstatus);
    if (code != 0 && report->failed_rank < 0) {
      report->failed_rank = rank;
      report->exit_code = code;
      report->message = "rank " + std::to_string(rank) + " " + describe_exit(wstatus);
      if (running > 0 && !forwarded) {
        std::string others;
        for (int r = 0; r < ranks; r++)
          if (pids[(size_t)r] > 0) others += (others.empty() ? "" : ", ") + std::to_string(r);
        report->message += "; stopping ranks " + others;
        signal_all(pids, SIGTERM);
        stopping = true;
        stop_deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds((long long)(grace_seconds * 1000.0));
      }
    }
  }
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  return result;
}

}  // namespace golf::launch
