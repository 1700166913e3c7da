// score.cpp: the two scores of score.h, both through the runtime's golf::Scorer (one loop: same windows, same
// document segments, same byte table, NLL in double, sums in stream order): post-quant with a Session over the
// exported file, pre-quant with the trainer's fp32 model_forward as the logits source.
#include "score.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <memory>

#include "byte_count.h"
#include "cpu/matmul.h"
#include "cpu/model.h"
#include "model.h"
#include "scorer.h"
#include "windows.h"  // defines: whole_window_tokens
#include "device.h"   // defines: create_session, SessionCreateOptions
#include "golf_file.h"  // defines: GolfFile::open_memory
#include "session.h"

namespace golf::train_export {

namespace {

using Clock = std::chrono::steady_clock;

template <class Tok>
Status prepare_tokens(const std::vector<Tok>& tokens, const ScoreSettings& settings, int window,
                      std::vector<int32_t>* out) {
  if (window < 1) return Status(StatusCode::invalid_argument, "score: window must be >= 1");
  int64_t n = (int64_t)tokens.size();
  if (settings.max_tokens > 0) n = std::min<int64_t>(n, settings.max_tokens);
  if (settings.trim_to_windows && n > 1) n = whole_window_tokens(n, window);
  if (n < 2)
    return Status(StatusCode::invalid_argument,
                  "score: " + std::to_string(tokens.size()) + " tokens leave no target" +
                      (settings.trim_to_windows ? " after trimming to whole windows of " + std::to_string(window)
                                                : std::string()));
  out->assign(tokens.begin(), tokens.begin() + n);
  return Status::Ok();
}

Status check_settings(const ScoreSettings& s, int window) {
  if (s.stride < 0 || s.stride > window)
    return Status(StatusCode::invalid_argument, "score: stride must be in [0, window " + std::to_string(window) + "]");
  if (s.parts < 1 || s.part < 0 || s.part >= s.parts)
    return Status(StatusCode::invalid_argument, "score: part " + std::to_string(s.part) + " of " +
                                                    std::to_string(s.parts) + " does not exist");
  if (s.parts > 1 && (s.stride != 0 || s.doc_isolated))
    return Status(StatusCode::invalid_argument,
                  "score: a split score needs non-overlapping windows (stride 0) without doc isolation");
  return Status::Ok();
}

// settings.part's share of the prepared stream: windows [first, last) of the k = ceil((n-1)/L) non-overlapping
// windows, i.e. tokens [first·L, last·L + 1), which the Scorer cuts into exactly those windows again. Empty when
// this part has no window.
void keep_share(const ScoreSettings& s, int window, std::vector<int32_t>* stream) {
  if (s.parts == 1) return;
  const int64_t n = (int64_t)stream->size(), k = (n - 1 + window - 1) / window;
  const int64_t first = k * s.part / s.parts, last = k * (s.part + 1) / s.parts;
  if (first == last) {
    stream->clear();
    return;
  }
  const int64_t end = std::min<int64_t>(last * window + 1, n);
  stream->erase(stream->begin() + end, stream->end());
  stream->erase(stream->begin(), stream->begin() + first * window);
}

// Scores the stream with the shared Scorer on `logits`, counting bytes with the tokenizer's byte rule.
Status run_scorer(LogitsSource& logits, const TokenizerData& tokenizer, const ModelConfig& cfg, int window,
                  const ScoreSettings& settings, const std::vector<int32_t>& stream, ScoreReport* out) {
  ByteCounter bytes(tokenizer, cfg.vocab_size);
  Scorer scorer(logits, bytes, cfg.bos_id);
  ScoreOptions opt;
  opt.window = window;
  opt.stride = settings.stride;
  opt.doc_isolated = settings.doc_isolated;
  const auto t0 = Clock::now();
  ScoreTotals t;
  if (stream.size() >= 2) GOLF_RETURN_IF_ERROR(scorer.score(stream.data(), (int64_t)stream.size(), opt, &t));
  ScoreReport r;
  r.nats = t.nats;
  r.tokens = t.tokens;
  r.bytes = t.bytes_rule;
  r.val_loss = t.loss();
  r.val_bpb = t.bits_per_byte(t.bytes_rule);
  r.window = window;
  r.stride = settings.stride;
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  *out = r;
  return Status::Ok();
}

// The trainer's fp32 forward as a logits source: batches of up to 4096 rows of equal-length windows (enough rows
// for efficient matmuls, while the forward-only arena stays near 200 MB at the baseline's shape).
class TrainerLogits : public LogitsSource {
 public:
  TrainerLogits(const train_cpu::ParamStore& params, int window)
      : params_(params), window_(window), b_max_(std::max(1, 4096 / window)) {}
  Status init() {
    return train_cpu::activations_init(params_.layout.config, b_max_, window_, &acts_, /*training=*/false);
  }
  int vocab_size() const override { return params_.layout.config.vocab_size; }
  int max_seq_len() const override { return params_.layout.config.max_seq_len; }
  int max_tokens() const override { return b_max_ * window_; }
  Status forward(const int32_t* ids, int B, int T, const float** logits) override {
    GOLF_RETURN_IF_ERROR(train_cpu::model_forward(params_, &acts_, ids, nullptr, B, T, nullptr));
    *logits = acts_.logits;
    return Status::Ok();
  }

