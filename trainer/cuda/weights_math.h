// weights_math.h: the per-element arithmetic of weights.cu: the EMA of the master weights, in the operation order
// of the CPU backend's ema_update (trainer/train/cpu_backend.cpp: keep·ema + take·param with keep = d, take = 1 − d,
// fp32), and the bf16 working copy (round to nearest even, device_math.h's bf16_round on the host). Host tests:
// tests/trainer/cuda/test_optimizer_math.cpp.
#pragma once
#include "rows_math.h"  // defines: GOLF_HD, mul_rn, add_rn

namespace golf::train_cuda {

GOLF_HD float ema_value(float ema, float param, float keep, float take) {
  return add_rn(mul_rn(keep, ema), mul_rn(take, param));
}

}  // namespace golf::train_cuda
