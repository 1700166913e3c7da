// linear.h: runs one or more linear layers that read the same input (q/k/v; fc; proj; the head) as one job on the
// thread pool: the output rows of all layers are cut into ranges of 32 and shared out, so there is one hand-off
// per group instead of one per layer, and the input is quantized once for the whole group (by the caller).
#pragma once
#include <cstddef>

#include "model_weights.h"
#include "quant_matrix.h"
#include "status.h"
#include "thread_pool.h"

namespace golf {

// The input of a group: x [rows][cols] fp32 (rows densely packed) and, when some layer of the group is quantized,
// the same rows quantized (acts->rows == rows).
struct LinearInput {
  const float* x = nullptr;
  const kernels::QuantActs* acts = nullptr;
  int rows = 0;
};

// y [rows][w->rows] with row stride ldy = x · Wᵀ.
struct LinearTarget {
  const Linear* w = nullptr;
  float* y = nullptr;
  size_t ldy = 0;
};

// Called on the task's thread after it computed columns [n0, n1) of target `target` for every row (e.g. to apply
// the activation and quantize those columns). n0 is a multiple of 32.
struct LinearEpilogue {
  void (*fn)(void* ctx, int target, int n0, int n1) = nullptr;
  void* ctx = nullptr;
};

// Computes every target. pool may be null. Fails (invalid_argument) on a shape mismatch.
Status linear_forward(const LinearInput& in, const LinearTarget* targets, int n_targets, kernels::ThreadPool* pool,
                      const LinearEpilogue& epilogue = LinearEpilogue());

}  // namespace golf
