// backend_module.cpp: golf-train's side of libgolf-train-cuda.so (backend_module.h): find the module, dlopen it,
// check its ABI tag, call its factory. golf-train links no CUDA library; only this file knows the module exists.
#include "backend_module.h"

#include <dlfcn.h>

#include <cstdlib>

namespace golf::train {

std::vector<std::string> cuda_module_candidates() {
  std::vector<std::string> c;
  if (const char* env = std::getenv("GOLF_TRAIN_CUDA_MODULE"); env && *env) {
    c.push_back(env);
    return c;  // an explicit choice is the only one tried
  }
#ifdef GOLF_TRAIN_CUDA_MODULE_BUILD_PATH
  c.push_back(GOLF_TRAIN_CUDA_MODULE_BUILD_PATH);
#endif
#ifdef GOLF_TRAIN_CUDA_MODULE_INSTALL_PATH
  c.push_back(GOLF_TRAIN_CUDA_MODULE_INSTALL_PATH);
#endif
  c.push_back(GOLF_TRAIN_CUDA_MODULE);
  return c;
}

Status backend_module_create(const std::string& path, const BackendSetup& setup, std::unique_ptr<TrainBackend>* out) {
  void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char* e = dlerror();
    return Status(StatusCode::unsupported, "--backend cuda: cannot load " + path + " (" + (e ? e : "unknown error") +
                                               "); build golf with CUDA (-Dcuda=enabled) or use --backend cpu");
  }
  auto abi = reinterpret_cast<golf_train_cuda_abi_fn>(dlsym(h, "golf_train_cuda_abi"));
  auto create = reinterpret_cast<golf_train_cuda_create_fn>(dlsym(h, "golf_train_cuda_create"));
  if (!abi || !create) {
    dlclose(h);
    return Status(StatusCode::unsupported, "--backend cuda: " + path + " is not a golf CUDA trainer module " +
                                               "(golf_train_cuda_abi / golf_train_cuda_create missing)");
  }
  const char* tag = abi();
  if (!tag || std::string(tag) != GOLF_TRAIN_CUDA_ABI) {
    const std::string got = tag ? tag : "(null)";
    dlclose(h);
    return Status(StatusCode::unsupported, "--backend cuda: " + path + " was built for ABI " + got + ", this " +
                                               "golf-train needs " + GOLF_TRAIN_CUDA_ABI +
                                               ": rebuild both from the same tree");
  }
  // The module stays loaded: the backend's code (and its vtable) live in it.
  TrainBackend* raw = nullptr;
  char err[1024] = {0};
  const int code = create(&setup, &raw, err, sizeof err);
  if (code != 0) {
    delete raw;
    const StatusCode sc = code > 0 && code <= (int)StatusCode::cancelled ? (StatusCode)code : StatusCode::unsupported;
    return Status(sc, err[0] ? std::string(err)
                             : "--backend cuda: the module failed with code " + std::to_string(code));
  }
  if (!raw) return Status(StatusCode::unsupported, "--backend cuda: " + path + " returned no backend");
  out->reset(raw);
  return Status::Ok();
}

}  // namespace golf::train
