// device_module.h: the seam between libgolf and a separately loaded backend module (libgolf-cuda.so, runtime/cuda):
// the one C entry point the module exports and the table of functions it returns. libgolf dlopens the module only
// when a session asks for that device, so an app that never does never loads CUDA. The two sides pass C++ objects
// (Model, InferenceSession, Status), so a module is used only with the libgolf of the same build: kDeviceModuleAbi
// changes whenever Model, ModelConfig, GolfFile, Status or InferenceSession change layout.
#pragma once
#include <memory>
#include <string>

#include "inference_session.h"
#include "status.h"

namespace golf {

class Model;

constexpr int kDeviceModuleAbi = 1;
// The name of the entry point: extern "C" const golf::DeviceModule* golf_device_module(int abi).
#define GOLF_DEVICE_MODULE_ENTRY "golf_device_module"

// Numeric precision of a device session's matrix products and attention.
enum class DevicePrecision {
  fp32,  // fp32 weights and activations: the reference, equal to the CPU's f32 path up to summation order
  bf16,  // bf16 weights and activations (the trainer's bf16 mode; fp32 accumulation and statistics): tensor cores
};

struct DeviceSessionOptions {
  int device_index = 0;
  int n_ctx = 0;    // positions of the KV cache; 0: the config's max_seq_len
  int n_batch = 0;  // tokens per forward pass (sum over sequences); 0: the module's default (many windows)
  DevicePrecision precision = DevicePrecision::fp32;
};

struct DeviceModule {
  int abi;           // kDeviceModuleAbi of the module's build
  const char* name;  // "cuda"
  // Devices usable; 0 with *why set when there are none (no driver, no device).
  int (*device_count)(std::string* why);
  Status (*create_session)(const Model& model, const DeviceSessionOptions& options,
                           std::unique_ptr<InferenceSession>* out);
};

}  // namespace golf

extern "C" {
// Returns the module's table when abi equals its kDeviceModuleAbi, else null.
typedef const golf::DeviceModule* (*golf_device_module_fn)(int abi);
}
