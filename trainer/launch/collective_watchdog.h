// collective_watchdog.h: ends a multi-GPU job whose collectives can no longer finish, instead of leaving every
// rank spinning inside NCCL forever (a peer that died or hangs, a broken network). A thread polls about once per
// `poll_seconds`: the communicator's asynchronous error, and how long the oldest unfinished collective has been
// queued. On an error, or a wait past the timeout, it aborts the communicator once (for NCCL, ncclCommAbort: the
// blocked kernels return, so the host waits return too) and keeps why, for the rank's next call to report. The
// launchers already end a job when a rank *exits* (mpirun, srun, torchrun, golf-train --gpus); this covers the
// rank that stays alive but stops answering, and the errors only NCCL sees. Backend-neutral: NCCL supplies the
// hooks (trainer/nccl), the tests supply fakes.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace golf::launch {

class CollectiveWatchdog {
 public:
  struct Hooks {
    std::function<std::string()> async_error;  // "" while healthy, else what went wrong (NCCL's async error)
    std::function<bool()> queued_work_done;    // whether everything queued so far has finished
    std::function<void()> abort;               // aborts the communicator; called at most once, from the thread
  };
  // `who` prefixes the message printed to stderr when it fires ("NCCL rank 3 of 8"). timeout_seconds 0: no
  // timeout (asynchronous errors still end the job).
  CollectiveWatchdog(std::string who, Hooks hooks, double timeout_seconds, double poll_seconds = 1.0);
  ~CollectiveWatchdog();  // stops the thread (it never aborts after this returns)
  CollectiveWatchdog(const CollectiveWatchdog&) = delete;
  CollectiveWatchdog& operator=(const CollectiveWatchdog&) = delete;

  // A collective was queued ("ncclAllReduce(avg, fp32, bucket blocks.3, ...)"), and after it the marker that
  // queued_work_done looks at: the clock starts unless older work is still unfinished, whose clock keeps running.
  void queued(const std::string& what);
  // From now on; 0: wait forever (the end of a run, where ranks wait minutes for rank 0's export).
  void set_timeout(double seconds);
  // "" while healthy; else why the communicator was aborted.
  std::string failure() const;

 private:
  using Clock = std::chrono::steady_clock;
  void run();
  void poll_once();

  const std::string who_;
  const Hooks hooks_;
  const double poll_seconds_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  double timeout_seconds_;
  bool stop_ = false;
  uint64_t queued_count_ = 0;       // queued() calls so far
  bool pending_ = false;            // unfinished work queued since pending_since_
  Clock::time_point pending_since_;
  std::string pending_what_;        // the oldest unfinished collective
  std::string failure_;
  std::thread thread_;              // last: starts after every member above is ready
};

}  // namespace golf::launch
