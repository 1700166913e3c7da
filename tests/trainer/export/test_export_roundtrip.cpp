// test_export_roundtrip.cpp: ties the trainer and the runtime together. A model with every parameter randomized is
// exported f32; the runtime's logits must equal trainer/cpu's model_forward logits, and score_golf_file's BPB the
// trainer-side BPB on the same tokens. Then the challenge recipe: the file reads back as q8 + rans where the
// challenge quantizes, and its BPB stays close to f32's.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <memory>

#include "cpu/matmul.h"
#include "cpu/model.h"
#include "export.h"
#include "export_test_util.h"
#include "golf_file.h"
#include "model.h"
#include "score.h"
#include "session.h"

namespace golf::export_test {
namespace {

using train_export::ExportOptions;
using train_export::ExportReport;
using train_export::ScoreReport;
using train_export::ScoreSettings;

void make_store(const ModelConfig& cfg, uint64_t seed, float gain, float emb_std, train_cpu::ParamStore* ps) {
  ASSERT_TRUE(train_cpu::param_store_init(cfg, ps).ok());
  randomize(ps, seed, gain, emb_std);
}

ExportReport export_as(const train_cpu::ParamStore& ps, const TokenizerData& tok, const std::string& path,
                       const std::string& recipe, const std::vector<std::string>& rules = {}) {
  ExportOptions o;
  o.output_path = path;
  o.recipe = recipe;
  o.rules = rules;
  o.provenance.created_by = "test_export_roundtrip";
  o.provenance.train_steps = 42;
  ExportReport r;
  Status st = train_export::export_model(ps.layout, ps.params, tok, o, &r);
  EXPECT_TRUE(st.ok()) << st.message();
  return r;
}

ScoreSettings settings(int window, int stride, bool doc_isolated) {
  ScoreSettings s;
  s.window = window;
  s.stride = stride;
  s.doc_isolated = doc_isolated;
  s.threads = 2;
  return s;
}

TEST(ExportRoundtrip, F32FileGivesTheTrainersLogits) {
  const ModelConfig cfg = small_config();
  train_cpu::ParamStore ps;
  make_store(cfg, 1, 1.0f, 0.5f, &ps);
  const TokenizerData tok = sp1024();
  TempDir dir;
  const std::string path = dir.file("f32.golf");
  // '*=f32' ahead of the challenge recipe: the rule must win for every tensor.
  ExportReport rep = export_as(ps, tok, path, "challenge", {"*=f32"});
  for (const auto& t : rep.tensors) {
    EXPECT_EQ(t.dtype, Dtype::f32) << t.name;
    EXPECT_EQ(t.error.max_abs, 0.0) << t.name;
  }
  EXPECT_EQ(rep.weights, (uint64_t)cfg.parameter_count());

  const int T = 256;
  const std::vector<int32_t> ids = val_tokens(tok, cfg.bos_id, T);
  ASSERT_EQ((int)ids.size(), T);

  train_cpu::threads_init(2);
  train_cpu::Activations acts;
  ASSERT_TRUE(train_cpu::activations_init(cfg, 1, T, &acts, false).ok());
  ASSERT_TRUE(train_cpu::model_forward(ps, &acts, ids.data(), nullptr, 1, T, nullptr).ok());

  ModelOptions mo;
  mo.compute = ComputeMode::f32;
  std::unique_ptr<Model> model;
  Status st = Model::load_file(path, mo, &model);
  ASSERT_TRUE(st.ok()) << st.message();
  SessionOptions so;
  so.n_threads = 2;
  so.n_ctx = T;
  std::unique_ptr<Session> session;
  ASSERT_TRUE(Session::create(*model, so, &session).ok());
  std::vector<float> logits((size_t)T * cfg.vocab_size);
  ASSERT_TRUE(session->decode(ids.data(), T, logits.data(), true).ok());

  // Metric: max over all T x V logits of |runtime - trainer|, relative to the largest |trainer logit|.
  double max_diff = 0, max_ref = 0, sq_diff = 0, sq_ref = 0;
  for (size_t i = 0; i < logits.size(); i++) {
    const double a = logits[i], b = acts.logits[i];
    max_diff = std::max(max_diff, std::fabs(a - b));
    max_ref = std::max(max_ref, std::fabs(b));
    sq_diff += (a - b) * (a - b);
    sq_ref += b * b;
  }
  const double rel_max = max_diff / max_ref, rel_rms = std::sqrt(sq_diff / sq_ref);
  std::printf("logits: %d x %d, max |trainer| %.4f, max |diff| %.3g, relative max %.3g, relative RMS %.3g\n", T,
              cfg.vocab_size, max_ref, max_diff, rel_max, rel_rms);
  EXPECT_GT(max_ref, 1.0);  // not a degenerate model
  EXPECT_LE(rel_max, 1e-4);
}

TEST(ExportRoundtrip, F32FileScoresTheTrainersBpb) {
  const ModelConfig cfg = small_config();
  train_cpu::ParamStore ps;
  make_store(cfg, 2, 1.0f, 0.5f, &ps);
  const TokenizerData tok = sp1024();
  TempDir dir;
  const std::string path = dir.file("f32.golf");
  export_as(ps, tok, path, "f32");
  const std::vector<int32_t> ids = val_tokens(tok, cfg.bos_id, 3000);

  struct Case {
    int window, stride;
    bool doc_isolated;
  };
  for (const Case& c : {Case{256, 0, false}, Case{128, 32, false}, Case{128, 64, true}}) {
    ScoreReport runtime, trainer;
    const ScoreSettings s = settings(c.window, c.stride, c.doc_isolated);
    Status st = train_export::score_golf_file(path, ids, s, &runtime);
    ASSERT_TRUE(st.ok()) << st.message();
    st = train_export::score_params_fp32(ps.layout, ps.params, tok, ids, s, &trainer);
    ASSERT_TRUE(st.ok()) << st.message();
    const double rel = std::fabs(runtime.val_bpb - trainer.val_bpb) / trainer.val_bpb;
    std::printf("window %d stride %d%s: %lld targets, %lld bytes, bpb runtime %.9f trainer %.9f, relative diff %.3g\n",
                c.window, c.stride, c.doc_isolated ? " doc-isolated" : "", (long long)runtime.tokens,
                (long long)runtime.bytes, runtime.val_bpb, trainer.val_bpb, rel);
    EXPECT_EQ(runtime.tokens, trainer.tokens);
    EXPECT_EQ(runtime.bytes, trainer.bytes);
    EXPECT_LE(rel, 1e-5);
    // The challenge's trim to ((N-1)//L)*L + 1 tokens, then every target scored exactly once in every mode.
    EXPECT_EQ(runtime.tokens, (int64_t)(ids.size() - 1) / c.window * c.window);
  }
}

// A multi-GPU run scores the exported file split across its ranks: the parts' sums must be the whole stream's
// (same targets, same bytes, nats equal but for the order of the double sum), for any number of parts, including
// more parts than windows (some parts then score nothing), in both scorers.
TEST(ExportRoundtrip, SplitScoreAddsUpToTheWholeScore) {
  const ModelConfig cfg = small_config();
  train_cpu::ParamStore ps;
  make_store(cfg, 4, 1.0f, 0.5f, &ps);
  const TokenizerData tok = sp1024();
  TempDir dir;
  const std::string path = dir.file("f32.golf");
  export_as(ps, tok, path, "f32");
  for (const int n : {3000, 700}) {  // trimmed to 11 whole windows of 256; untrimmed, 6 windows of 128, the last short
    const std::vector<int32_t> ids = val_tokens(tok, cfg.bos_id, n);
    const int window = n == 3000 ? 256 : 128;
    ScoreSettings whole = settings(window, 0, false);
    whole.trim_to_windows = n == 3000;
    ScoreReport ref, ref_fp32;
    ASSERT_TRUE(train_export::score_golf_file(path, ids, whole, &ref).ok());
    ASSERT_TRUE(train_export::score_params_fp32(ps.layout, ps.params, tok, ids, whole, &ref_fp32).ok());
    for (const int parts : {2, 3, 8}) {
      double nats = 0, nats_fp32 = 0;
      int64_t tokens = 0, bytes = 0, empty = 0;
      for (int part = 0; part < parts; part++) {
        ScoreSettings s = whole;
        s.part = part;
        s.parts = parts;
        ScoreReport r, r_fp32;
        Status st = train_export::score_golf_file(path, ids, s, &r);
        ASSERT_TRUE(st.ok()) << st.message();
        ASSERT_TRUE(train_export::score_params_fp32(ps.layout, ps.params, tok, ids, s, &r_fp32).ok());
        EXPECT_EQ(r.tokens, r_fp32.tokens);
        nats += r.nats;
        nats_fp32 += r_fp32.nats;
        tokens += r.tokens;
        bytes += r.bytes;
        empty += r.tokens == 0;
      }
      std::printf("%d tokens, window %d, %d parts (%lld empty): %lld targets, nats %.12f vs whole %.12f\n", n, window,
                  parts, (long long)empty, (long long)tokens, nats, ref.nats);
      EXPECT_EQ(tokens, ref.tokens);
      EXPECT_EQ(bytes, ref.bytes);
      EXPECT_NEAR(nats, ref.nats, 1e-9 * ref.nats);
      EXPECT_NEAR(nats_fp32, ref_fp32.nats, 1e-9 * ref_fp32.nats);
      if (parts == 8 && n == 700) {
        EXPECT_GT(empty, 0);
      }
    }
  }
  ScoreSettings sliding = settings(128, 64, false);
  sliding.parts = 2;
  ScoreReport r;
  EXPECT_EQ(train_export::score_golf_file(path, val_tokens(tok, cfg.bos_id, 700), sliding, &r).code(),
            StatusCode::invalid_argument);
}

TEST(ExportChallenge, ReadsBackAsQ8RansAndScoresCloseToF32) {
  const ModelConfig cfg = quantizable_config();
  train_cpu::ParamStore ps;
  // Weights that are not tiny: rows with max |w| >= 1 in the matrices, so the 1/127 floor is not what sets the
  // step (the floor is tested by the format's quantizer tests).
  make_store(cfg, 3, 2.0f * std::sqrt(2.0f), 1.0f, &ps);
  const TokenizerData tok = sp1024();
  TempDir dir;
  const ExportReport f32 = export_as(ps, tok, dir.file("f32.golf"), "f32");
  const ExportReport q8 = export_as(ps, tok, dir.file("challenge.golf"), "challenge");

  std::unique_ptr<GolfFile> file;
  Status st = GolfFile::open(dir.file("challenge.golf"), &file);
  ASSERT_TRUE(st.ok()) << st.message();
  int quantized = 0;
  for (const TensorInfo& t : file->tensors()) {
    if (t.layout.count > 65536) {
      EXPECT_STREQ(dtype_name(t.dtype), "q8") << t.name;
      EXPECT_STREQ(codec_name(t.codec), "rans") << t.name;
      EXPECT_EQ(t.group_size, 0u) << t.name;
      quantized++;
    } else {
      EXPECT_STREQ(dtype_name(t.dtype), "f32") << t.name;
      EXPECT_STREQ(codec_name(t.codec), "raw") << t.name;
    }
  }
  EXPECT_EQ(quantized, 1 + 2 * cfg.num_layers);  // tok_emb, mlp.fc and mlp.proj of each block
  std::string recipe;
  int64_t steps = 0;
  EXPECT_TRUE(file->metadata().get_string("export_recipe", &recipe));
  EXPECT_EQ(recipe, "challenge");
  EXPECT_TRUE(file->metadata().get_int("train_steps", &steps));
  EXPECT_EQ(steps, 42);
  EXPECT_EQ(file->file_size(), q8.file_bytes);
  EXPECT_LT(q8.file_bytes, f32.file_bytes);
  for (const auto& t : q8.tensors) {
    // Codes of at most 8 bits after rans, plus one f16 scale per row.
    if (t.dtype == Dtype::q8) {
      EXPECT_LT(t.bits_per_weight, 8.0 + 16.0 / (double)t.dims.back() + 0.01) << t.name;
    }
  }

  const std::vector<int32_t> ids = val_tokens(tok, cfg.bos_id, 2049);
  ScoreReport b32, b8;
  ASSERT_TRUE(train_export::score_golf_file(dir.file("f32.golf"), ids, settings(256, 0, false), &b32).ok());
  ASSERT_TRUE(train_export::score_golf_file(dir.file("challenge.golf"), ids, settings(256, 0, false), &b8).ok());
  const double rel = std::fabs(b8.val_bpb - b32.val_bpb) / b32.val_bpb;
  std::printf("challenge recipe: %llu bytes (f32 %llu), weight rel RMS error %.3g, bpb q8 %.6f vs f32 %.6f (%.3g rel)\n",
              (unsigned long long)q8.file_bytes, (unsigned long long)f32.file_bytes, q8.rel_rms_error, b8.val_bpb,
              b32.val_bpb, rel);
  EXPECT_GT(q8.rel_rms_error, 0.0);
  EXPECT_LT(q8.rel_rms_error, 0.01);
  EXPECT_LT(rel, 2e-3);  // q8 per row of non-tiny weights: well under 0.2% of the BPB
}

}  // namespace
}  // namespace golf::export_test
