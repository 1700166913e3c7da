// export.h: the trainer's exit to the runtime: the fp32 parameters of a golf-gpt model (the CPU trainer's flat
// buffer, or a copy of the GPU one) -> one .golf file (format/SPEC.md) with the config, the tokenizer, provenance
// metadata and every tensor quantized by a recipe (recipes.h), written atomically, with a per-tensor report of
// stored bytes, bits per weight and quantization error. golf-train calls it at the end of training, golf-export on
// a checkpoint.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dtype.h"                // defines: Dtype, Codec
#include "params/param_layout.h"  // defines: train_cpu::ParamLayout
#include "calib.h"                // defines: CalibrationData
#include "golf_writer.h"          // defines: TensorRecord
#include "gptq.h"                 // defines: GptqSettings
#include "quant.h"                // defines: QuantError
#include "recipe.h"               // defines: TensorPlan
#include "status.h"
#include "tokenizer_data.h"       // defines: TokenizerData

namespace golf::train_export {

// What the caller knows about how the weights were made; every field that is set becomes a META key (SPEC.md
// §3.2). Unset fields are simply absent from the file.
struct ExportProvenance {
  std::optional<int64_t> train_steps;        // META train_steps
  std::optional<double> train_seconds;       // META train_seconds (wallclock of the training loop)
  std::optional<int64_t> train_tokens;       // META train_tokens
  std::optional<int64_t> seed;               // META seed
  std::optional<double> val_bpb_pre_quant;   // META val_bpb_pre_quant: the fp32 model's score before export
  std::string data_sha256;                   // META data_sha256 (e.g. the manifest's digest of the train shards)
  std::string source_revision;               // META source_revision (git describe / commit)
  std::string created_by = "golf-export";    // META created_by
  // More META strings, key a-z 0-9 _ . (invalid keys are an error).
  std::vector<std::pair<std::string, std::string>> extra;
};

struct ExportOptions {
  std::string output_path;                // written atomically (temp file, fsync, rename)
  std::string recipe = "challenge";       // recipes.h: challenge, q8, q6, q5, q4, f16, f32
  std::vector<std::string> rules;         // "PATTERN=SPEC", before the recipe; first match wins
  ExportProvenance provenance;
  // When set, every quantized matrix with a Hessian in it is quantized by GPTQ (gptq.h) instead of
  // round-to-nearest, with the same scales; tensors without one (control tensors, floats) are unchanged.
  const CalibrationData* calibration = nullptr;
  GptqSettings gptq;
  // Called with the finished report (sizes known) before the file is written; an error stops the export with
  // nothing written and *report filled.
  std::function<Status(const struct ExportReport&)> before_write;
};

struct TensorExportInfo {
  std::string name;
  std::vector<uint64_t> dims;
  std::string spec;             // the SPEC the tensor was stored with, e.g. "q8:p99.99984:floor1/127"
  Dtype dtype = Dtype::f32;
  Codec codec = Codec::raw;
  uint32_t group_size = 0;
  uint64_t elements = 0;
  uint64_t stored_bytes = 0;    // bytes in the DATA section after the codec (codes + scales)
  double bits_per_weight = 0;   // 8 * stored_bytes / elements
  QuantError error;             // max |w - w'| and sqrt(sum (w - w')^2 / sum w^2) of the round trip
  bool gptq = false;            // quantized by GPTQ (else round-to-nearest or a float dtype)
};

struct ExportReport {
  std::string path;
  std::string recipe;           // ExportRecipe::describe()
  std::vector<TensorExportInfo> tensors;  // SPEC.md §3.1 order
  uint64_t file_bytes = 0;      // the whole .golf: what counts against the budget
  uint64_t tensor_bytes = 0;    // sum of stored_bytes
  uint64_t tokenizer_bytes = 0; // the TOKN section; with an nmt_nfkc tokenizer mostly its normalization charsmap
  uint64_t charsmap_bytes = 0;  // of which SentencePiece's precompiled_charsmap
  uint64_t weights = 0;         // parameters (sum of elements)
  double bits_per_weight = 0;   // 8 * file_bytes / weights
  double max_abs_error = 0;     // over every weight
  double rel_rms_error = 0;     // sqrt(sum over all weights of (w - w')^2 / sum w^2)
  double seconds = 0;           // quantize + encode + write
  double gptq_seconds = 0;      // of which GPTQ
  int gptq_tensors = 0;         // tensors quantized by GPTQ
};

// make_tensor_record (format/recipe.h) with GPTQ instead of round-to-nearest: the same scales, codes from gptq.h.
Status make_gptq_record(const std::string& name, const std::vector<uint64_t>& dims, const float* values,
                        const TensorPlan& plan, const std::vector<double>& hessian, const GptqSettings& settings,
                        TensorRecord* out, QuantError* error);

// Exports `params` (layout.total floats laid out as `layout`) with the tokenizer into options.output_path.
// Fails (writing nothing) on an unknown recipe, a bad rule, a tensor the recipe cannot store (e.g. q4 on a width
// that 32 does not divide), non-finite weights, or a tokenizer with more pieces than the vocabulary.
Status export_model(const train_cpu::ParamLayout& layout, const float* params, const TokenizerData& tokenizer,
                    const ExportOptions& options, ExportReport* report);

}  // namespace golf::train_export