 private:
  const train_cpu::ParamStore& params_;
  int window_, b_max_;
  train_cpu::Activations acts_;
};

}  // namespace

Status prepare_eval_tokens(const std::vector<uint16_t>& tokens, const ScoreSettings& settings, int window,
                           std::vector<int32_t>* out) {
  return prepare_tokens(tokens, settings, window, out);
}
Status prepare_eval_tokens(const std::vector<int32_t>& tokens, const ScoreSettings& settings, int window,
                           std::vector<int32_t>* out) {
  return prepare_tokens(tokens, settings, window, out);
}

// ---- post-quantization: the runtime -------------------------------------------------------------------------------

namespace {

// Scores the model `load` makes; `label` (a path, or "<rank 0's file>") prefixes errors.
template <class Tok>
Status score_model(const std::string& label, const std::function<Status(std::unique_ptr<Model>*)>& load,
                   const std::vector<Tok>& tokens, const ScoreSettings& settings, ScoreReport* out) {
  std::unique_ptr<Model> model;
  GOLF_RETURN_IF_ERROR(load(&model));
  const ModelConfig& cfg = model->config();
  if (!model->tokenizer())
    return Status(StatusCode::invalid_argument, label + ": the file has no tokenizer section; BPB needs one");
  const int window = settings.window > 0 ? settings.window : cfg.max_seq_len;
  GOLF_RETURN_IF_ERROR(check_settings(settings, window));
  std::vector<int32_t> stream;
  GOLF_RETURN_IF_ERROR(prepare_tokens(tokens, settings, window, &stream));
  keep_share(settings, window, &stream);

  SessionCreateOptions so;
  so.cpu.n_threads = settings.threads;
  so.cpu.n_ctx = window;
  so.cpu.n_batch = std::min(window, 512);
  so.device = settings.device.empty() ? "cpu" : settings.device;
  so.precision = DevicePrecision::fp32;  // the challenge's round trip: dequantized weights, fp32 math
  std::unique_ptr<InferenceSession> session;
  Status st = create_session(*model, so, &session);
  std::string note;
  if (!st.ok() && st.code() == StatusCode::unsupported && settings.device_fallback_cpu && so.device != "cpu") {
    note = st.message();
    so.device = "cpu";
    st = create_session(*model, so, &session);
  }
  GOLF_RETURN_IF_ERROR(st.prefix(label + ": "));
  SessionLogits logits(*session);
  GOLF_RETURN_IF_ERROR(
      run_scorer(logits, model->tokenizer()->data(), cfg, window, settings, stream, out).prefix(label + ": "));
  out->device = so.device;
  out->device_note = note;
  return Status::Ok();
}

template <class Tok>
Status score_file(const std::string& path, const std::vector<Tok>& tokens, const ScoreSettings& settings,
                  ScoreReport* out) {
  ModelOptions mo;
  mo.compute = settings.compute;
  const auto load = [&](std::unique_ptr<Model>* model) { return Model::load_file(path, mo, model); };
  return score_model(path, load, tokens, settings, out);
}

}  // namespace

Status score_golf_file(const std::string& path, const std::vector<uint16_t>& tokens, const ScoreSettings& settings,
                       ScoreReport* out) {
  return score_file(path, tokens, settings, out);
}
Status score_golf_file(const std::string& path, const std::vector<int32_t>& tokens, const ScoreSettings& settings,
                       ScoreReport* out) {
  return score_file(path, tokens, settings, out);
}

Status score_golf_memory(const void* data, size_t size, const std::string& label, const std::vector<int32_t>& tokens,
                         const ScoreSettings& settings, ScoreReport* out) {
  ModelOptions mo;
  mo.compute = settings.compute;
  const auto load = [&](std::unique_ptr<Model>* model) {
    std::unique_ptr<GolfFile> file;
    OpenOptions oo;
    GOLF_RETURN_IF_ERROR(GolfFile::open_memory(data, size, &file, oo, label));
    return Model::load(std::shared_ptr<const GolfFile>(std::move(file)), mo, model);
  };
  return score_model(label, load, tokens, settings, out);
}

// ---- pre-quantization: the trainer's fp32 forward ------------------------------------------------------------------

template <class Tok>
Status score_params(const train_cpu::ParamLayout& layout, const float* params, const TokenizerData& tokenizer,
                    const std::vector<Tok>& tokens, const ScoreSettings& settings, ScoreReport* out) {
  const ModelConfig& cfg = layout.config;
  GOLF_RETURN_IF_ERROR(cfg.validate());
  const int window = settings.window > 0 ? settings.window : cfg.max_seq_len;
  GOLF_RETURN_IF_ERROR(check_settings(settings, window));
  std::vector<int32_t> stream;
  GOLF_RETURN_IF_ERROR(prepare_tokens(tokens, settings, window, &stream));
  keep_share(settings, window, &stream);

  // model_forward only reads the parameters: a ParamStore that views the caller's buffer avoids a copy of the
  // whole model (the grads stay unallocated; nothing here runs a backward).
  train_cpu::ParamStore view;
  view.layout = layout;
  view.params = const_cast<float*>(params);
  train_cpu::model_params_point(view.layout, view.params, &view.p);

  if (settings.threads > 0) train_cpu::threads_init(settings.threads);
  TrainerLogits source(view, window);
  GOLF_RETURN_IF_ERROR(source.init());
  return run_scorer(source, tokenizer, cfg, window, settings, stream, out);
}

Status score_params_fp32(const train_cpu::ParamLayout& layout, const float* params, const TokenizerData& tokenizer,
                         const std::vector<uint16_t>& tokens, const ScoreSettings& settings, ScoreReport* out) {
  return score_params(layout, params, tokenizer, tokens, settings, out);
}
Status score_params_fp32(const train_cpu::ParamLayout& layout, const float* params, const TokenizerData& tokenizer,
                         const std::vector<int32_t>& tokens, const ScoreSettings& settings, ScoreReport* out) {
  return score_params(layout, params, tokenizer, tokens, settings, out);
}

}  // namespace golf::train_export
