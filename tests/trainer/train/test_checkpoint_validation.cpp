// test_checkpoint_validation.cpp: golf-train's checkpoints (exact round trip of parameters, optimizer state and
// metadata; `latest`; pruning; damaged, foreign and mismatched files refused), the metrics.jsonl truncation a
// resume does, the loss plot, and validation's BPB accounting against a direct computation.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "byte_count.h"
#include "checkpoint.h"
#include "communicator.h"
#include "cpu/matmul.h"
#include "cpu/model.h"
#include "loss_plot.h"
#include "params/init.h"
#include "run_log.h"
#include "validation.h"

using namespace golf;
using namespace golf::train;
namespace fs = std::filesystem;

namespace {

ModelConfig tiny_config() {
  ModelConfig c;
  c.vocab_size = 64;
  c.model_dim = 32;
  c.num_layers = 2;
  c.num_heads = 2;
  c.num_kv_heads = 1;
  c.mlp_hidden = 64;
  c.rope_dims = 16;
  c.num_encoder_layers = 1;
  c.max_seq_len = 16;
  return c;
}

std::string temp_dir(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("golf_train_test_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}

struct Model {
  train_cpu::ParamStore ps;
  train_cpu::OptimizerState opt;
};

void make_model(Model* m, uint64_t seed) {
  train_cpu::threads_init(1);
  ASSERT_TRUE(train_cpu::param_store_init(tiny_config(), &m->ps).ok());
  train_cpu::params_init(&m->ps, seed);
  ASSERT_TRUE(train_cpu::optimizer_init(m->ps.layout, train_cpu::OptimizerConfig(), &m->opt).ok());
  // Non-trivial optimizer state: one step on pseudo-random gradients.
  for (size_t i = 0; i < m->ps.layout.total; i++) m->ps.grads[i] = std::sin((double)i * 0.37 + seed) * 1e-2f;
  ASSERT_TRUE(train_cpu::optimizer_step(&m->opt, &m->ps, 1.0f, 0).ok());
}

CheckpointMeta make_meta(int64_t step) {
  CheckpointMeta meta;
  meta.step = step;
  meta.training_time_ms = 1234.5678;
  meta.tokens_seen = step * 1000;
  meta.loader.kind = data::LoaderKind::sequential;
  meta.loader.shard_index = 2;
  meta.loader.offset = 777;
  meta.loader.num_shards = 3;
  meta.loader.total_tokens = 99999;
  meta.seed = 42;
  meta.options = {{"model-dim", "32"}, {"matrix-lr", "0.04"}};
  meta.data_fingerprint = "train: a.bin=10; val tokens: 5";
  meta.tokenizer_sha256 = "abc";
  meta.world_size = 1;
  meta.threads = 1;
  return meta;
}

TEST(Checkpoint, RoundTripIsExact) {
  const std::string dir = temp_dir("roundtrip");
  Model a;
  make_model(&a, 1);
  std::string path;
  ASSERT_TRUE(checkpoint_write(dir, a.ps, a.opt, make_meta(7), 3, &path).ok());
  EXPECT_EQ(fs::path(path).filename().string(), "step_00000007.safetensors");
  std::string resolved;
  ASSERT_TRUE(checkpoint_resolve(dir, "latest", &resolved).ok());
  EXPECT_EQ(resolved, path);

  train_cpu::TensorFile file;
  CheckpointMeta meta;
  ASSERT_TRUE(checkpoint_read(path, &file, &meta).ok());
  EXPECT_EQ(meta.step, 7);
  EXPECT_EQ(meta.training_time_ms, 1234.5678);
  EXPECT_EQ(meta.tokens_seen, 7000);
  EXPECT_TRUE(meta.loader == make_meta(7).loader);
  EXPECT_EQ(meta.options, make_meta(7).options);
  EXPECT_EQ(meta.data_fingerprint, make_meta(7).data_fingerprint);

  Model b;
  make_model(&b, 2);  // different parameters and state, same shapes
  ASSERT_TRUE(checkpoint_restore(file, &b.ps, &b.opt).ok());
  EXPECT_EQ(0, std::memcmp(a.ps.params, b.ps.params, a.ps.layout.total * 4));
  EXPECT_EQ(0, std::memcmp(a.opt.muon_momentum, b.opt.muon_momentum, a.opt.muon_total * 4));
  EXPECT_EQ(0, std::memcmp(a.opt.adam_m, b.opt.adam_m, a.opt.adam_total * 4));
  EXPECT_EQ(0, std::memcmp(a.opt.adam_v, b.opt.adam_v, a.opt.adam_total * 4));
  EXPECT_EQ(a.opt.adam_step, b.opt.adam_step);
  fs::remove_all(dir);
}

TEST(Checkpoint, KeepsTheNewestAndLatestPointsAtTheLast) {
  const std::string dir = temp_dir("prune");
  Model a;
  make_model(&a, 1);
  for (int64_t step : {10, 20, 30, 40})
    ASSERT_TRUE(checkpoint_write(dir, a.ps, a.opt, make_meta(step), 2, nullptr).ok());
  EXPECT_FALSE(fs::exists(fs::path(dir) / "step_00000010.safetensors"));
  EXPECT_FALSE(fs::exists(fs::path(dir) / "step_00000020.safetensors"));
  EXPECT_TRUE(fs::exists(fs::path(dir) / "step_00000030.safetensors"));
  EXPECT_TRUE(fs::exists(fs::path(dir) / "step_00000040.safetensors"));
  std::string resolved;
  ASSERT_TRUE(checkpoint_resolve(dir, "latest", &resolved).ok());
  EXPECT_EQ(fs::path(resolved).filename().string(), "step_00000040.safetensors");
  for (const auto& e : fs::directory_iterator(dir)) {
    EXPECT_EQ(e.path().string().find(".partial"), std::string::npos);
    EXPECT_EQ(e.path().string().find(".tmp"), std::string::npos);
  }
  ASSERT_TRUE(checkpoint_clear(dir).ok());
  EXPECT_FALSE(checkpoint_latest_exists(dir));
  fs::remove_all(dir);
}

TEST(Checkpoint, DamagedForeignAndMismatchedFilesAreRefused) {
  const std::string dir = temp_dir("damaged");
  Model a;
  make_model(&a, 1);
  std::string path;
  ASSERT_TRUE(checkpoint_write(dir, a.ps, a.opt, make_meta(5), 3, &path).ok());
  // Flip one bit in the last byte (tensor data): the file still parses, the content hash catches it.
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(-1, std::ios::end);
    char c;
    f.get(c);
    f.seekp(-1, std::ios::end);
    f.put((char)(c ^ 1));
  }
  train_cpu::TensorFile file;
  CheckpointMeta meta;
  Status st = checkpoint_read(path, &file, &meta);
  EXPECT_EQ(st.code(), StatusCode::checksum_mismatch) << st.message();
  EXPECT_NE(st.message().find("damaged"), std::string::npos);

  // A parameter file is not a checkpoint.
  const std::string params = (fs::path(dir) / "params.safetensors").string();
  ASSERT_TRUE(train_cpu::params_save(params, a.ps).ok());
  st = checkpoint_read(params, &file, &meta);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("not a golf-train checkpoint"), std::string::npos) << st.message();

  // A checkpoint of another model shape.
  ASSERT_TRUE(checkpoint_write(dir, a.ps, a.opt, make_meta(6), 3, &path).ok());
  ASSERT_TRUE(checkpoint_read(path, &file, &meta).ok());
  ModelConfig wider = tiny_config();
  wider.model_dim = 64;
  Model b;
  ASSERT_TRUE(train_cpu::param_store_init(wider, &b.ps).ok());
  ASSERT_TRUE(train_cpu::optimizer_init(b.ps.layout, train_cpu::OptimizerConfig(), &b.opt).ok());
  st = checkpoint_restore(file, &b.ps, &b.opt);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("model config differs"), std::string::npos) << st.message();

