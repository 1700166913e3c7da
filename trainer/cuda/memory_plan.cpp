// memory_plan.cpp: the device arena's regions in a fixed order (weights and optimizer state first, then the
// micro-batch's activations and work buffers, then workspace), their printout and the out-of-memory message.
#include "memory_plan.h"

#include <algorithm>
#include <cstdio>

#include "cpu/params.h"  // defines: ParamLayout, param_layout_build
#include "params/muon_shard_plan.h"  // defines: muon_shard_plan_build
#include "muon_momentum_math.h"  // defines: muon_blocks (the sum of squares' partials)
#include "rows_math.h"            // defines: colsum_chunks (the two-stage column sums' scratch)

namespace golf::train_cuda {

const MemoryRegion* MemoryPlan::find(const std::string& name) const {
  for (const MemoryRegion& r : regions)
    if (r.name == name) return &r;
  return nullptr;
}

size_t MemoryPlan::group_bytes(const std::string& group) const {
  size_t n = 0;
  for (const MemoryRegion& r : regions)
    if (r.group == group) n += r.bytes;
  return n;
}

std::vector<std::string> MemoryPlan::groups() const {
  std::vector<std::string> g;
  for (const MemoryRegion& r : regions)
    if (std::find(g.begin(), g.end(), r.group) == g.end()) g.push_back(r.group);
  return g;
}

static size_t align_arena(size_t n) { return (n + kArenaAlign - 1) / kArenaAlign * kArenaAlign; }

size_t memory_plan_ns_scratch_bytes(int act_bytes, size_t max_numel, size_t max_side) {
  return 2 * align_arena(max_numel * act_bytes) + 2 * align_arena(max_side * max_side * act_bytes);
}

Status memory_plan_build(const MemoryPlanInput& in, MemoryPlan* out) {
  GOLF_RETURN_IF_ERROR(in.model.validate());
  if (in.rows < 1 || in.T < 1 || (in.act_bytes != 2 && in.act_bytes != 4) || in.max_micro < 1 || in.world < 1)
    return Status(StatusCode::invalid_argument,
                  "memory plan: rows, T, max_micro and world must be >= 1 and act_bytes 2 (bf16) or 4 (fp32)");
  if ((int64_t)in.rows * in.T > (int64_t)1 << 30)
    return Status(StatusCode::invalid_argument, "memory plan: rows x T exceeds 2^30 tokens per micro-batch");
  train_cpu::ParamLayout layout;
  GOLF_RETURN_IF_ERROR(train_cpu::param_layout_build(in.model, &layout));
  MemoryPlan P;
  P.input = in;
  for (const train_cpu::ParamInfo& t : layout.tensors) {
    const size_t padded = (t.numel + 15) & ~size_t(15);  // train_cpu::optimizer_init's state offsets
    if (t.group == train_cpu::ParamGroup::muon) {
      P.muon_floats += padded;
      P.muon_max_numel = std::max(P.muon_max_numel, t.numel);
      P.muon_max_side = std::max(P.muon_max_side, (size_t)std::min(t.shape[0], t.shape[1]));
    } else {
      P.adam_floats += padded;
    }
  }
  const ModelConfig& c = in.model;
  const size_t N = (size_t)in.rows * in.T, d = c.model_dim, kv = c.kv_dim(), hid = c.mlp_hidden;
  const size_t H = c.num_heads, KV = c.num_kv_heads, V = c.vocab_size, S = c.num_skips(), e = in.act_bytes;
  const size_t f4 = sizeof(float), P_total = layout.total;
  size_t off = 0;
  auto take = [&](const std::string& name, const char* group, size_t bytes) {
    P.regions.push_back({name, group, off, bytes});
    off += align_arena(bytes > 0 ? bytes : 1);
  };
  // Weights and optimizer state (independent of the micro-batch).
  take("weights.master", "weights", P_total * f4);
  if (e == 2) take("weights.bf16", "weight copies", P_total * 2);  // the GEMMs' operands, rewritten after each update
  take("grads", "grads", P_total * f4);
  take("muon.momentum", "optimizer", P.muon_floats * f4);
  take("adam.m", "optimizer", P.adam_floats * f4);
  take("adam.v", "optimizer", P.adam_floats * f4);
  take("muon.ns_scratch", "optimizer", memory_plan_ns_scratch_bytes(in.act_bytes, P.muon_max_numel, P.muon_max_side));
  // The Nesterov direction u of one matrix (fp32) and its sum of squares' per-block partials (muon_momentum.h).
  take("muon.u", "optimizer", P.muon_max_numel * f4);
  take("muon.sumsq", "optimizer", (size_t)muon_blocks(P.muon_max_numel) * sizeof(double));
  if (in.world > 1) {
    // Sharded Muon: every rank's slab of updates in the activation type, all-gathered each step.
    train_cpu::MuonShardPlan shards;
    GOLF_RETURN_IF_ERROR(train_cpu::muon_shard_plan_build(layout, in.world, &shards));
    P.muon_slab_elems = shards.slab_floats;
    take("muon.slabs", "optimizer", (size_t)in.world * shards.slab_floats * e);
  }
  if (in.ema) take("ema", "ema", P_total * f4);
  // One micro-batch's inputs: token ids, targets, and the embedding backward's bucket plan (encoder_math.h).
  take("in.ids", "inputs", N * 4);
  take("in.targets", "inputs", N * 4);
  take("in.enc_order", "inputs", N * 4);
  take("in.enc_start", "inputs", (N + 1) * 4);
  // Activations saved for the backward (trainer/cpu/model.h LayerActs, in the activation type), fp32 statistics.
  take("act.x0", "activations", N * d * e);
  take("stat.r0", "statistics", N * f4);
  for (int l = 0; l < c.num_layers; l++) {
    const std::string p = "act." + std::to_string(l) + ".", s = "stat." + std::to_string(l) + ".";
    const int i = l - c.num_encoder_layers;
    if (i >= 0 && i < (int)S) take(p + "xin", "activations", N * d * e);  // decoder input with its skip added
    for (const char* n : {"xm", "xn1", "qn", "qr", "qf"}) take(p + n, "activations", N * d * e);
    for (const char* n : {"kn", "kf", "v"}) take(p + n, "activations", N * kv * e);
    for (const char* n : {"att", "ao", "xa", "xn2"}) take(p + n, "activations", N * d * e);
    for (const char* n : {"hp", "ha"}) take(p + n, "activations", N * hid * e);
    for (const char* n : {"mo", "out"}) take(p + n, "activations", N * d * e);
    take(s + "r1", "statistics", N * f4);
    take(s + "rq", "statistics", N * H * f4);
    take(s + "rk", "statistics", N * KV * f4);
    take(s + "lse", "statistics", N * H * f4);
    take(s + "r2", "statistics", N * f4);
  }
  take("act.xnf", "activations", N * d * e);
  take("stat.rf", "statistics", N * f4);
  // Classifier: the tied head's raw logits in the activation type, overwritten by d(raw) (fp32 logits are never
  // stored); fp32 lse and nll; one double loss per micro-batch of a step.
  take("cls.logits", "classifier", N * V * e);
  take("cls.lse", "classifier", N * f4);
  take("cls.nll", "classifier", N * f4);
  take("cls.losses", "classifier", (size_t)in.max_micro * sizeof(double));
  // Backward work buffers, reused by every block (trainer/cpu/model.h Activations).
  for (const char* n : {"dres", "dx0", "dtmp", "dtmp2", "dq"}) take(std::string("bwd.") + n, "backward", N * d * e);
  take("bwd.dskip", "backward", S * N * d * e);
  take("bwd.dk", "backward", N * kv * e);
  take("bwd.dv", "backward", N * kv * e);
  take("bwd.dh", "backward", N * hid * e);
  // Workspace: cuBLASLt's, the fixed-order reductions' partials, the attention
  // backward's row terms D (B, H, T), the RoPE tables, a row of ones (x + 1⊙y adds through scaled_add_forward).
  take("gemm.workspace", "workspace", kArenaGemmWorkspace);
  // Column sums: chunks × d partials (per-channel grads, q_gain's per-head sums); the fused QK-norm/RoPE backward's
  // q_gain: one double per (token, head) plus chunks × H (qk_norm_rope.h). The model checks both at setup.
  const size_t chunks = (size_t)colsum_chunks((int)N);
  const size_t colsum = std::max(chunks * std::max(d, H * (size_t)c.head_dim()), N * H + chunks * H);
  take("scratch.colsum", "workspace", colsum * sizeof(double));
  take("scratch.attention", "workspace", (size_t)in.rows * H * in.T * f4);
  const size_t half = c.rope_dims / 2 > 0 ? c.rope_dims / 2 : 1;
  take("rope.cos", "workspace", (size_t)in.T * half * f4);
  take("rope.sin", "workspace", (size_t)in.T * half * f4);
  take("const.ones", "workspace", d * f4);
  P.total = off;
  *out = std::move(P);
  return Status::Ok();
}

static std::string mib(size_t bytes) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f MiB", bytes / 1048576.0);
  return b;
}

