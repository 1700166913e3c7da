// calib.h: calibration for GPTQ and the byte-budget allocator: runs the CPU trainer's fp32 forward
// (trainer/cpu/model.h) over windows of TRAINING tokens and accumulates, for every weight matrix, the Hessian of its
// layer's output error H = Σ xxᵀ over the rows x the matrix multiplies (its input activations); also the mean
// next-token loss of any parameter set on the same windows (the allocator's sensitivities). Never give it
// validation tokens: the export would then be tuned on what it is scored on.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "params/param_layout.h"  // defines: train_cpu::ParamLayout
#include "status.h"

namespace golf::train_export {

struct CalibrationData {
  // Weight name -> H (cols x cols, fp64, row-major), cols = the matrix's input width. Inputs of each matrix:
  // attn.c_q/c_k/c_v: attn_norm(x); attn.proj: the attention output; mlp.fc: mlp_norm(x); mlp.proj: act(fc);
  // tok_emb.weight when tied (and lm_head.weight): final_norm(x), the activations feeding the output head.
  std::map<std::string, std::vector<double>> hessians;
  std::vector<int32_t> windows;  // (num_windows, seq_len + 1) token windows used, for calibration_loss
  int seq_len = 0;
  int64_t tokens = 0;            // input tokens seen (num_windows · seq_len)
  double seconds = 0;            // time spent collecting
};

// Takes up to max_tokens tokens (whole windows of seq_len + 1, consecutive, not overlapping their targets) from
// the start of `train_tokens` and collects every Hessian. invalid_argument when fewer than one window is available.
Status collect_calibration(const train_cpu::ParamLayout& layout, const float* params,
                           const std::vector<int32_t>& train_tokens, int seq_len, int64_t max_tokens,
                           CalibrationData* out);

// collect_calibration on the first max_tokens tokens of the training shards `pattern` (a glob, .bin path, or a
// directory meaning DIR/fineweb_train_*.bin). Refuses shards named like validation ("_val_"): the export must
// never be tuned on the data it is scored on.
Status calibration_from_shards(const train_cpu::ParamLayout& layout, const float* params, const std::string& pattern,
                               int seq_len, int64_t max_tokens, CalibrationData* out);

// Mean next-token loss (nats) of `params` on the calibration windows (max_windows > 0: only the first ones).
Status calibration_loss(const train_cpu::ParamLayout& layout, const float* params, const CalibrationData& calib,
                        int64_t max_windows, double* loss);

}  // namespace golf::train_export
