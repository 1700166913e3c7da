// sweep.h: `golf-export --sweep DIR`: the penalty-vs-bytes report of one trained model. Exports and scores (runtime,
// post-quantization) the named recipes and uniform all-matrix widths, each with round-to-nearest and with GPTQ, and
// the byte-budget allocator at the byte sizes of the uniform GPTQ points (equal-bytes comparison); writes
// DIR/sweep.csv, DIR/sweep.md and DIR/sweep.svg (post-quant BPB against counted artifact bytes).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "allocate.h"
#include "calib.h"
#include "pipeline.h"

namespace golf::train_export {

struct SweepPoint {
  std::string label;          // e.g. "q5 gptq", "all q4:g32 rtn", "auto gptq @ 1234567"
  std::string recipe;         // the recipe description the file carries
  bool gptq = false;
  uint64_t artifact_bytes = 0;// counted artifact (model without tokenizer + code)
  uint64_t tensor_bytes = 0;
  double bits_per_weight = 0; // 8 · tensor bytes / weights (every weight, scales included, after rANS)
  double val_bpb = 0;         // post-quantization (runtime)
  double penalty = 0;         // val_bpb - fp32 val_bpb
  double predicted_penalty = -1;  // auto only: the allocator's prediction in BPB (<0: none)
};

struct SweepOptions {
  std::string out_dir;
  ExportRunOptions run;          // scoring data and settings; its export options are the base (output paths replaced)
  std::vector<std::string> named = {"q8", "q6", "q5", "q4"};
  std::vector<std::string> uniform = {"q6:k12.85", "q5:k8", "q4:g32"};  // on every 2-D weight (embedding included)
  AllocSettings alloc;           // for the allocator points (GPTQ is used there)
};

// Runs the sweep (calib: training-token calibration; fp32 score once), fills *points and *fp32_bpb, writes the files.
Status run_sweep(const train_cpu::ParamLayout& layout, const float* params, const TokenizerData& tokenizer,
                 const CalibrationData& calib, const SweepOptions& options, std::vector<SweepPoint>* points,
                 double* fp32_bpb);

}  // namespace golf::train_export
