// muon_shard_plan.cpp: the longest-processing-time assignment of Muon matrices to ranks and the slab offsets of the
// all-gather that carries their updates.
#include "muon_shard_plan.h"

#include <algorithm>

namespace golf::train_cpu {

double muon_ns_cost(const ParamInfo& t) {
  if (t.shape.size() != 2) return 0.0;
  return (double)t.numel * (double)std::min(t.shape[0], t.shape[1]);
}

Status muon_shard_plan_build(const ParamLayout& layout, int world, MuonShardPlan* out) {
  if (world < 1) return Status(StatusCode::invalid_argument, "muon shard plan: world size must be at least 1");
  MuonShardPlan p;
  p.world = world;
  p.owner.assign(layout.tensors.size(), -1);
  p.slab_offset.assign(layout.tensors.size(), 0);
  p.owned.assign((size_t)world, {});
  p.rank_cost.assign((size_t)world, 0.0);
  p.slab_numel.assign((size_t)world, 0);
  std::vector<size_t> order;
  for (size_t i = 0; i < layout.tensors.size(); i++)
    if (layout.tensors[i].group == ParamGroup::muon) order.push_back(i);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return muon_ns_cost(layout.tensors[a]) > muon_ns_cost(layout.tensors[b]);
  });
  for (size_t i : order) {
    // The least loaded rank; min_element returns the first (lowest rank) among equals.
    const int r = (int)(std::min_element(p.rank_cost.begin(), p.rank_cost.end()) - p.rank_cost.begin());
    p.owner[i] = r;
    p.slab_offset[i] = p.slab_numel[(size_t)r];
    p.slab_numel[(size_t)r] += (layout.tensors[i].numel + 15) & ~size_t(15);
    p.owned[(size_t)r].push_back(i);
    p.rank_cost[(size_t)r] += muon_ns_cost(layout.tensors[i]);
  }
  p.slab_floats = *std::max_element(p.slab_numel.begin(), p.slab_numel.end());
  *out = std::move(p);
  return Status::Ok();
}

}  // namespace golf::train_cpu
