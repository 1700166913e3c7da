// muon_shard_plan.h: which rank runs Newton-Schulz for which Muon matrix when training data-parallel (the
// challenge's sharded Muon, cuda-trainer.md §2). Each Muon matrix gets exactly one owner rank; the owner keeps its
// momentum and computes its update, and the updates travel in one all-gather of equal-size per-rank slabs. The plan
// is a pure function of the layout and the world size, so every rank computes the same one without talking, and
// every backend (CPU under MPI, CUDA under NCCL) shares it.
#pragma once
#include <cstddef>
#include <vector>

#include "param_layout.h"  // defines: ParamLayout
#include "status.h"               // defines: Status

namespace golf::train_cpu {

struct MuonShardPlan {
  int world = 1;
  std::vector<int> owner;                      // per layout tensor: owning rank, -1 for tensors not in Muon
  std::vector<size_t> slab_offset;             // per layout tensor: floats into its owner's slab (Muon tensors)
  std::vector<std::vector<size_t>> owned;      // per rank: layout indices it owns, most expensive first
  std::vector<double> rank_cost;               // per rank: sum of its matrices' cost (muon_ns_cost)
  std::vector<size_t> slab_numel;              // per rank: floats its updates take in its slab
  size_t slab_floats = 0;                      // every slab's size: the largest slab_numel, padded to 16 floats
};

// Newton-Schulz cost of a (rows, cols) matrix up to a constant: numel · min(rows, cols) per iteration.
double muon_ns_cost(const ParamInfo& t);

// The longest-processing-time plan: Muon matrices sorted by cost, largest first (ties: layout order), each to the
// rank with the least cost so far (ties: the lowest rank). Its makespan is at most the mean load plus the largest
// single cost. Within a slab the owner's matrices follow its owned order, each on a 16-float boundary.
Status muon_shard_plan_build(const ParamLayout& layout, int world, MuonShardPlan* out);

}  // namespace golf::train_cpu
