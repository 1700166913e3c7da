// model.h: forward and backward of the whole golf-gpt model (the challenge's GPT) on the CPU in fp32, for a batch
// of (B, T) token ids, with every activation the backward needs kept in one preallocated arena (no allocation per
// step). Loss = mean cross-entropy over the B·T targets of softcapped logits.
#pragma once
#include <cstdint>
#include <vector>

#include "aligned_buffer.h"  // defines: AlignedBuffer
#include "model_config.h"    // defines: ModelConfig
#include "params.h"          // defines: ParamStore
#include "status.h"          // defines: Status

namespace golf::train_cpu {

// Saved activations of one block (N = B·T rows; d, kv = KV·hd, hid = mlp_hidden).
struct LayerActs {
  float* xin;  // (N, d) block input: the previous output, plus skip_weights⊙(popped skip) in decoder blocks
  float* xm;   // (N, d) resid_mix[0]⊙xin + resid_mix[1]⊙x0
  float* xn1;  // (N, d) attn_norm(xm)
  float* r1;   // (N) its 1/rms
  float* qn;   // (N, d) q after QK-norm (raw q when qk_norm is off), before RoPE
  float* rq;   // (N, H) QK-norm 1/rms of q per head
  float* qr;   // (N, d) rope(qn)
  float* qf;   // (N, d) qr·q_gain, the attention's query
  float* kn;   // (N, kv) k after QK-norm, before RoPE
  float* rk;   // (N, KV)
  float* kf;   // (N, kv) rope(kn), the attention's key
  float* v;    // (N, kv)
  float* att;  // (N, d) attention output, before attn.proj
  float* lse;  // (B, H, T) attention row logsumexp
  float* ao;   // (N, d) attn.proj(att)
  float* xa;   // (N, d) xm + attn_scale⊙ao
  float* xn2;  // (N, d) mlp_norm(xa)
  float* r2;   // (N)
  float* hp;   // (N, hid) mlp.fc(xn2)
  float* ha;   // (N, hid) act(hp)
  float* mo;   // (N, d) mlp.proj(ha)
  float* out;  // (N, d) xa + mlp_scale⊙mo
};

struct Activations {
  ModelConfig config;
  int B_max = 0, T_max = 0;  // capacity
  int B = 0, T = 0;          // shape of the last forward
  bool training = true;      // false: forward-only arena (blocks share buffers, no backward)
  AlignedBuffer mem;         // one arena for everything below
  int32_t* ids = nullptr;      // (B_max·T_max) copy of the last forward's inputs
  int32_t* targets = nullptr;  // (B_max·T_max)
  float* x0 = nullptr;         // (N, d) rmsnorm(tok_emb[ids])
  float* r0 = nullptr;         // (N)
  std::vector<LayerActs> layers;
  float* xnf = nullptr;     // (N, d) final_norm(last block output)
  float* rf = nullptr;      // (N)
  float* logits = nullptr;  // (N, V) softcapped logits after a forward; overwritten by the backward
  float* lse = nullptr;     // (N) logsumexp of each row of logits
  float* rope_cos = nullptr;  // (T_max, rope_dims/2)
  float* rope_sin = nullptr;  // (T_max, rope_dims/2)
  float* attn_scratch = nullptr;
  // Backward work buffers, reused by every block.
  float* dres = nullptr;   // (N, d) gradient of the residual stream at the current block boundary
  float* dx0 = nullptr;    // (N, d) gradient of x0, summed over all resid_mix uses
  float* dskip = nullptr;  // (S, N, d) gradient reaching encoder outputs through the skips
  float* dtmp = nullptr;   // (N, d)
  float* dtmp2 = nullptr;  // (N, d)
  float* dq = nullptr;     // (N, d)
  float* dk = nullptr;     // (N, kv)
  float* dv = nullptr;     // (N, kv)
  float* dh = nullptr;     // (N, hid)
  int attn_threads = 0;    // threads the attention scratch was sized for
  bool backward_ready = false;  // a forward with targets ran and its logits were not consumed yet
  double loss = 0;
};

// Sizes the arena for batches up to (B_max, T_max) (T_max ≤ any length the model may see; RoPE tables cover it).
// Uses the current OpenMP thread count: call threads_init first. training = false builds a forward-only arena for
// evaluation: one set of block buffers shared by all blocks (about 1/num_layers of the memory), no backward; its
// layers[] point into the shared set, so only the last block's activations are meaningful after a forward.
Status activations_init(const ModelConfig& cfg, int B_max, int T_max, Activations* a, bool training = true);
// The bytes activations_init would allocate for the same arguments (at the current thread count), for memory plans.
size_t activations_bytes(const ModelConfig& cfg, int B_max, int T_max, bool training = true);

// Forward over ids (B, T). With targets: *loss = mean NLL, nll (B·T, optional) = per-target NLL in nats, and the
// activations are kept for model_backward. Without targets: only a->logits (B·T, V) is produced.
Status model_forward(const ParamStore& ps, Activations* a, const int32_t* ids, const int32_t* targets, int B, int T,
                     double* loss, float* nll = nullptr);

// Backward of the last forward: ACCUMULATES d(loss_scale · loss)/dθ into ps->grads. For gradient accumulation over
// k micro-batches, zero the grads once and pass loss_scale = 1/k each time. Consumes the forward (logits are
// overwritten), so a second call without a new forward fails.
Status model_backward(ParamStore* ps, Activations* a, float loss_scale);

// Matmul FLOPs of forward+backward per token at sequence length T (6·N_matmul + causal attention), for MFU figures.
double model_train_flops_per_token(const ModelConfig& cfg, int T);

}  // namespace golf::train_cpu
