// device.cpp: device strings, the on-demand loading of the CUDA module (dlopen, never linked) and session creation
// on the chosen device.
#include "device.h"

#include <cstdlib>
#include <mutex>

#ifdef GOLF_CUDA_MODULE_BUILD_PATH
#include <dlfcn.h>  // only where the module exists: a build without CUDA (WebAssembly included) never links dlopen
#endif

namespace golf {

Status parse_device(std::string_view text, DeviceChoice* out) {
  DeviceChoice c;
  auto bad = [&]() {
    return Status(StatusCode::invalid_argument,
                  "device '" + std::string(text) + "': expected cpu, cuda or cuda:N (N a device index)");
  };
  if (text.empty() || text == "cpu") {
    *out = c;
    return Status::Ok();
  }
  if (text.substr(0, 4) != "cuda") return bad();
  c.kind = DeviceChoice::cuda;
  std::string_view rest = text.substr(4);
  if (!rest.empty()) {
    if (rest[0] != ':' || rest.size() < 2 || rest.size() > 5) return bad();
    int index = 0;
    for (char ch : rest.substr(1)) {
      if (ch < '0' || ch > '9') return bad();
      index = index * 10 + (ch - '0');
    }
    c.index = index;
  }
  *out = c;
  return Status::Ok();
}

bool built_with_cuda() {
#ifdef GOLF_CUDA_MODULE_BUILD_PATH
  return true;
#else
  return false;
#endif
}

#ifdef GOLF_CUDA_MODULE_BUILD_PATH
namespace {

struct LoadedModule {
  std::mutex mutex;
  bool tried = false;
  const DeviceModule* module = nullptr;
  std::string error;
};

LoadedModule& loaded() {
  static LoadedModule m;
  return m;
}

// Tries one path; on failure appends dlerror() to *errors.
const DeviceModule* try_load(const char* path, std::string* errors) {
  void* handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* e = dlerror();
    *errors += std::string(errors->empty() ? "" : "; ") + (e ? e : path);
    return nullptr;
  }
  auto entry = reinterpret_cast<golf_device_module_fn>(dlsym(handle, GOLF_DEVICE_MODULE_ENTRY));
  const DeviceModule* m = entry ? entry(kDeviceModuleAbi) : nullptr;
  if (m == nullptr) {
    *errors += std::string(errors->empty() ? "" : "; ") + path +
               ": not a golf device module of this libgolf's build (ABI " + std::to_string(kDeviceModuleAbi) + ")";
    dlclose(handle);
    return nullptr;
  }
  return m;  // stays loaded for the life of the process
}

}  // namespace

Status load_cuda_module(const DeviceModule** out) {
  LoadedModule& L = loaded();
  std::lock_guard<std::mutex> lock(L.mutex);
  if (!L.tried) {
    L.tried = true;
    std::string errors;
    const char* env = std::getenv("GOLF_CUDA_MODULE");
    if (env != nullptr && *env != '\0') {
      L.module = try_load(env, &errors);  // an explicit choice: no fallback
    } else {
      L.module = try_load(GOLF_CUDA_MODULE_BUILD_PATH, &errors);
      if (L.module == nullptr) L.module = try_load("libgolf-cuda.so", &errors);
    }
    if (L.module == nullptr) L.error = "device cuda: cannot load the CUDA module libgolf-cuda.so (" + errors + ")";
  }
  if (L.module == nullptr) return Status(StatusCode::unsupported, L.error);
  *out = L.module;
  return Status::Ok();
}
#else
Status load_cuda_module(const DeviceModule** /*out*/) {
  return Status(StatusCode::unsupported,
                "device cuda: this libgolf was built without CUDA (rebuild with nvcc and -Dcuda=enabled)");
}
#endif

Status create_session(const Model& model, const SessionCreateOptions& options,
                      std::unique_ptr<InferenceSession>* out) {
  if (out == nullptr) return Status(StatusCode::invalid_argument, "create_session: null out");
  DeviceChoice choice;
  GOLF_RETURN_IF_ERROR(parse_device(options.device, &choice));
  if (choice.kind == DeviceChoice::cpu) {
    std::unique_ptr<Session> s;
    GOLF_RETURN_IF_ERROR(Session::create(model, options.cpu, &s));
    *out = std::move(s);
    return Status::Ok();
  }
  const DeviceModule* m = nullptr;
  GOLF_RETURN_IF_ERROR(load_cuda_module(&m));
  std::string why;
  const int n = m->device_count(&why);
  if (n <= 0) return Status(StatusCode::unsupported, "device " + choice.name() + ": no CUDA device (" + why + ")");
  if (choice.index >= n)
    return Status(StatusCode::invalid_argument, "device " + choice.name() + ": this machine has " +
                                                    std::to_string(n) + " CUDA device(s), cuda:0 .. cuda:" +
                                                    std::to_string(n - 1));
  if (options.cpu.n_ctx < 0 || options.device_max_tokens < 0)
    return Status(StatusCode::invalid_argument, "create_session: n_ctx and device_max_tokens must be >= 0");
  DeviceSessionOptions d;
  d.device_index = choice.index;
  d.n_ctx = options.cpu.n_ctx;
  d.n_batch = options.device_max_tokens;
  d.precision = options.precision;
  return m->create_session(model, d, out);
}

}  // namespace golf
