// model.h: forward and backward of the whole golf-gpt model on the GPU, the twins of train_cpu::model_forward and
// model_backward (trainer/cpu/model.h): the same sequence of layers (embedding + RMSNorm, per block resid_mix,
// attn RMSNorm, Q/K/V projections, QK-norm + RoPE + q_gain, attention, proj, scaled residual, MLP, U-Net skips,
// final norm, tied head, softcapped cross-entropy), every op the CUDA twin of the CPU op at that place, all enqueued
// on one stream with no host synchronisation. Every buffer comes from the arena planned by memory_plan.h.
//
// Differences from the CPU functions, each for a reason:
// - The loss scale of the backward is given to the forward (loss_scale > 0): the fused classifier turns the raw
//   logits into d(raw) in the same pass (fp32 logits are never stored), so the backward starts from them.
// - Token ids come from the host; the forward checks them there and, for training, plans the embedding backward's
//   buckets on the host (encoder_math.h) before copying both to the device.
// - Q, K and V are three GEMMs, not the GEMM plan's fused QKV product: QK-norm, RoPE and attention read contiguous
//   (N, H·hd) and (N, KV·hd) tensors (a fused product would write them interleaved per token).
// - Fused forward kernels replace CPU compositions: embedding → RMSNorm (encoder.h), resid_mix → attn_norm and
//   the scaled residual → mlp_norm (residual_norm.h), and with QK-norm, rms_norm → rope → head_gain and back
//   (qk_norm_rope.h); without QK-norm, rope_* and head_gain_* as the CPU.
// - The loss is a device double (one slot per micro-batch of a step), read back once per step by the caller.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "cpu/params.h"     // defines: ParamLayout, ModelParams
#include "cuda_common.h"    // defines: Status, bf16, Precision
#include "gemm.h"           // defines: GemmContext, GemmShape
#include "memory_plan.h"    // defines: MemoryPlan
#include "model_config.h"   // defines: ModelConfig

namespace golf::train_cuda {

// Saved activations of one block on the device (N = B·T rows; d, kv = KV·hd, hid): train_cpu::LayerActs in the
// activation type T, statistics fp32.
template <typename T>
struct DeviceLayerActs {
  T* xin = nullptr;   // (N, d) decoder input with its skip added; null where the block adds none
  T* xm = nullptr;    // (N, d)
  T* xn1 = nullptr;   // (N, d)
  float* r1 = nullptr;  // (N)
  T* qn = nullptr;    // (N, d)
  float* rq = nullptr;  // (N, H)
  T* qr = nullptr;    // (N, d) rope(qn); with QK-norm, the raw q projection (the fused kernel's input)
  T* qf = nullptr;    // (N, d)
  T* kn = nullptr;    // (N, kv)
  float* rk = nullptr;  // (N, KV)
  T* kf = nullptr;    // (N, kv)
  T* v = nullptr;     // (N, kv)
  T* att = nullptr;   // (N, d)
  float* lse = nullptr;  // (B, H, T)
  T* ao = nullptr;    // (N, d)
  T* xa = nullptr;    // (N, d)
  T* xn2 = nullptr;   // (N, d)
  float* r2 = nullptr;  // (N)
  T* hp = nullptr;    // (N, hid)
  T* ha = nullptr;    // (N, hid)
  T* mo = nullptr;    // (N, d)
  T* out = nullptr;   // (N, d)
};

template <typename T>
struct DeviceModel {
  ModelConfig config;
  train_cpu::ParamLayout layout;
  int rows_max = 0, T_max = 0;  // the plan's micro-batch
  int B = 0, T_len = 0;         // shape of the last forward (B, T)
  // Parameters: fp32 master (and its typed views p), the weights the GEMMs read in T (the bf16 copy, or the master
  // itself in fp32), fp32 gradients (views g). All (layout.total) flat, in the layout's order.
  float* params = nullptr;
  const T* weights = nullptr;
  float* grads = nullptr;
  train_cpu::ModelParams p, g;
  // One micro-batch's inputs (device) and the embedding backward's buckets.
  int32_t* ids = nullptr;        // (N)
  int32_t* targets = nullptr;    // (N)
  int32_t* enc_order = nullptr;  // (N)
  int32_t* enc_start = nullptr;  // (N + 1)
  int enc_count = 0;
  T* x0 = nullptr;      // (N, d)
  float* r0 = nullptr;  // (N)
  std::vector<DeviceLayerActs<T>> layers;
  T* xnf = nullptr;      // (N, d)
  float* rf = nullptr;   // (N)
  T* logits = nullptr;   // (N, V) raw logits; d(raw) after a training forward
  float* lse = nullptr;  // (N)
  float* nll = nullptr;  // (N)
  double* losses = nullptr;  // (max_micro) one mean loss per micro-batch of a step
  int max_micro = 0;
  T *dres = nullptr, *dx0 = nullptr, *dskip = nullptr, *dtmp = nullptr, *dtmp2 = nullptr;  // (N, d); dskip (S, N, d)
  T *dq = nullptr, *dk = nullptr, *dv = nullptr, *dh = nullptr;  // (N, d), (N, kv), (N, kv), (N, hid)
  double* colsum_scratch = nullptr;
  float* attn_scratch = nullptr;  // (B, H, T)
  float* rope_cos = nullptr;      // (T_max, rope_dims/2)
  float* rope_sin = nullptr;
  float* ones = nullptr;          // (d) of 1.0f: x + y as scaled_add_forward(x, ones, y)
  const GemmContext* gemm = nullptr;
  bool backward_ready = false;
  // Host work space of the bucket plan (sized at setup, so a step allocates nothing).
  std::vector<int32_t> host_order, host_start, host_scratch;

  // The T weights of a tensor given its fp32 master view (a pointer into params).
  const T* w(const float* master) const { return weights + (master - params); }
};

// Points m into the arena `base` (device, the plan's total bytes) by the plan's region names and fills the
// constant tables (RoPE, ones) with synchronous copies: setup only. `weights` is the plan's bf16 copy for bf16,
// the master for fp32 (T must match plan.input.act_bytes).
template <typename T>
Status device_model_init(const MemoryPlan& plan, void* base, const GemmContext* gemm, DeviceModel<T>* m);

// Every GEMM shape the model issues for a micro-batch of `rows` tokens (the GEMM plan's model and Newton–Schulz
// shapes, plus the three unfused Q/K/V forward products): what GemmContext plans at setup.
std::vector<GemmShape> device_model_gemm_shapes(const ModelConfig& cfg, int rows, int ns_steps);

// Forward over host ids (B, T) with host targets (B ≤ rows_max, T ≤ T_max; the GEMMs must be planned for B·T rows).
// loss (device double, may be null) = mean NLL; nll (device, B·T floats, may be null) = per-target NLL.
// loss_scale > 0: training; the classifier also writes d(loss_scale · loss)/d(raw logits) for model_backward.
// loss_scale == 0: forward only (evaluation).
template <typename T>
Status model_forward(DeviceModel<T>* m, const int32_t* ids, const int32_t* targets, int B, int T_, double* loss,
                     float* nll, float loss_scale, cudaStream_t stream);

// Backward of the last training forward: ACCUMULATES d(loss_scale · loss)/dθ into m->grads (zero them once per step).
// `layer_done` (may be empty) is called after block l's gradients are complete in the stream's order (l from the
// last block down), so data parallelism can start that layer's all-reduce while the backward goes on.
template <typename T>
Status model_backward(DeviceModel<T>* m, cudaStream_t stream, const std::function<Status(int layer)>& layer_done = {});

}  // namespace golf::train_cuda
