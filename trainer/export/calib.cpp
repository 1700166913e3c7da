// calib.cpp: collect_calibration and calibration_loss (calib.h) on the CPU trainer's forward with a training arena,
// which keeps every block's activations, so one forward gives the inputs of every matrix.
#include "calib.h"

#include <algorithm>
#include <chrono>

#include "cpu/matmul.h"  // defines: train_cpu::syrk_upper
#include "cpu/model.h"   // defines: train_cpu::model_forward, Activations
#include "shard.h"       // defines: shard_pattern, read_shard_tokens

namespace golf::train_export {

namespace {

constexpr int kWindowsPerBatch = 8;

train_cpu::ParamStore view_of(const train_cpu::ParamLayout& layout, const float* params) {
  train_cpu::ParamStore view;  // model_forward only reads parameters; no grads are allocated
  view.layout = layout;
  view.params = const_cast<float*>(params);
  train_cpu::model_params_point(view.layout, view.params, &view.p);
  return view;
}

// H (cols x cols, fp64) += Xᵀ X for X (n, cols) fp32, via one fp32 syrk (n is one batch, so fp32 sums are short).
void add_gram(const float* x, int n, int cols, std::vector<float>* scratch, std::vector<double>* h) {
  scratch->assign((size_t)cols * cols, 0.0f);
  train_cpu::syrk_upper(true, cols, n, 1.0f, x, cols, 0.0f, scratch->data(), cols);
  if (h->empty()) h->assign((size_t)cols * cols, 0.0);
  for (size_t i = 0; i < scratch->size(); i++) (*h)[i] += (*scratch)[i];
}

void split_window_batch(const std::vector<int32_t>& windows, int seq_len, int64_t first, int b,
                        std::vector<int32_t>* ids, std::vector<int32_t>* targets) {
  ids->resize((size_t)b * seq_len);
  targets->resize((size_t)b * seq_len);
  for (int i = 0; i < b; i++) {
    const int32_t* w = windows.data() + (size_t)(first + i) * (seq_len + 1);
    std::copy(w, w + seq_len, ids->data() + (size_t)i * seq_len);
    std::copy(w + 1, w + 1 + seq_len, targets->data() + (size_t)i * seq_len);
  }
}

}  // namespace

Status collect_calibration(const train_cpu::ParamLayout& layout, const float* params,
                           const std::vector<int32_t>& train_tokens, int seq_len, int64_t max_tokens,
                           CalibrationData* out) {
  const auto t0 = std::chrono::steady_clock::now();
  const ModelConfig& c = layout.config;
  GOLF_RETURN_IF_ERROR(c.validate());
  if (seq_len < 1 || seq_len > c.max_seq_len)
    return Status(StatusCode::invalid_argument, "calibration: seq_len must be in [1, max_seq_len]");
  const int64_t available = ((int64_t)train_tokens.size() - 1) / seq_len;
  const int64_t wanted = std::max<int64_t>(1, max_tokens / seq_len);
  const int64_t num_windows = std::min(available, wanted);
  if (num_windows < 1)
    return Status(StatusCode::invalid_argument, "calibration: fewer than one window of training tokens");
  for (int32_t t : train_tokens)
    if (t < 0 || t >= c.vocab_size)
      return Status(StatusCode::invalid_argument, "calibration: a token id is outside the vocabulary");

  CalibrationData cal;
  cal.seq_len = seq_len;
  cal.windows.resize((size_t)num_windows * (seq_len + 1));
  for (int64_t w = 0; w < num_windows; w++)
    std::copy(train_tokens.begin() + w * seq_len, train_tokens.begin() + w * seq_len + seq_len + 1,
              cal.windows.begin() + w * (seq_len + 1));
  cal.tokens = num_windows * seq_len;

  const train_cpu::ParamStore view = view_of(layout, params);
  train_cpu::Activations acts;
  const int b_max = (int)std::min<int64_t>(kWindowsPerBatch, num_windows);
  GOLF_RETURN_IF_ERROR(train_cpu::activations_init(c, b_max, seq_len, &acts, /*training=*/true));
  std::vector<int32_t> ids, targets;
  std::vector<float> scratch;
  const int d = c.model_dim, hid = c.mlp_hidden;
  for (int64_t first = 0; first < num_windows; first += b_max) {
    const int b = (int)std::min<int64_t>(b_max, num_windows - first);
    split_window_batch(cal.windows, seq_len, first, b, &ids, &targets);
    double loss = 0;
    GOLF_RETURN_IF_ERROR(train_cpu::model_forward(view, &acts, ids.data(), targets.data(), b, seq_len, &loss));
    const int n = b * seq_len;
    for (int l = 0; l < c.num_layers; l++) {
      const train_cpu::LayerActs& L = acts.layers[l];
      const std::string p = "blocks." + std::to_string(l) + ".";
      add_gram(L.xn1, n, d, &scratch, &cal.hessians[p + "attn.c_q.weight"]);
      add_gram(L.att, n, d, &scratch, &cal.hessians[p + "attn.proj.weight"]);
      add_gram(L.xn2, n, d, &scratch, &cal.hessians[p + "mlp.fc.weight"]);
      add_gram(L.ha, n, hid, &scratch, &cal.hessians[p + "mlp.proj.weight"]);
    }
    add_gram(acts.xnf, n, d, &scratch, &cal.hessians[c.tie_embeddings ? "tok_emb.weight" : "lm_head.weight"]);
  }
  // c_k and c_v read the same normalized input as c_q.
  for (int l = 0; l < c.num_layers; l++) {
    const std::string p = "blocks." + std::to_string(l) + ".";
    cal.hessians[p + "attn.c_k.weight"] = cal.hessians[p + "attn.c_q.weight"];
    cal.hessians[p + "attn.c_v.weight"] = cal.hessians[p + "attn.c_q.weight"];
  }
  cal.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  *out = std::move(cal);
  return Status::Ok();
}

Status calibration_from_shards(const train_cpu::ParamLayout& layout, const float* params, const std::string& pattern,
                               int seq_len, int64_t max_tokens, CalibrationData* out) {
  const std::string glob = data::shard_pattern(pattern, "train");
  if (glob.find("_val_") != std::string::npos)
    return Status(StatusCode::invalid_argument,
                  "calibration: '" + glob + "' names validation shards; calibrate on training tokens only");
  std::vector<uint16_t> tokens;
  GOLF_RETURN_IF_ERROR(data::read_shard_tokens(glob, &tokens).prefix("calibration: "));
  const size_t keep = std::min<size_t>(tokens.size(), (size_t)std::max<int64_t>(max_tokens, 0) + 1);
  std::vector<int32_t> ids(tokens.begin(), tokens.begin() + keep);
  return collect_calibration(layout, params, ids, seq_len, max_tokens, out);
}

Status calibration_loss(const train_cpu::ParamLayout& layout, const float* params, const CalibrationData& calib,
                        int64_t max_windows, double* loss_out) {
  const int seq_len = calib.seq_len;
  if (seq_len < 1 || calib.windows.empty())
    return Status(StatusCode::invalid_argument, "calibration_loss: no calibration windows");
  int64_t num_windows = (int64_t)calib.windows.size() / (seq_len + 1);
  if (max_windows > 0) num_windows = std::min(num_windows, max_windows);
  const train_cpu::ParamStore view = view_of(layout, params);
  train_cpu::Activations acts;
  const int b_max = (int)std::min<int64_t>(kWindowsPerBatch, num_windows);
  GOLF_RETURN_IF_ERROR(train_cpu::activations_init(layout.config, b_max, seq_len, &acts, /*training=*/false));
  std::vector<int32_t> ids, targets;
  double total = 0;
  for (int64_t first = 0; first < num_windows; first += b_max) {
    const int b = (int)std::min<int64_t>(b_max, num_windows - first);
    split_window_batch(calib.windows, seq_len, first, b, &ids, &targets);
    double loss = 0;
    GOLF_RETURN_IF_ERROR(train_cpu::model_forward(view, &acts, ids.data(), targets.data(), b, seq_len, &loss));
    total += loss * b;
  }
  *loss_out = total / (double)num_windows;
  return Status::Ok();
}

}  // namespace golf::train_export
