// test_collective_watchdog.cpp: trainer/launch/collective_watchdog.h with fake hooks in place of NCCL. Work that
// finishes never fires it; work that stays queued past the timeout fires it once (abort called once, the message
// names the collective, the wait and the flag); an asynchronous error fires it with or without queued work; timeout
// 0 waits forever; set_timeout takes effect on work already waiting; a watchdog stopped early never aborts.
// Polls are 10 ms; checks that something *does* happen wait up to 10 s, so a loaded machine only makes them slower.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>

#include "collective_watchdog.h"

using golf::launch::CollectiveWatchdog;

namespace {

struct FakeComm {
  std::atomic<bool> done{true};
  std::atomic<int> aborts{0};
  std::mutex mu;
  std::string error;

  CollectiveWatchdog::Hooks hooks() {
    CollectiveWatchdog::Hooks h;
    h.async_error = [this] {
      std::lock_guard<std::mutex> lock(mu);
      return error;
    };
    h.queued_work_done = [this] { return done.load(); };
    h.abort = [this] { aborts++; };
    return h;
  }
};

void sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// Waits up to 10 s for the watchdog to fire; returns its message ("" if it never did).
std::string wait_for_failure(const CollectiveWatchdog& w) {
  for (int i = 0; i < 1000 && w.failure().empty(); i++) sleep_ms(10);
  return w.failure();
}

TEST(CollectiveWatchdog, WorkThatFinishesNeverFires) {
  FakeComm comm;
  CollectiveWatchdog w("NCCL rank 1 of 2", comm.hooks(), 0.2, 0.01);
  // 30 collectives of 20 ms each, one after another: 0.6 s in all, each well inside the 0.2 s timeout.
  for (int i = 0; i < 30; i++) {
    comm.done = false;
    w.queued("ncclAllReduce(bucket " + std::to_string(i) + ")");
    sleep_ms(20);
    comm.done = true;
    sleep_ms(15);  // one poll sees it finished
  }
  sleep_ms(300);
  EXPECT_EQ(w.failure(), "");
  EXPECT_EQ(comm.aborts.load(), 0);
}

TEST(CollectiveWatchdog, StuckWorkFiresOnceAfterTheTimeout) {
  FakeComm comm;
  CollectiveWatchdog w("NCCL rank 3 of 8", comm.hooks(), 0.2, 0.01);
  comm.done = false;
  const auto t0 = std::chrono::steady_clock::now();
  w.queued("ncclAllReduce(avg, fp32, bucket blocks.3)");
  w.queued("ncclAllGather(Muon updates)");  // newer work: the oldest collective keeps its clock and its name
  const std::string why = wait_for_failure(w);
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_NE(why, "") << "never fired";
  EXPECT_GE(waited, 0.2);
  EXPECT_NE(why.find("NCCL rank 3 of 8"), std::string::npos) << why;
  EXPECT_NE(why.find("ncclAllReduce(avg, fp32, bucket blocks.3)"), std::string::npos) << why;
  EXPECT_NE(why.find("--collective-timeout"), std::string::npos) << why;
  sleep_ms(100);
  EXPECT_EQ(comm.aborts.load(), 1);
}

TEST(CollectiveWatchdog, AsyncErrorFiresWithoutQueuedWork) {
  FakeComm comm;
  CollectiveWatchdog w("NCCL rank 0 of 2", comm.hooks(), 0, 0.01);
  sleep_ms(50);
  EXPECT_EQ(w.failure(), "");
  {
    std::lock_guard<std::mutex> lock(comm.mu);
    comm.error = "remote process exited or there was a network error";
  }
  const std::string why = wait_for_failure(w);
  EXPECT_NE(why.find("NCCL rank 0 of 2: remote process exited"), std::string::npos) << why;
  sleep_ms(100);
  EXPECT_EQ(comm.aborts.load(), 1);
}

TEST(CollectiveWatchdog, TimeoutZeroWaitsForeverAndSetTimeoutAppliesToWaitingWork) {
  FakeComm comm;
  CollectiveWatchdog w("NCCL rank 1 of 2", comm.hooks(), 0, 0.01);
  comm.done = false;
  w.queued("ncclBroadcast(host)");  // rank 0 exporting for minutes: no timeout
  sleep_ms(400);
  EXPECT_EQ(w.failure(), "");
  w.set_timeout(0.1);  // the same work, now past a 0.1 s timeout
  EXPECT_NE(wait_for_failure(w).find("ncclBroadcast(host)"), std::string::npos);
  sleep_ms(50);
  EXPECT_EQ(comm.aborts.load(), 1);
}

TEST(CollectiveWatchdog, StoppedEarlyNeverAborts) {
  FakeComm comm;
  {
    CollectiveWatchdog w("NCCL rank 1 of 2", comm.hooks(), 0.05, 0.01);
    comm.done = false;
    w.queued("ncclAllReduce(sum, fp64, host)");
  }  // destroyed at once, well before the timeout
  sleep_ms(150);
  EXPECT_EQ(comm.aborts.load(), 0);
}

}  // namespace
