// thread_pool.h: the runtime's small fixed thread pool. parallel_for(n_tasks, fn(task, thread)) hands tasks to
// n_threads threads (the caller is thread 0) with no allocation per call; workers spin briefly between calls so
// the per-token chain of small matmuls does not pay an OS wake-up each time, then sleep.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace golf::kernels {

class ThreadPool {
 public:
  // n_threads >= 1 (smaller values mean 1). With 1 every call runs inline. If the OS refuses a thread the pool
  // keeps the ones it got; n_threads() says how many there are.
  explicit ThreadPool(int n_threads);
  ~ThreadPool();  // stops and joins the workers; safe while they sleep or spin
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int n_threads() const { return (int)workers_.size() + 1; }

  // Calls fn(task, thread) for every task in [0, n_tasks), spread over the threads (thread in [0, n_threads())),
  // and returns when all are done. fn must not throw. Threads claim tasks one at a time, so a worker the OS has
  // not scheduled yet simply gets none: the call never waits for a thread that has nothing to do. A call from
  // inside a task of this pool, or while another thread is inside parallel_for of this pool, runs its tasks
  // inline on the calling thread (no deadlock).
  template <class Fn>
  void parallel_for(int n_tasks, Fn&& fn) {
    using F = std::remove_reference_t<Fn>;
    auto call = [](void* ctx, int task, int thread) { (*static_cast<F*>(ctx))(task, thread); };
    run(n_tasks, call, const_cast<void*>(static_cast<const void*>(&fn)));
  }

 private:
  using TaskFn = void (*)(void* ctx, int task, int thread);
  static constexpr int kMaxTasksPerJob = 0xFFFF;  // task index and count share the 64-bit job word
  void run(int n_tasks, TaskFn fn, void* ctx);
  void run_job(int n_tasks, TaskFn fn, void* ctx);
  void worker_main(int thread);
  void do_tasks(uint32_t job, int thread);
  int claim_task(uint32_t job);

  std::vector<std::thread> workers_;
  std::mutex run_mutex_;  // one parallel_for at a time
  // The current job: fn/ctx are written before the job word announces it and stay valid until every task of the
  // job is done; a thread reads them only after claiming a task of that job.
  TaskFn job_fn_ = nullptr;
  void* job_ctx_ = nullptr;
  uint32_t last_job_ = 0;  // caller side
  // bits 63-32: job id, 31-16: task count, 15-0: next task to claim. One word, so a claim can never mix one job's
  // id with another job's count.
  alignas(64) std::atomic<uint64_t> job_word_{0};
  alignas(64) std::atomic<int> tasks_done_{0};
  alignas(64) std::atomic<int> sleepers_{0};
  std::atomic<bool> stop_{false};
  std::mutex sleep_mutex_;
  std::condition_variable wake_;
};

}  // namespace golf::kernels
