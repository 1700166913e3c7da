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

namespace {

// dlopen + the ABI check; the handle stays open for the life of the process (the module's code and vtables are
// used through the objects it makes).
Status open_module(const std::string& path, void** handle) {
  void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char* e = dlerror();
    return Status(StatusCode::unsupported, "--backend cuda: cannot load " + path + " (" + (e ? e : "unknown error") +
                                               "); build golf with CUDA (-Dcuda=enabled) or use --backend cpu");
  }
  auto abi = reinterpret_cast<golf_train_cuda_abi_fn>(dlsym(h, "golf_train_cuda_abi"));
  if (!abi) {
    dlclose(h);
    return Status(StatusCode::unsupported,
                  "--backend cuda: " + path + " is not a golf CUDA trainer module (golf_train_cuda_abi missing)");
  }
  const char* tag = abi();
  if (!tag || std::string(tag) != GOLF_TRAIN_CUDA_ABI) {
    const std::string got = tag ? tag : "(null)";
    dlclose(h);
    return Status(StatusCode::unsupported, "--backend cuda: " + path + " was built for ABI " + got + ", this " +
                                               "golf-train needs " + GOLF_TRAIN_CUDA_ABI +
                                               ": rebuild both from the same tree");
  }
  *handle = h;
  return Status::Ok();
}

template <typename Fn>
Status module_symbol(void* h, const std::string& path, const char* name, Fn* fn) {
  *fn = reinterpret_cast<Fn>(dlsym(h, name));
  if (!*fn)
    return Status(StatusCode::unsupported,
                  "--backend cuda: " + path + " is not a golf CUDA trainer module (" + name + " missing)");
  return Status::Ok();
}

// The module's error code and message as a Status.
Status module_status(int code, const char* err, const std::string& what) {
  const StatusCode sc = code > 0 && code <= (int)StatusCode::cancelled ? (StatusCode)code : StatusCode::unsupported;
  return Status(sc, err[0] ? std::string(err) : what + ": the module failed with code " + std::to_string(code));
}

}  // namespace

Status backend_module_create(const std::string& path, const BackendSetup& setup, std::unique_ptr<TrainBackend>* out) {
  void* h = nullptr;
  GOLF_RETURN_IF_ERROR(open_module(path, &h));
  golf_train_cuda_create_fn create = nullptr;
  GOLF_RETURN_IF_ERROR(module_symbol(h, path, "golf_train_cuda_create", &create));
  TrainBackend* raw = nullptr;
  char err[1024] = {0};
  const int code = create(&setup, &raw, err, sizeof err);
  if (code != 0) {
    delete raw;
    return module_status(code, err, "--backend cuda");
  }
  if (!raw) return Status(StatusCode::unsupported, "--backend cuda: " + path + " returned no backend");
  out->reset(raw);
  return Status::Ok();
}

Status cuda_communicator_create(Communicator* mpi, std::unique_ptr<Communicator>* out) {
  Status st;
  for (const std::string& path : cuda_module_candidates()) {
    void* h = nullptr;
    st = open_module(path, &h);
    if (!st.ok()) {
      if (st.message().find("cannot load") != std::string::npos) continue;  // try the next place
      return st;
    }
    golf_train_cuda_communicator_create_fn create = nullptr;
    GOLF_RETURN_IF_ERROR(module_symbol(h, path, "golf_train_cuda_communicator_create", &create));
    Communicator* raw = nullptr;
    char err[1024] = {0};
    const int code = create(mpi, &raw, err, sizeof err);
    if (code != 0) {
      delete raw;
      return module_status(code, err, "NCCL communicator");
    }
    if (!raw) return Status(StatusCode::unsupported, "NCCL communicator: " + path + " returned none");
    out->reset(raw);
    return Status::Ok();
  }
  return st;
}

}  // namespace golf::train
