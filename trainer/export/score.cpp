// score.cpp: the two scorers of score.h. The runtime one is golf::Scorer over a Session. The trainer one mirrors
// Scorer's loop exactly (same document segments, same plan_eval_windows, each window an independent sequence at
// positions 0..L-1, NLL from the softcapped fp32 logits as a max-subtracted log-sum-exp in double, targets summed
// in stream order), batching windows of equal length through model_forward.
#include "score.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>

#include "byte_count.h"
#include "cpu/matmul.h"
#include "cpu/model.h"
#include "model.h"
#include "scorer.h"
#include "session.h"
#include "windows.h"

namespace golf::train_export {

namespace {

using Clock = std::chrono::steady_clock;

template <class Tok>
Status prepare_tokens(const std::vector<Tok>& tokens, const ScoreSettings& settings, int window,
                      std::vector<int32_t>* out) {
  if (window < 1) return Status(StatusCode::invalid_argument, "score: window must be >= 1");
  int64_t n = (int64_t)tokens.size();
  if (settings.max_tokens > 0) n = std::min<int64_t>(n, settings.max_tokens);
  if (settings.trim_to_windows && n > 1) n = (n - 1) / window * window + 1;
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
  return Status::Ok();
}

void finish(const ScoreTotals& t, int window, int stride, Clock::time_point t0, ScoreReport* out) {
  ScoreReport r;
  r.nats = t.nats;
  r.tokens = t.tokens;
  r.bytes = t.bytes_rule;
  r.val_loss = t.loss();
  r.val_bpb = t.bits_per_byte(t.bytes_rule);
  r.window = window;
  r.stride = stride;
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  *out = r;
}

// [begin, end) token ranges scored independently: the whole stream, or (doc_isolated) one per document, split
// exactly as Scorer splits them (each runs to the next BOS inclusive, so the BOS is its own document's target).
std::vector<std::pair<int64_t, int64_t>> segments(const std::vector<int32_t>& tokens, bool doc_isolated, int bos) {
  const int64_t n = (int64_t)tokens.size();
  if (!doc_isolated) return {{0, n}};
  std::vector<std::pair<int64_t, int64_t>> out;
  int64_t a = 0;
  while (a < n - 1) {
    int64_t b = a + 1;
    while (b < n - 1 && tokens[b] != bos) b++;
    out.push_back({a, b + 1});
    a = b;
  }
  return out;
}

// -ln softmax(logits)[target] in double, as runtime/eval/scorer.cpp computes it.
double nll_of(const float* logits, int vocab, int target) {
  float mx = logits[0];
  for (int v = 1; v < vocab; v++) mx = std::max(mx, logits[v]);
  double sum = 0;
  for (int v = 0; v < vocab; v++) sum += std::exp((double)logits[v] - (double)mx);
  return std::log(sum) + (double)mx - (double)logits[target];
}

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

template <class Tok>
Status score_file(const std::string& path, const std::vector<Tok>& tokens, const ScoreSettings& settings,
                  ScoreReport* out) {
  ModelOptions mo;
  mo.compute = settings.compute;
  std::unique_ptr<Model> model;
  GOLF_RETURN_IF_ERROR(Model::load_file(path, mo, &model));
  const ModelConfig& cfg = model->config();
  if (!model->tokenizer())
    return Status(StatusCode::invalid_argument, path + ": the file has no tokenizer section; BPB needs one");
  const int window = settings.window > 0 ? settings.window : cfg.max_seq_len;
  GOLF_RETURN_IF_ERROR(check_settings(settings, window));
  std::vector<int32_t> stream;
  GOLF_RETURN_IF_ERROR(prepare_tokens(tokens, settings, window, &stream));

  SessionOptions so;
  so.n_threads = settings.threads;
  so.n_ctx = window;
  so.n_batch = std::min(window, 512);
  std::unique_ptr<Session> session;
  GOLF_RETURN_IF_ERROR(Session::create(*model, so, &session).prefix(path + ": "));
  ByteCounter bytes(model->tokenizer()->data(), cfg.vocab_size);
  Scorer scorer(*session, bytes, cfg.bos_id);
  ScoreOptions opt;
  opt.window = window;
  opt.stride = settings.stride;
  opt.doc_isolated = settings.doc_isolated;
  const auto t0 = Clock::now();
  ScoreTotals totals;
  GOLF_RETURN_IF_ERROR(scorer.score(stream.data(), (int64_t)stream.size(), opt, &totals).prefix(path + ": "));
  finish(totals, window, settings.stride, t0, out);
  return Status::Ok();
}

Status score_golf_file(const std::string& path, const std::vector<uint16_t>& tokens, const ScoreSettings& settings,
                       ScoreReport* out) {
  return score_file(path, tokens, settings, out);
}
Status score_golf_file(const std::string& path, const std::vector<int32_t>& tokens, const ScoreSettings& settings,
                       ScoreReport* out) {
  return score_file(path, tokens, settings, out);
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
  const int V = cfg.vocab_size;
  for (size_t i = 0; i < stream.size(); i++)
    if (stream[i] < 0 || stream[i] >= V)
      return Status(StatusCode::invalid_argument, "score: token " + std::to_string(stream[i]) + " at position " +
                                                      std::to_string(i) + " is outside the vocabulary [0, " +
                                                      std::to_string(V) + ")");

  // model_forward only reads the parameters: a ParamStore that views the caller's buffer avoids a copy of the
  // whole model (the grads stay unallocated; nothing here runs a backward).
  train_cpu::ParamStore view;
  view.layout = layout;
  view.params = const_cast<float*>(params);
  train_cpu::model_params_point(view.layout, view.params, &view.p);

  if (settings.threads > 0) train_cpu::threads_init(settings.threads);
  // Batches of up to 4096 rows of equal-length windows: enough rows for efficient matmuls, while the forward-only
  // arena (about 25 floats per row per model_dim, plus the logits) stays near 200 MB at the baseline's shape.
  const int B_max = std::max(1, 4096 / window);
  train_cpu::Activations acts;
  GOLF_RETURN_IF_ERROR(train_cpu::activations_init(cfg, B_max, window, &acts, /*training=*/false));
  ByteCounter bytes(tokenizer, V);

  const auto t0 = Clock::now();
  ScoreTotals totals;
  std::vector<int32_t> ids((size_t)B_max * window);
  std::vector<double> nll((size_t)B_max * window);
  for (const auto& seg : segments(stream, settings.doc_isolated, cfg.bos_id)) {
    const int32_t* tok = stream.data() + seg.first;
    const std::vector<EvalWindow> plan = plan_eval_windows(seg.second - seg.first, window, settings.stride);
    for (size_t w0 = 0; w0 < plan.size();) {
      // A batch: consecutive windows of the same length.
      const int T = (int)plan[w0].length;
      size_t w1 = w0 + 1;
      while (w1 < plan.size() && (int)(w1 - w0) < B_max && plan[w1].length == T) w1++;
      const int B = (int)(w1 - w0);
      for (int b = 0; b < B; b++) std::copy(tok + plan[w0 + b].start, tok + plan[w0 + b].start + T, ids.data() + (size_t)b * T);
      GOLF_RETURN_IF_ERROR(train_cpu::model_forward(view, &acts, ids.data(), nullptr, B, T, nullptr));
#pragma omp parallel for schedule(static)
      for (int r = 0; r < B * T; r++) {
        const EvalWindow& w = plan[w0 + r / T];
        const int p = r % T;
        nll[r] = p >= w.score_from ? nll_of(acts.logits + (size_t)r * V, V, tok[w.start + p + 1]) : 0.0;
      }
      // Summed in stream order, as the runtime's Scorer sums them.
      for (int b = 0; b < B; b++) {
        const EvalWindow& w = plan[w0 + b];
        for (int64_t p = w.score_from; p < w.length; p++) {
          totals.nats += nll[(size_t)b * T + p];
          totals.bytes_rule += bytes.bytes(tok[w.start + p], tok[w.start + p + 1]);
          totals.tokens++;
        }
      }
      w0 = w1;
    }
  }
  finish(totals, window, settings.stride, t0, out);
  return Status::Ok();
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
