// optimizer.cpp: routing of tensors to Muon/Adam state, the per-step update, state save/load.
#include "optimizer.h"

#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "adam.h"  // defines: adam_update

namespace golf::train_cpu {

Status optimizer_init(const ParamLayout& layout, const OptimizerConfig& cfg, OptimizerState* o) {
  o->cfg = cfg;
  o->layout = layout;
  o->state_offset.assign(layout.tensors.size(), 0);
  o->muon_total = o->adam_total = 0;
  o->adam_step = 0;
  size_t max_numel = 1, max_side = 1;
  for (size_t i = 0; i < layout.tensors.size(); i++) {
    const ParamInfo& t = layout.tensors[i];
    size_t padded = (t.numel + 15) & ~size_t(15);
    if (t.group == ParamGroup::muon) {
      o->state_offset[i] = o->muon_total;
      o->muon_total += padded;
      max_numel = std::max(max_numel, t.numel);
      max_side = std::max(max_side, (size_t)std::min(t.shape[0], t.shape[1]));
    } else {
      o->state_offset[i] = o->adam_total;
      o->adam_total += padded;
    }
  }
  if (!o->muon_mem.allocate(o->muon_total * sizeof(float)) || !o->adam_m_mem.allocate(o->adam_total * sizeof(float)) ||
      !o->adam_v_mem.allocate(o->adam_total * sizeof(float)))
    return Status(StatusCode::out_of_memory, "optimizer: cannot allocate state");
  o->muon_momentum = (float*)o->muon_mem.data();
  o->adam_m = (float*)o->adam_m_mem.data();
  o->adam_v = (float*)o->adam_v_mem.data();
  // Largest first (longest-processing-time order) so the dynamic schedule balances the threads; NS costs about
  // numel·min_side per iteration.
  o->muon_order.clear();
  for (size_t i = 0; i < layout.tensors.size(); i++)
    if (layout.tensors[i].group == ParamGroup::muon) o->muon_order.push_back(i);
  auto cost = [&](size_t i) {
    const ParamInfo& t = layout.tensors[i];
    return (double)t.numel * (double)std::min(t.shape[0], t.shape[1]);
  };
  std::stable_sort(o->muon_order.begin(), o->muon_order.end(), [&](size_t a, size_t b) { return cost(a) > cost(b); });
  o->scratch = std::vector<MuonScratch>(omp_get_max_threads());
  for (MuonScratch& sc : o->scratch) GOLF_RETURN_IF_ERROR(muon_scratch_init(&sc, max_numel, max_side));
  return Status::Ok();
}

float muon_momentum_at(const OptimizerConfig& cfg, int64_t step) {
  double frac = cfg.muon_momentum_warmup_steps > 0
                    ? std::min((double)step / cfg.muon_momentum_warmup_steps, 1.0)
                    : 1.0;
  return (float)((1.0 - frac) * cfg.muon_momentum_warmup_start + frac * cfg.muon_momentum);
}

float optimizer_group_lr(const OptimizerConfig& cfg, ParamGroup g, bool tie_embeddings) {
  switch (g) {
    case ParamGroup::muon: return cfg.matrix_lr;
    case ParamGroup::adam_embed: return tie_embeddings ? cfg.tied_embed_lr : cfg.embed_lr;
    case ParamGroup::adam_head: return cfg.head_lr;
    case ParamGroup::adam_scalar: return cfg.scalar_lr;
  }
  return 0.0f;
}

Status optimizer_step(OptimizerState* o, ParamStore* ps, float lr_mul, int64_t step) {
  if (ps->layout.total != o->layout.total || ps->layout.tensors.size() != o->layout.tensors.size())
    return Status(StatusCode::invalid_argument, "optimizer_step: the optimizer was built for another model");
  const bool tied = o->layout.config.tie_embeddings;
  const float mu = muon_momentum_at(o->cfg, step);
  o->adam_step++;
  if ((int)o->scratch.size() < omp_get_max_threads())
    return Status(StatusCode::invalid_argument, "optimizer_step: more threads than when the optimizer was built");
  const int n_muon = (int)o->muon_order.size();
#pragma omp parallel for schedule(dynamic, 1)
  for (int k = 0; k < n_muon; k++) {
    const size_t i = o->muon_order[k];
    const ParamInfo& t = o->layout.tensors[i];
    const float lr = optimizer_group_lr(o->cfg, t.group, tied) * lr_mul;
    muon_update(ps->params + t.offset, o->muon_momentum + o->state_offset[i], ps->grads + t.offset, (int)t.shape[0],
                (int)t.shape[1], lr, mu, o->cfg.muon_backend_steps, &o->scratch[omp_get_thread_num()]);
  }
  optimizer_adam_update(o, ps, lr_mul);
  return Status::Ok();
}

void optimizer_adam_update(OptimizerState* o, ParamStore* ps, float lr_mul) {
  const bool tied = o->layout.config.tie_embeddings;
  for (size_t i = 0; i < o->layout.tensors.size(); i++) {
    const ParamInfo& t = o->layout.tensors[i];
    if (t.group == ParamGroup::muon) continue;
    const float lr = optimizer_group_lr(o->cfg, t.group, tied) * lr_mul;
    adam_update(ps->params + t.offset, o->adam_m + o->state_offset[i], o->adam_v + o->state_offset[i],
                ps->grads + t.offset, t.numel, lr, o->cfg.beta1, o->cfg.beta2, o->cfg.adam_eps, o->adam_step);
  }
}

std::vector<TensorRef> optimizer_state_refs(const OptimizerState& o) {
  std::vector<TensorRef> refs;
  for (size_t i = 0; i < o.layout.tensors.size(); i++) {
    const ParamInfo& t = o.layout.tensors[i];
    if (t.group == ParamGroup::muon) {
      refs.push_back({"muon.momentum." + t.name, TensorDtype::f32, t.shape, o.muon_momentum + o.state_offset[i]});
    } else {
      refs.push_back({"adam.m." + t.name, TensorDtype::f32, t.shape, o.adam_m + o.state_offset[i]});
      refs.push_back({"adam.v." + t.name, TensorDtype::f32, t.shape, o.adam_v + o.state_offset[i]});
    }
  }
  return refs;
}

Status optimizer_state_load(const TensorFile& file, OptimizerState* o) {
  for (const TensorRef& r : optimizer_state_refs(*o)) {
    const TensorFileEntry* e = file.find(r.name);
    if (!e) return Status(StatusCode::bad_format, "optimizer state '" + r.name + "' missing from the checkpoint");
    if (e->dtype != TensorDtype::f32 || e->shape != r.shape)
      return Status(StatusCode::bad_format, "optimizer state '" + r.name + "' has the wrong dtype or shape");
    std::memcpy(const_cast<void*>(r.data), file.data.data() + e->offset, e->numel * sizeof(float));
  }
  auto it = file.metadata.find("golf.adam_step");
  if (it == file.metadata.end()) return Status(StatusCode::bad_format, "checkpoint lacks metadata 'golf.adam_step'");
  o->adam_step = std::strtoll(it->second.c_str(), nullptr, 10);
  return Status::Ok();
}

}  // namespace golf::train_cpu