  // No run in an empty directory.
  const std::string empty = temp_dir("empty");
  st = checkpoint_resolve(empty, "latest", &path);
  EXPECT_NE(st.message().find("no checkpoint to continue from"), std::string::npos) << st.message();
  fs::remove_all(empty);
  fs::remove_all(dir);
}

TEST(RunLog, ResumeDropsEventsAfterTheCheckpointStep) {
  const std::string dir = temp_dir("metrics");
  const std::string path = (fs::path(dir) / "metrics.jsonl").string();
  {
    std::ofstream f(path);
    f << "{\"event\": \"start\", \"step\": 0}\n{\"event\": \"train\", \"step\": 1, \"train_loss\": 5}\n"
      << "{\"event\": \"train\", \"step\": 2, \"train_loss\": 4}\n"
      << "{\"event\": \"train\", \"step\": 3, \"train_loss\": 3}\n"
      << "{\"event\": \"train\", \"st";  // torn by a crash
  }
  ASSERT_TRUE(metrics_truncate_after(path, 2).ok());
  std::ifstream f(path);
  std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_EQ(all,
            "{\"event\": \"start\", \"step\": 0}\n{\"event\": \"train\", \"step\": 1, \"train_loss\": 5}\n"
            "{\"event\": \"train\", \"step\": 2, \"train_loss\": 4}\n");
  fs::remove_all(dir);
}

