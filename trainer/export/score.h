// score.h: bits per byte of an exported model, exactly as the challenge accounts it (challenge.md §3): the
// post-quantization number by loading the .golf with the RUNTIME (golf::Model, Session, Scorer) — the official
// one — and the pre-quantization number by the CPU trainer's fp32 forward on the same tokens, the same windows
// (runtime/eval/windows.h) and the same byte table (runtime/eval/byte_count.h), so their difference is the
// quantization penalty and nothing else.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "model_weights.h"        // defines: ComputeMode
#include "params/param_layout.h"  // defines: train_cpu::ParamLayout
#include "status.h"
#include "tokenizer_data.h"       // defines: TokenizerData

namespace golf::train_export {

struct ScoreSettings {
  int window = 0;            // tokens per forward pass (L); 0: the model's max_seq_len
  int stride = 0;            // 0: non-overlapping windows (the baseline's score); S: sliding, each target once
  int threads = 0;           // 0: all cores
  int64_t max_tokens = 0;    // 0: the whole stream; else only its first max_tokens tokens
  bool doc_isolated = false; // context never crosses a BOS
  // The challenge trims the validation stream to whole windows, ((N-1)//L)*L + 1 tokens (whole_window_tokens):
  // true for the challenge's shards, false for a stream of text documents.
  bool trim_to_windows = true;
  // Runtime only: f32 dequantizes every weight at load and computes in fp32, which is the challenge's round trip
  // (dequantize, re-evaluate); automatic runs the runtime's int8/int4 kernels (activations quantized too), the
  // speed path of an app.
  ComputeMode compute = ComputeMode::f32;
  // Runtime only: "" or "cpu", or "cuda:N" for the runtime's CUDA session in fp32 (dequantized weights, the same
  // round trip); with device_fallback_cpu, a build or machine without it scores on the CPU instead.
  std::string device;
  bool device_fallback_cpu = false;
  // One share of a split score (the ranks of a multi-GPU run, each on its own device): the stream's
  // non-overlapping windows are cut into `parts` contiguous runs and this call scores run `part` (possibly none);
  // the parts' nats, tokens and bytes add up to the whole stream's. Needs stride 0 without doc_isolated, where each
  // window stands alone.
  int part = 0, parts = 1;
};

struct ScoreReport {
  double val_loss = 0;   // nats per target
  double val_bpb = 0;    // total nats / (ln 2 * bytes)
  double nats = 0;       // sum of -ln p(target)
  int64_t tokens = 0;    // targets scored
  int64_t bytes = 0;     // bytes by the challenge's per-token rule
  int window = 0;        // the window used
  int stride = 0;
  double seconds = 0;    // scoring only (not loading)
  std::string device = "cpu";  // where the runtime scored ("cpu" or "cuda:N"); the pre-quant score is the CPU's
  std::string device_note;     // why a requested device was not used (device_fallback_cpu), else empty
};

// The stream both scorers see: the first max_tokens tokens (when set), then trimmed to whole windows when
// settings.trim_to_windows. Fails when fewer than 2 tokens (one target) remain.
Status prepare_eval_tokens(const std::vector<uint16_t>& tokens, const ScoreSettings& settings, int window,
                           std::vector<int32_t>* out);
Status prepare_eval_tokens(const std::vector<int32_t>& tokens, const ScoreSettings& settings, int window,
                           std::vector<int32_t>* out);

// Post-quantization: loads `path` with the runtime and scores the tokens (challenge's official number). Token
// ids must be < the model's vocab_size; the file must have a tokenizer (the byte table comes from it).
Status score_golf_file(const std::string& path, const std::vector<uint16_t>& tokens, const ScoreSettings& settings,
                       ScoreReport* out);
Status score_golf_file(const std::string& path, const std::vector<int32_t>& tokens, const ScoreSettings& settings,
                       ScoreReport* out);
// The same from a file's bytes in memory (rank 0's export, broadcast to the other ranks of a run); `label` names it
// in errors. The bytes must outlive the call only.
Status score_golf_memory(const void* data, size_t size, const std::string& label, const std::vector<int32_t>& tokens,
                         const ScoreSettings& settings, ScoreReport* out);

// Pre-quantization: the trainer's fp32 forward (trainer/cpu/model.h) of `params` laid out as `layout`, with the
// byte table of `tokenizer`. settings.compute is ignored. Uses (and, with settings.threads > 0, sets) the OpenMP
// thread count of the CPU trainer.
Status score_params_fp32(const train_cpu::ParamLayout& layout, const float* params, const TokenizerData& tokenizer,
                         const std::vector<uint16_t>& tokens, const ScoreSettings& settings, ScoreReport* out);
Status score_params_fp32(const train_cpu::ParamLayout& layout, const float* params, const TokenizerData& tokenizer,
                         const std::vector<int32_t>& tokens, const ScoreSettings& settings, ScoreReport* out);

}  // namespace golf::train_export
