// allocate.h: the byte-budget allocator behind `--recipe auto`: measures, for every weight matrix and every
// candidate SPEC, the exact stored (rANS-coded) size and the calibration-loss increase of quantizing that tensor
// alone (training tokens, calib.h; GPTQ when asked), then chooses one SPEC per tensor to minimise the predicted loss
// (the sum of those increases) under a byte budget: a Lagrangian sweep over λ (each tensor picks argmin Δloss + λ·bytes)
// followed by greedy upgrades on marginal loss per byte with the bytes left. The result is a list of exact-name
// rules "NAME=SPEC" for the export, so the file it makes is reproducible with --quant rules.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "calib.h"   // defines: CalibrationData
#include "gptq.h"    // defines: GptqSettings
#include "params/param_layout.h"
#include "status.h"

namespace golf::train_export {

struct AllocOption {
  std::string spec;     // format/recipe.h SPEC, e.g. "q5:k8"
  uint64_t bytes = 0;   // stored bytes of the tensor with this SPEC (after its codec)
  double dloss = 0;     // calibration loss increase (nats per token) with only this tensor quantized so
};

struct AllocTensor {
  std::string name;
  uint64_t elements = 0;
  std::vector<AllocOption> options;  // at least one
};

struct AllocChoice {
  std::vector<int> option;       // per tensor: index into its options
  uint64_t bytes = 0;            // sum of the chosen options' bytes
  double predicted_dloss = 0;    // sum of the chosen options' dloss
};

// Chooses one option per tensor with total bytes <= budget, minimising the summed dloss (see above) of a cleaned
// copy of the measurements (clamped at 0, monotone in bytes: calibration noise cannot make a narrow width look
// free), then widening zero-gain tensors with the bytes left. predicted_dloss is in cleaned terms.
// invalid_argument when even the smallest option of every tensor exceeds the budget (the message says the minimum).
Status choose_under_budget(const std::vector<AllocTensor>& tensors, uint64_t budget, AllocChoice* out);

// Default candidate SPECs: widths 2..8 with the clips and groupings that measured best at each width.
const std::vector<std::string>& default_alloc_specs();

struct AllocSettings {
  std::vector<std::string> specs = default_alloc_specs();
  bool gptq = false;             // quantize with GPTQ (needs the calibration's Hessians)
  GptqSettings gptq_settings;
  int64_t loss_windows = 8;      // calibration windows the loss is measured on (0: all)
  uint64_t min_elements = 4096;  // smaller tensors (control tensors) are not allocated: they stay as the recipe has
  // Called after each tensor is measured (for progress lines); may be empty.
  std::function<void(const AllocTensor&, double seconds)> progress;
};

// Measures every allocatable tensor (2-D, name ending in ".weight", >= min_elements) at every SPEC its shape
// allows. *base_loss gets the fp32 calibration loss.
Status measure_alloc_tensors(const train_cpu::ParamLayout& layout, const float* params, const CalibrationData& calib,
                             const AllocSettings& settings, std::vector<AllocTensor>* out, double* base_loss);

}  // namespace golf::train_export