TEST(LossPlot, RendersBothPanelsFromMetrics) {
  const std::string dir = temp_dir("plot");
  const std::string metrics = (fs::path(dir) / "metrics.jsonl").string();
  {
    std::ofstream f(metrics);
    for (int s = 1; s <= 50; s++)
      f << "{\"event\": \"train\", \"step\": " << s << ", \"train_loss\": " << 7.0 - s * 0.05 << "}\n";
    f << "{\"event\": \"val\", \"step\": 25, \"val_loss\": 5.9, \"val_bpb\": 3.5}\n";
    f << "{\"event\": \"val\", \"step\": 50, \"val_loss\": 5.5, \"val_bpb\": 3.3}\n";
    f << "{\"event\": \"train\", \"step\": 51, \"train_loss\": null}\n";  // a NaN written as null is skipped
  }
  const std::string svg = (fs::path(dir) / "loss.svg").string();
  ASSERT_TRUE(write_loss_plot(metrics, svg, "test <run>").ok());
  std::ifstream f(svg);
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.rfind("<?xml", 0), 0u);
  EXPECT_NE(text.find("</svg>"), std::string::npos);
  EXPECT_NE(text.find("test &lt;run&gt;"), std::string::npos);
  EXPECT_NE(text.find("train loss (last 4.5000)"), std::string::npos);
  EXPECT_NE(text.find("val bpb (last 3.3000)"), std::string::npos);
  size_t polylines = 0;
  for (size_t p = text.find("<polyline"); p != std::string::npos; p = text.find("<polyline", p + 1)) polylines++;
  EXPECT_EQ(polylines, 3u);
  fs::remove_all(dir);
}

// A tokenizer whose pieces exercise every rule of the byte table: controls (boundaries), bytes, "▁x" pieces.
TokenizerData test_tokenizer(int vocab) {
  TokenizerData t;
  t.pieces.push_back({"<pad>", 0, PieceType::control});
  t.pieces.push_back({"<s>", 0, PieceType::control});
  t.pieces.push_back({"</s>", 0, PieceType::control});
  t.pieces.push_back({"<unk>", 0, PieceType::unknown});
  for (int i = 4; i < vocab; i++) {
    if (i < 12) t.pieces.push_back({"<0x" + std::to_string(40 + i) + ">", 0, PieceType::byte});
    else if (i % 3 == 0) t.pieces.push_back({"\xE2\x96\x81" + std::string(i % 5 + 1, 'a'), 0, PieceType::normal});
    else t.pieces.push_back({std::string(i % 4 + 1, 'b'), 0, PieceType::normal});
  }
  t.bos_id = 1;
  return t;
}

TEST(Validation, MatchesADirectComputationAndIgnoresBatching) {
  Model m;
  make_model(&m, 3);
  const ModelConfig c = tiny_config();
  const int L = 16;
  std::vector<int32_t> tokens(5 * L + 7);
  for (size_t i = 0; i < tokens.size(); i++) tokens[i] = i % 23 == 0 ? 1 : (int32_t)((i * 7919) % c.vocab_size);
  int64_t n = 0;
  ASSERT_TRUE(trim_validation_tokens(tokens, L, 0, &n).ok());
  EXPECT_EQ(n, 5 * L + 1);  // ((N - 1) / L) * L + 1
  int64_t capped = 0;
  ASSERT_TRUE(trim_validation_tokens(tokens, L, 2 * L + 5, &capped).ok());
  EXPECT_EQ(capped, 2 * L + 1);
  EXPECT_FALSE(trim_validation_tokens(tokens, L, L, &capped).ok());

  const TokenizerData tok = test_tokenizer(c.vocab_size);
  ByteCounter bytes(tok, c.vocab_size);
  auto comm = make_single_process_communicator();

  // Direct: one window per forward, per-target NLL from model_forward, bytes by the rule.
  train_cpu::Activations one;
  ASSERT_TRUE(train_cpu::activations_init(c, 1, L, &one, false).ok());
  double nats = 0, nbytes = 0;
  std::vector<float> nll(L);
  for (int64_t w = 0; w < 5; w++) {
    double loss = 0;
    ASSERT_TRUE(train_cpu::model_forward(m.ps, &one, &tokens[w * L], &tokens[w * L + 1], 1, L, &loss, nll.data()).ok());
    for (int t = 0; t < L; t++) {
      nats += nll[t];
      nbytes += bytes.bytes(tokens[w * L + t], tokens[w * L + t + 1]);
    }
  }
  for (int rows : {1, 2, 4}) {
    train_cpu::Activations arena;
    ASSERT_TRUE(train_cpu::activations_init(c, rows, L, &arena, false).ok());
    ValResult v;
    ASSERT_TRUE(run_validation(m.ps, &arena, tokens.data(), n, L, rows, bytes, comm.get(), &v).ok());
    EXPECT_EQ(v.targets, 5 * L);
    EXPECT_EQ(v.bytes, (int64_t)nbytes);
    EXPECT_NEAR(v.nats, nats, 1e-4 * nats) << rows;
    EXPECT_NEAR(v.val_loss, nats / (5 * L), 1e-4);
    EXPECT_NEAR(v.val_bpb, nats / (std::log(2.0) * nbytes), 1e-4);
  }
}

}  // namespace
