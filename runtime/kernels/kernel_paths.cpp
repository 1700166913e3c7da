// kernel_paths.cpp: the one dispatch point of the kernels: detects what the CPU supports (cpuid on x86,
// AT_HWCAP on aarch64), honours GOLF_KERNEL, and holds the active KernelTable.
#include "kernel_paths.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "kernel_table.h"

#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1 << 20)
#endif
#endif

namespace golf::kernels {
namespace {

const char* const kPathNames[] = {"scalar", "neon", "neon_dotprod", "avx2", "avx512vnni"};
constexpr int kPathCount = 5;

bool cpu_supports(const char* name) {
  if (std::strcmp(name, "scalar") == 0) return true;
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (std::strcmp(name, "avx2") == 0) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                                              __builtin_cpu_supports("f16c");
  if (std::strcmp(name, "avx512vnni") == 0)
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni") &&
           __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
#elif defined(__aarch64__)
  if (std::strcmp(name, "neon") == 0) return true;  // Advanced SIMD is part of every aarch64 CPU
#if defined(__linux__)
  if (std::strcmp(name, "neon_dotprod") == 0) return (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
#endif
#endif
  return false;
}

const KernelTable* table_for(const char* name) {
  if (std::strcmp(name, "scalar") == 0) return kernel_table_scalar();
#if defined(__x86_64__)
  if (std::strcmp(name, "avx2") == 0) return kernel_table_avx2();
  if (std::strcmp(name, "avx512vnni") == 0) return kernel_table_avx512vnni();
#elif defined(__aarch64__)
  if (std::strcmp(name, "neon") == 0) return kernel_table_neon();
  if (std::strcmp(name, "neon_dotprod") == 0) return kernel_table_neon_dotprod();
#endif
  return nullptr;
}

const KernelTable* usable_table(const char* name) {
  if (name == nullptr) return nullptr;
  const KernelTable* t = table_for(name);
  return t != nullptr && cpu_supports(name) ? t : nullptr;
}

const KernelTable* best_table() {
  for (int i = kPathCount - 1; i >= 0; --i)
    if (const KernelTable* t = usable_table(kPathNames[i])) return t;
  return kernel_table_scalar();
}

const KernelTable* initial_table() {
  const char* forced = std::getenv("GOLF_KERNEL");
  if (forced == nullptr || forced[0] == '\0' || std::strcmp(forced, "auto") == 0) return best_table();
  if (const KernelTable* t = usable_table(forced)) return t;
  const KernelTable* best = best_table();
  // The one message the kernels print: a forced path that cannot run would otherwise be silently ignored.
  std::fprintf(stderr, "golf: GOLF_KERNEL=%s is not available on this machine; using %s\n", forced, best->name);
  return best;
}

std::atomic<const KernelTable*>& active_slot() {
  static std::atomic<const KernelTable*> slot{initial_table()};
  return slot;
}

}  // namespace

const KernelTable& active_kernel_table() { return *active_slot().load(std::memory_order_acquire); }

const char* kernel_path_name() { return active_kernel_table().name; }

bool select_kernel_path(const char* name) {
  if (name != nullptr && std::strcmp(name, "auto") == 0) {
    active_slot().store(best_table(), std::memory_order_release);
    return true;
  }
  const KernelTable* t = usable_table(name);
  if (t == nullptr) return false;
  active_slot().store(t, std::memory_order_release);
  return true;
}

bool kernel_path_available(const char* name) { return usable_table(name) != nullptr; }

const char* const* kernel_path_names(int* count) {
  if (count != nullptr) *count = kPathCount;
  return kPathNames;
}

}  // namespace golf::kernels
