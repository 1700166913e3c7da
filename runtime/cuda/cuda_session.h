// cuda_session.h: golf::runtime_cuda::CudaSession, the InferenceSession of one GPU: the weights dequantized on the
// device at creation (device_weights.h), then the golf-gpt forward pass (forward_graph.h) on the CUDA
// trainer's kernels (embedding, RMSNorm, resid_mix and scaled residuals, QK-norm + RoPE + q gain, FlashAttention-2
// style causal attention, relu² activation) and cuBLASLt GEMMs (train_cuda::GemmContext), in fp32 (the reference,
// no TF32) or bf16. forward_sequences / forward_nll run many scoring windows in one pass; decode() runs the new
// tokens only, against a KV cache of n_ctx positions (attention_past.h).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "cuda/cuda_common.h"  // defines: Precision, bf16, Status
#include "device_module.h"
#include "device_weights.h"
#include "cuda/gemm.h"  // defines: GemmContext
#include "inference_session.h"
#include "model.h"

namespace golf::runtime_cuda {

class CudaSession : public InferenceSession {
 public:
  static Status create(const Model& model, const DeviceSessionOptions& options, std::unique_ptr<InferenceSession>* out);
  ~CudaSession() override;

  const Model& model() const override { return model_; }
  std::string device() const override { return "cuda:" + std::to_string(device_index_); }
  void reset() override { n_past_ = 0; }
  int n_past() const override { return n_past_; }
  int n_ctx() const override { return n_ctx_; }
  int n_batch() const override { return max_rows_; }
  Status decode(const int32_t* tokens, int n, float* logits, bool all_logits) override;
  Status forward_sequences(const int32_t* ids, int B, int T, float* logits, int vocab) override;
  bool has_device_nll() const override { return true; }
  Status forward_nll(const int32_t* ids, const int32_t* targets, int B, int T, double* nll) override;
  int max_sequence_tokens() const override { return max_rows_; }
  int64_t device_peak_bytes() const override { return arena_.bytes(); }

 private:
  explicit CudaSession(const Model& model) : model_(model) {}
  Status init(const DeviceSessionOptions& options);
  // The forward pass of B sequences of T tokens (ids on the host); when logits is not null, copies rows
  // [row0, B·T) of the fp32 logits (B·T, V) to it. past >= 0 (B = 1): decoding after `past` cached positions.
  Status run(const int32_t* ids, int B, int T, int row0, float* logits, int past = -1);
  Status check_ids(const int32_t* ids, int n) const;
  template <typename T>
  Status forward(int B, int T_, int past);
  Status plan_gemms(int N);

  const Model& model_;
  int device_index_ = 0;
  train_cuda::Precision precision_ = train_cuda::Precision::fp32;
  int n_ctx_ = 0, max_rows_ = 0;
  int n_past_ = 0;  // positions in the KV cache (decode)
  cudaStream_t stream_ = nullptr;
  DeviceArena arena_;
  DeviceWeights w_;
  train_cuda::GemmContext gemm_;
  std::vector<int> planned_rows_;

  // Activations, (rows, width), in the session's type (fp32 or bf16; sized for fp32).
  void* x_ = nullptr;        // (N, d) residual stream
  void* x0_ = nullptr;       // (N, d)
  void* xn_ = nullptr;       // (N, d)
  void* q_ = nullptr;        // (N, d)
  void* k_ = nullptr;        // (N, kv)
  void* v_ = nullptr;        // (N, kv)
  void* y_ = nullptr;        // (N, d) QK-norm output the fused kernel keeps (unused in inference)
  void* attn_ = nullptr;     // (N, d)
  void* hidden_ = nullptr;   // (N, hidden)
  void* sub_out_ = nullptr;  // (N, d)
  void* skips_ = nullptr;    // (S, N, d)
  void* logits_t_ = nullptr; // (N, V) the head's output in the session's type
  float* logits_ = nullptr;  // (N, V) fp32 after the softcap
  float* rstd_ = nullptr;    // (N · H)
  int32_t* ids_ = nullptr;   // (N)
  int32_t* targets_ = nullptr;  // (N) scoring targets, −1 where not scored
  double* nll_ = nullptr;       // (N)
  float* cos_ = nullptr;     // (n_ctx, rope_dims / 2)
  float* sin_ = nullptr;
  void* k_cache_ = nullptr;  // (layers, n_ctx, kv) in the session's type
  void* v_cache_ = nullptr;
};

}  // namespace golf::runtime_cuda
