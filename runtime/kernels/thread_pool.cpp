// thread_pool.cpp: the worker loop of ThreadPool: wait for a new job (spin, then sleep on a condition variable),
// claim tasks from the job word until none are left, count them done.
#include "thread_pool.h"

#include <algorithm>
#include <chrono>
#include <system_error>

namespace golf::kernels {
namespace {

// How long an idle worker spins before sleeping. Long enough to cover the gap between two matmuls of one token
// (attention, norms), short enough not to burn a core while the app is idle.
constexpr auto kSpinTime = std::chrono::microseconds(300);

// The pool whose tasks this thread is running, so a nested parallel_for runs inline instead of deadlocking.
thread_local const ThreadPool* tls_running_pool = nullptr;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

inline uint32_t job_of(uint64_t word) { return (uint32_t)(word >> 32); }
inline int count_of(uint64_t word) { return (int)((word >> 16) & 0xFFFF); }
inline int next_of(uint64_t word) { return (int)(word & 0xFFFF); }

}  // namespace

ThreadPool::ThreadPool(int n_threads) {
  if (n_threads < 1) n_threads = 1;
  workers_.reserve((size_t)n_threads - 1);
  for (int t = 1; t < n_threads; ++t) {
    try {
      workers_.emplace_back([this, t] { worker_main(t); });
    } catch (const std::system_error&) {
      break;  // keep the threads we have; n_threads() reports them
    }
  }
}

ThreadPool::~ThreadPool() {
  stop_.store(true);
  job_word_.store((uint64_t)(last_job_ + 1) << 32);  // a new job id wakes every worker; it has no tasks
  {
    std::lock_guard<std::mutex> lock(sleep_mutex_);
    wake_.notify_all();
  }
  for (std::thread& w : workers_) w.join();
}

// Returns the claimed task of `job`, or -1 when the job has none left (or is not the current one any more).
int ThreadPool::claim_task(uint32_t job) {
  uint64_t word = job_word_.load(std::memory_order_acquire);
  for (;;) {
    if (job_of(word) != job || next_of(word) >= count_of(word)) return -1;
    if (job_word_.compare_exchange_weak(word, word + 1, std::memory_order_acq_rel, std::memory_order_acquire))
      return next_of(word);
  }
}

void ThreadPool::do_tasks(uint32_t job, int thread) {
  const ThreadPool* outer = tls_running_pool;
  tls_running_pool = this;
  for (int task; (task = claim_task(job)) >= 0;) {
    job_fn_(job_ctx_, task, thread);
    tasks_done_.fetch_add(1, std::memory_order_release);
  }
  tls_running_pool = outer;
}

void ThreadPool::run(int n_tasks, TaskFn fn, void* ctx) {
  if (n_tasks <= 0) return;
  bool inline_only = workers_.empty() || n_tasks == 1 || tls_running_pool == this;
  std::unique_lock<std::mutex> run_lock(run_mutex_, std::defer_lock);
  if (!inline_only && !run_lock.try_lock()) inline_only = true;
  if (inline_only) {
    for (int task = 0; task < n_tasks; ++task) fn(ctx, task, 0);
    return;
  }
  // More tasks than the job word counts: run them as consecutive jobs (never needed by the kernels).
  for (int first = 0; first < n_tasks; first += kMaxTasksPerJob) {
    int count = std::min(kMaxTasksPerJob, n_tasks - first);
    if (first == 0 && count == n_tasks) {
      run_job(count, fn, ctx);
    } else {
      struct Shifted { TaskFn fn; void* ctx; int first; } shifted{fn, ctx, first};
      run_job(count, [](void* c, int task, int thread) {
        auto* s = static_cast<Shifted*>(c);
        s->fn(s->ctx, s->first + task, thread);
      }, &shifted);
    }
  }
}

void ThreadPool::run_job(int n_tasks, TaskFn fn, void* ctx) {
  job_fn_ = fn;
  job_ctx_ = ctx;
  tasks_done_.store(0, std::memory_order_relaxed);
  uint32_t job = ++last_job_;
  if (job == 0) job = ++last_job_;  // 0 is "no job yet" for the workers
  job_word_.store(((uint64_t)job << 32) | ((uint64_t)n_tasks << 16));  // seq_cst: publishes fn, ctx, done = 0
  if (sleepers_.load() > 0) {  // seq_cst pairs with the worker's increment before it re-checks the job word
    std::lock_guard<std::mutex> lock(sleep_mutex_);
    wake_.notify_all();
  }
  do_tasks(job, 0);
  // Wait only for tasks other threads claimed and are still running.
  for (unsigned spins = 0; tasks_done_.load(std::memory_order_acquire) != n_tasks; ++spins) {
    if (spins < 4096) {
      cpu_relax();
    } else {
      std::this_thread::yield();  // the thread running a task was descheduled; give its core back
    }
  }
}

void ThreadPool::worker_main(int thread) {
  uint32_t seen = 0;
  for (;;) {
    uint32_t job = job_of(job_word_.load(std::memory_order_acquire));
    if (job == seen) {
      auto spin_start = std::chrono::steady_clock::now();
      for (unsigned spins = 1; job == seen; ++spins) {
        cpu_relax();
        job = job_of(job_word_.load(std::memory_order_acquire));
        if ((spins & 255) == 0 && job == seen && std::chrono::steady_clock::now() - spin_start > kSpinTime) {
          std::unique_lock<std::mutex> lock(sleep_mutex_);
          sleepers_.fetch_add(1);  // seq_cst: either run_job() sees a sleeper or we see its new job
          wake_.wait(lock, [&] { return job_of(job_word_.load()) != seen; });
          sleepers_.fetch_sub(1);
          job = job_of(job_word_.load(std::memory_order_acquire));
          spin_start = std::chrono::steady_clock::now();
        }
      }
    }
    seen = job;
    if (stop_.load()) return;
    do_tasks(job, thread);
  }
}

}  // namespace golf::kernels
