// backend.cpp: the backend choice and the memory check every backend passes before it allocates (see backend.h).
#include "backend.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "backend_module.h"  // defines: cuda_module_candidates, backend_module_create
#include "cpu_backend.h"     // defines: make_cpu_backend, cpu_backend_memory_plan
#include "text_format.h"  // defines: strprintf

namespace golf::train {

bool cuda_backend_built() {
#ifdef GOLF_HAVE_CUDA_TRAINER
  return true;  // libgolf-train-cuda.so was built beside golf-train (backend_module.h)
#else
  return false;
#endif
}

size_t host_memory_available() {
  FILE* f = std::fopen("/proc/meminfo", "r");
  if (!f) return 0;
  char line[256];
  size_t kb = 0;
  while (std::fgets(line, sizeof line, f)) {
    unsigned long long v = 0;
    if (std::sscanf(line, "MemAvailable: %llu kB", &v) == 1) {
      kb = (size_t)v;
      break;
    }
  }
  std::fclose(f);
  return kb * 1024;
}

std::string memory_report_text(const MemoryReport& r, int copies) {
  std::string s = r.where + ":";
  for (const MemoryItem& i : r.items) s += strprintf(" %s %.1f MB,", i.name.c_str(), i.bytes / 1e6);
  s += strprintf(" total %.1f MB", r.total() / 1e6);
  if (copies > 1) s += strprintf(" x %d ranks on this machine", copies);
  if (r.available > 0) s += strprintf(" of %.1f MB available", r.available / 1e6);
  return s;
}

Status check_memory_plan(const MemoryReport& plan, int copies, bool force) {
  if (force || plan.available == 0) return Status::Ok();
  if ((double)plan.total() * copies <= (double)plan.available) return Status::Ok();
  return Status(StatusCode::invalid_argument,
                "the memory plan does not fit: " + memory_report_text(plan, copies) +
                    ". Lower it with a smaller --train-batch-tokens or a larger --grad-accum (the activations scale "
                    "with the micro-batch), or a smaller --val-batch-tokens (the validation arena); --force starts "
                    "anyway");
}

int ranks_on_this_machine() {
  for (const char* var : {"OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS"}) {
    if (const char* v = std::getenv(var)) return std::max(1, std::atoi(v));
  }
  return 1;
}

Status make_train_backend(const BackendSetup& setup, std::unique_ptr<TrainBackend>* out) {
  if (setup.backend == "cuda") {
    if (!cuda_backend_built())
      return Status(StatusCode::unsupported,
                    "--backend cuda: golf-train was built without the CUDA trainer (use --backend cpu)");
    // The module plans and checks device memory itself (its MemoryReport is the device's).
    Status st;
    for (const std::string& path : cuda_module_candidates()) {
      st = backend_module_create(path, setup, out);
      if (st.ok() || st.message().find("cannot load") == std::string::npos) return st;  // found: its answer
    }
    return st;
  }
  if (setup.backend != "cpu")
    return Status(StatusCode::invalid_argument, "--backend " + setup.backend + ": expected cpu or cuda");
  MemoryReport plan = cpu_backend_memory_plan(setup);
  plan.available = host_memory_available();
  GOLF_RETURN_IF_ERROR(check_memory_plan(plan, ranks_on_this_machine(), setup.force_memory));
  return make_cpu_backend(setup, out);
}

}  // namespace golf::train
