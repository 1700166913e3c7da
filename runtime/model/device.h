// device.h: choosing where a session runs. "cpu" (the default) is the Session of session.h, always there; "cuda" and
// "cuda:N" load the CUDA module (libgolf-cuda.so) on first use. A build without CUDA, a missing module and a machine
// without a GPU each answer with StatusCode::unsupported and a message that says which, never a crash.
#pragma once
#include <memory>
#include <string>
#include <string_view>

#include "device_module.h"
#include "inference_session.h"
#include "model.h"
#include "session.h"
#include "status.h"

namespace golf {

struct DeviceChoice {
  enum Kind { cpu, cuda } kind = cpu;
  int index = 0;  // cuda:N
  std::string name() const { return kind == cpu ? "cpu" : "cuda:" + std::to_string(index); }
};

// "cpu", "cuda" (= cuda:0) or "cuda:N" (N a decimal index); an empty string is "cpu". invalid_argument otherwise.
Status parse_device(std::string_view text, DeviceChoice* out);

// Whether this libgolf was built with the CUDA module.
bool built_with_cuda();

// Loads the device module (once per process): $GOLF_CUDA_MODULE when set, else the module of this build tree, else
// libgolf-cuda.so from the library search path. unsupported with the reason when it cannot be loaded.
Status load_cuda_module(const DeviceModule** out);

struct SessionCreateOptions {
  SessionOptions cpu;  // n_ctx applies to every device; n_threads, n_batch and profile to the CPU
  std::string device = "cpu";
  DevicePrecision precision = DevicePrecision::fp32;  // device sessions only
  int device_max_tokens = 0;  // device sessions: tokens per forward pass (all sequences); 0: the module's default
};

// A session of model on options.device. unsupported: "built without CUDA", "no CUDA device", the module missing;
// invalid_argument: a malformed device or an index past the devices there are.
Status create_session(const Model& model, const SessionCreateOptions& options, std::unique_ptr<InferenceSession>* out);

}  // namespace golf