std::string memory_plan_text(const MemoryPlan& plan, size_t free_bytes) {
  const MemoryPlanInput& in = plan.input;
  std::string s = "device memory plan: " + std::to_string(in.rows) + " x " + std::to_string(in.T) +
                  " tokens per micro-batch, " + (in.act_bytes == 2 ? "bf16" : "fp32") + " activations\n";
  for (const std::string& g : plan.groups()) {
    char line[128];
    const size_t b = plan.group_bytes(g);
    std::snprintf(line, sizeof line, "  %-14s %12s  %5.1f%%\n", g.c_str(), mib(b).c_str(),
                  plan.total ? 100.0 * b / plan.total : 0.0);
    s += line;
  }
  s += "  total          " + mib(plan.total);
  if (free_bytes > 0) {
    char line[64];
    std::snprintf(line, sizeof line, " (%.0f%% of %s free)", 100.0 * plan.total / free_bytes, mib(free_bytes).c_str());
    s += line;
  }
  return s + "\n";
}

std::string memory_plan_oom_message(const MemoryPlan& plan, size_t free_bytes, size_t device_total) {
  std::string s = "the CUDA trainer needs " + mib(plan.total) + " of device memory, but only " + mib(free_bytes) +
                  " of " + mib(device_total) + " is free; ";
  // Name the two largest groups, so the flag to change is obvious.
  std::vector<std::pair<size_t, std::string>> g;
  for (const std::string& name : plan.groups()) g.push_back({plan.group_bytes(name), name});
  std::sort(g.rbegin(), g.rend());
  s += "largest: ";
  for (size_t i = 0; i < g.size() && i < 2; i++) s += (i ? ", " : "") + g[i].second + " " + mib(g[i].first);
  s += ". Activations scale with the micro-batch: raise --grad-accum (or lower --train-batch-tokens or --seq-len)";
  if (plan.input.act_bytes == 4) s += ", or use --precision bf16 (half the activations)";
  if (plan.input.ema) s += "; --ema-decay 0 drops the EMA copy";
  return s + "; --force starts anyway";
}

Status memory_plan_check(const MemoryPlan& plan, size_t free_bytes, size_t device_total, bool force) {
  if (force || plan.total <= free_bytes) return Status::Ok();
  return Status(StatusCode::out_of_memory, memory_plan_oom_message(plan, free_bytes, device_total));
}

}  // namespace golf::train_cuda
