// optimizer.h: the challenge's optimizer set over a ParamStore: Muon for the block matrices, Adam for the
// embedding (and untied head) and for the control tensors, each with its base LR times a caller-given lr_mul, and
// Muon's momentum warm-up. State lives in flat buffers (checkpointable by name through optimizer_state_refs).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "aligned_buffer.h"  // defines: AlignedBuffer
#include "muon.h"            // defines: MuonScratch
#include "params/muon_shard_plan.h"  // defines: MuonShardPlan
#include "params/param_io.h"  // defines: TensorRef, TensorFile
#include "params.h"          // defines: ParamStore, ParamLayout, ParamGroup
#include "status.h"          // defines: Status

namespace golf::train_cpu {

// Defaults are the baseline train_gpt.py hyperparameters (challenge.md §1.1).
struct OptimizerConfig {
  float matrix_lr = 0.04f;     // Muon
  float scalar_lr = 0.04f;     // Adam, control tensors and skip_weights
  float tied_embed_lr = 0.05f; // Adam, tok_emb when tied
  float embed_lr = 0.6f;       // Adam, tok_emb when untied
  float head_lr = 0.008f;      // Adam, lm_head when untied
  float beta1 = 0.9f, beta2 = 0.95f, adam_eps = 1e-8f;
  float muon_momentum = 0.95f;
  float muon_momentum_warmup_start = 0.85f;
  int muon_momentum_warmup_steps = 500;
  int muon_backend_steps = 5;
};

struct OptimizerState {
  OptimizerConfig cfg;
  ParamLayout layout;
  std::vector<size_t> state_offset;  // per layout tensor: offset into muon_momentum (Muon) or adam_m/adam_v (Adam)
  size_t muon_total = 0, adam_total = 0;
  AlignedBuffer muon_mem, adam_m_mem, adam_v_mem;
  float* muon_momentum = nullptr;  // (muon_total) momentum buffers of the Muon tensors, layout order
  float* adam_m = nullptr;         // (adam_total) first moments of the Adam tensors, layout order
  float* adam_v = nullptr;         // (adam_total) second moments
  int64_t adam_step = 0;           // Adam updates done so far (torch's state["step"], equal for all Adam params)
  std::vector<size_t> muon_order;  // layout indices of the Muon tensors, most expensive Newton-Schulz first
  std::vector<MuonScratch> scratch;  // one per OpenMP thread
};

// Sizes Muon's scratch for the current OpenMP thread count (call threads_init first).
Status optimizer_init(const ParamLayout& layout, const OptimizerConfig& cfg, OptimizerState* out);

// μ at optimizer step `step` (0-based, as train_gpt.py's loop counter): linear from warmup_start to muon_momentum
// over muon_momentum_warmup_steps, then constant.
float muon_momentum_at(const OptimizerConfig& cfg, int64_t step);
// Base LR of a group (before lr_mul).
float optimizer_group_lr(const OptimizerConfig& cfg, ParamGroup g, bool tie_embeddings);

// One update of every parameter from ps->grads (which the caller has already averaged over micro-batches/ranks):
// group LR = base LR · lr_mul; Muon momentum = muon_momentum_at(step). Does not zero the gradients.
// Muon runs one matrix per OpenMP thread (largest first, like the challenge's rank-sharded Muon), each with
// single-threaded sgemm: one parallel region per step instead of dozens per matrix, and no slicing overhead.
Status optimizer_step(OptimizerState* o, ParamStore* ps, float lr_mul, int64_t step);

// The Adam half of optimizer_step (every non-Muon tensor, at step o->adam_step, which the caller has advanced).
void optimizer_adam_update(OptimizerState* o, ParamStore* ps, float lr_mul);

// Fills every rank's slab of `slabs` (plan.world · slab_floats floats, rank r's slab at r · slab_floats) from the
// rank that owns it; this rank's slab is filled on entry. The CPU backend passes the Communicator's all-gather.
using SlabAllGather = std::function<Status(float* slabs, size_t slab_floats)>;

// optimizer_step, data-parallel with sharded Muon (optimizer_sharded.cpp): this rank runs Muon's momentum and
// Newton-Schulz only for plan.owned[rank] (so only those momentum buffers are current here), puts the directions in
// its slab, all-gathers the slabs, then every rank applies every matrix's direction and runs Adam. The parameters
// are the same bits on every rank, and the same bits optimizer_step computes from the same gradients.
Status optimizer_step_sharded(OptimizerState* o, ParamStore* ps, float lr_mul, int64_t step, const MuonShardPlan& plan,
                              int rank, float* slabs, const SlabAllGather& all_gather);

// Checkpoint support: the state tensors named "muon.momentum.<param>", "adam.m.<param>", "adam.v.<param>", and the
// Adam step count as metadata "golf.adam_step".
std::vector<TensorRef> optimizer_state_refs(const OptimizerState& o);
Status optimizer_state_load(const TensorFile& file, OptimizerState* o);

}  // namespace golf::train_cpu
