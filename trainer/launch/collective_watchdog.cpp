// collective_watchdog.cpp: the polling thread of collective_watchdog.h.
#include "collective_watchdog.h"

#include <cstdint>
#include <cstdio>

namespace golf::launch {

CollectiveWatchdog::CollectiveWatchdog(std::string who, Hooks hooks, double timeout_seconds, double poll_seconds)
    : who_(std::move(who)),
      hooks_(std::move(hooks)),
      poll_seconds_(poll_seconds > 0 ? poll_seconds : 1.0),
      timeout_seconds_(timeout_seconds > 0 ? timeout_seconds : 0),
      thread_([this] { run(); }) {}

CollectiveWatchdog::~CollectiveWatchdog() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void CollectiveWatchdog::queued(const std::string& what) {
  std::lock_guard<std::mutex> lock(mu_);
  queued_count_++;
  if (pending_) return;  // the oldest unfinished collective keeps its clock
  pending_ = true;
  pending_since_ = Clock::now();
  pending_what_ = what;
}

void CollectiveWatchdog::set_timeout(double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  timeout_seconds_ = seconds > 0 ? seconds : 0;
}

std::string CollectiveWatchdog::failure() const {
  std::lock_guard<std::mutex> lock(mu_);
  return failure_;
}

void CollectiveWatchdog::run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_ && failure_.empty()) {
    wake_.wait_for(lock, std::chrono::duration<double>(poll_seconds_), [this] { return stop_; });
    if (stop_) break;
    lock.unlock();
    poll_once();  // the hooks run without the lock: queued() never waits for a CUDA or NCCL query
    lock.lock();
  }
}

void CollectiveWatchdog::poll_once() {
  std::string why = hooks_.async_error ? hooks_.async_error() : std::string();
  if (why.empty()) {
    bool pending;
    uint64_t seen;
    {
      std::lock_guard<std::mutex> lock(mu_);
      pending = pending_;
      seen = queued_count_;
    }
    // Queried outside the lock. The caller records its marker before queued(), so a collective that queued() counted
    // after `seen` may not be covered by the answer: then the clock keeps running until the next poll.
    const bool done = pending && hooks_.queued_work_done && hooks_.queued_work_done();
    std::lock_guard<std::mutex> lock(mu_);
    if (pending_ && done && queued_count_ == seen) {
      pending_ = false;
    } else if (pending_ && timeout_seconds_ > 0) {
      const double waited = std::chrono::duration<double>(Clock::now() - pending_since_).count();
      if (waited > timeout_seconds_) {
        char text[160];
        std::snprintf(text, sizeof text, " has not finished after %.0f s (--collective-timeout %.0f)", waited,
                      timeout_seconds_);
        why = pending_what_ + text + ": another rank stopped answering (look at its log), or the network hangs";
      }
    }
  }
  if (why.empty()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    failure_ = who_ + ": " + why;
  }
  std::fprintf(stderr, "golf-train: %s; aborting the communicator\n", failure().c_str());
  std::fflush(stderr);
  if (hooks_.abort) hooks_.abort();
}

}  // namespace golf::launch
