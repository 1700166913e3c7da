// device_weights.h: a golf-gpt model's weights on one GPU, made from the .golf file at session creation. Quantized
// tensors (q2..q8, raw or rANS in the file: the file layer has already decoded rANS) are dequantized on the device
// by format/cuda's dequantize_int8_rows_cuda from their int8 codes (format's codes_from_raw, which unpacks q4) and
// f16 scales: element for element what the CPU runtime's dequantizer gives (tests/format/test_cuda_ref checks the
// kernel's CPU reference against format's dequantize for every dtype). Float tensors are converted on the host by
// that same dequantizer and copied. Matrices are kept in fp32, plus a bf16 copy when the session runs in bf16.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "cuda/cuda_common.h"  // defines: bf16, Status, Precision
#include "golf_file.h"
#include "model_config.h"

namespace golf::runtime_cuda {

// Device allocations of one session, freed together; counts the bytes for the report.
class DeviceArena {
 public:
  DeviceArena() = default;
  DeviceArena(const DeviceArena&) = delete;
  DeviceArena& operator=(const DeviceArena&) = delete;
  ~DeviceArena();
  // bytes of device memory (256-byte aligned); out_of_memory names `what`.
  Status alloc(size_t bytes, const std::string& what, void** out);
  template <class T>
  Status alloc_n(size_t count, const std::string& what, T** out) {
    return alloc(count * sizeof(T), what, reinterpret_cast<void**>(out));
  }
  int64_t bytes() const { return bytes_; }

 private:
  std::vector<void*> blocks_;
  int64_t bytes_ = 0;
};

// One matrix (rows, cols) on the device: fp32 always, bf16 when asked.
struct DeviceMatrix {
  int rows = 0, cols = 0;
  float* f32 = nullptr;
  train_cuda::bf16* b16 = nullptr;
  template <typename T>
  const T* get() const;
};
template <>
inline const float* DeviceMatrix::get<float>() const { return f32; }
template <>
inline const train_cuda::bf16* DeviceMatrix::get<train_cuda::bf16>() const { return b16; }

struct DeviceBlock {
  DeviceMatrix c_q, c_k, c_v, attn_proj, fc, mlp_proj;
  float* q_gain = nullptr;      // (H)
  float* attn_scale = nullptr;  // (d)
  float* mlp_scale = nullptr;   // (d)
  float* resid_mix = nullptr;   // (2, d)
};

struct DeviceWeights {
  DeviceMatrix tok_emb;  // (V, d) fp32 (the embedding gather reads fp32; the tied head reads it as a matrix)
  DeviceMatrix head;     // tok_emb when tied, else lm_head
  float* skip_weights = nullptr;  // (S, d), null when S = 0
  std::vector<DeviceBlock> blocks;
};

// Builds the weights of `config` from `file` (already validated by Model::load) into arena on the current device.
Status upload_weights(const GolfFile& file, const ModelConfig& config, train_cuda::Precision precision,
                      cudaStream_t stream, DeviceArena* arena, DeviceWeights* out);

}  // namespace golf::runtime_cuda
