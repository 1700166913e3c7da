// optimizer_sharded.cpp: the data-parallel optimizer step with sharded Muon (see optimizer.h): owners compute Muon
// directions, one all-gather spreads them, every rank applies them all. The directions travel in fp32 here (the
// CUDA backend sends bf16, as the challenge does); fp32 keeps every rank's parameters equal to a one-rank step's.
#include <omp.h>

#include <cstring>

#include "optimizer.h"

namespace golf::train_cpu {

Status optimizer_step_sharded(OptimizerState* o, ParamStore* ps, float lr_mul, int64_t step, const MuonShardPlan& plan,
                              int rank, float* slabs, const SlabAllGather& all_gather) {
  if (ps->layout.total != o->layout.total || ps->layout.tensors.size() != o->layout.tensors.size() ||
      plan.owner.size() != o->layout.tensors.size())
    return Status(StatusCode::invalid_argument, "optimizer_step_sharded: the optimizer was built for another model");
  if (rank < 0 || rank >= plan.world)
    return Status(StatusCode::invalid_argument, "optimizer_step_sharded: rank out of range");
  if ((int)o->scratch.size() < omp_get_max_threads())
    return Status(StatusCode::invalid_argument,
                  "optimizer_step_sharded: more threads than when the optimizer was built");
  const bool tied = o->layout.config.tie_embeddings;
  const float mu = muon_momentum_at(o->cfg, step);
  o->adam_step++;
  const std::vector<size_t>& mine = plan.owned[(size_t)rank];
  float* my_slab = slabs + (size_t)rank * plan.slab_floats;
  const int n_mine = (int)mine.size();
  // One owned matrix per thread, largest first, as optimizer_step does with all of them.
#pragma omp parallel for schedule(dynamic, 1)
  for (int k = 0; k < n_mine; k++) {
    const size_t i = mine[(size_t)k];
    const ParamInfo& t = o->layout.tensors[i];
    const float* X = muon_direction(o->muon_momentum + o->state_offset[i], ps->grads + t.offset, (int)t.shape[0],
                                    (int)t.shape[1], mu, o->cfg.muon_backend_steps,
                                    &o->scratch[omp_get_thread_num()]);
    std::memcpy(my_slab + plan.slab_offset[i], X, t.numel * sizeof(float));
  }
  GOLF_RETURN_IF_ERROR(all_gather(slabs, plan.slab_floats));
  const int n = (int)o->layout.tensors.size();
#pragma omp parallel for schedule(dynamic, 1)
  for (int i = 0; i < n; i++) {
    const ParamInfo& t = o->layout.tensors[(size_t)i];
    if (t.group != ParamGroup::muon) continue;
    const float lr = optimizer_group_lr(o->cfg, t.group, tied) * lr_mul;
    const float* X = slabs + (size_t)plan.owner[(size_t)i] * plan.slab_floats + plan.slab_offset[(size_t)i];
    muon_apply(ps->params + t.offset, X, (int)t.shape[0], (int)t.shape[1], lr);
  }
  optimizer_adam_update(o, ps, lr_mul);
  return Status::Ok();
}

}  // namespace golf::train_cpu
