// test_export_cli.cpp: golf-export end to end on a golf-train-like checkpoint (parameters under "param.", optimizer
// state beside them, provenance in the metadata): export, pre- and post-quantization scoring on JSONL text and on
// challenge shards, JSON output, the budget error and its override, --help and usage errors. The binary's path
// comes from the environment (GOLF_EXPORT_EXE, set by meson).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "code_size.h"
#include "export_test_util.h"
#include "golf_file.h"
#include "params/param_io.h"
#include "shard.h"

namespace golf::export_test {
namespace {

struct CliRun {
  int exit_code = -1;
  std::string out, err;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

CliRun run_export(const TempDir& dir, const std::string& args) {
  const char* exe = std::getenv("GOLF_EXPORT_EXE");
  CliRun r;
  if (!exe) {
    ADD_FAILURE() << "GOLF_EXPORT_EXE is not set";
    return r;
  }
  const std::string cmd = std::string(exe) + " " + args + " >" + dir.file("out.txt") + " 2>" + dir.file("err.txt");
  int status = std::system(cmd.c_str());
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(dir.file("out.txt"));
  r.err = slurp(dir.file("err.txt"));
  return r;
}

// A checkpoint as golf-train writes it (trainer/train/checkpoint.h): "param.<name>", optimizer state under
// "adam.m.", "adam.v.", "muon.momentum." (same names and shapes: the prefix detection must skip them), metadata.
std::string write_checkpoint(const TempDir& dir, const train_cpu::ParamStore& ps) {
  std::vector<float> state(ps.layout.total, 0.25f);
  std::vector<train_cpu::TensorRef> refs = train_cpu::layout_tensor_refs(ps.layout, ps.params, "param.");
  for (const char* prefix : {"adam.m.", "adam.v.", "muon.momentum."})
    for (const auto& r : train_cpu::layout_tensor_refs(ps.layout, state.data(), prefix)) refs.push_back(r);
  const std::string path = dir.file("step_00000123.safetensors");
  Status st = train_cpu::tensor_file_write(path, refs,
                                           {{"golf.config", model_config_to_json(ps.layout.config)},
                                            {"golf.kind", "checkpoint"},
                                            {"golf.step", "123"},
                                            {"golf.training_time_ms", "4567.5"},
                                            {"golf.tokens_seen", "1000000"},
                                            {"golf.seed", "7"}});
  EXPECT_TRUE(st.ok()) << st.message();
  return path;
}

class ExportCli : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(train_cpu::param_store_init(quantizable_config(), &ps_).ok());
    randomize(&ps_, 11);
    checkpoint_ = write_checkpoint(dir_, ps_);
    common_ = "--params " + checkpoint_ + " --tokenizer " + source_path("data/tokenizer_sp1024.model") +
              " --threads 2 --window 256";
  }
  TempDir dir_;
  train_cpu::ParamStore ps_;
  std::string checkpoint_, common_;
};

TEST_F(ExportCli, ExportsAndScoresACheckpointOnText) {
  const std::string out = dir_.file("model.golf");
  CliRun r = run_export(dir_, common_ + " -o " + out + " --recipe q8 --source-revision r1 --meta run=cli" +
                               " --val-jsonl " + source_path("data/fineweb_val_slice.jsonl") +
                               " --max-docs 4 --max-tokens 1500 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["model_bytes"].get<uint64_t>(), std::filesystem::file_size(out));
  EXPECT_EQ(j["code_bytes"].get<uint64_t>(), train_export::counted_code_size().compressed_bytes);
  EXPECT_GT(j["tokenizer_bytes"].get<uint64_t>(), 0u);
  EXPECT_EQ(j["counted_model_bytes"].get<uint64_t>(), j["model_bytes"].get<uint64_t>() - j["tokenizer_bytes"].get<uint64_t>());
  EXPECT_EQ(j["total_bytes"].get<uint64_t>(), j["counted_model_bytes"].get<uint64_t>() + j["code_bytes"].get<uint64_t>());
  EXPECT_FALSE(j["over_budget"].get<bool>());
  EXPECT_EQ(j["recipe"], "q8");
  EXPECT_EQ(j["weights"].get<int64_t>(), quantizable_config().parameter_count());
  const double pre = j["pre_quant"]["val_bpb"], post = j["post_quant"]["val_bpb"];
  EXPECT_EQ(j["pre_quant"]["tokens"], j["post_quant"]["tokens"]);
  EXPECT_EQ(j["post_quant"]["tokens"].get<int64_t>(), 1499);  // text is not trimmed to windows
  EXPECT_EQ(j["pre_quant"]["bytes"], j["post_quant"]["bytes"]);
  EXPECT_NEAR(j["quant_penalty_bpb"].get<double>(), post - pre, 1e-12);
  EXPECT_LT(std::fabs(post - pre) / pre, 0.01);
  EXPECT_GT(pre, 1.0);
  EXPECT_EQ(j["tensors"].size(), ps_.layout.tensors.size());

  std::unique_ptr<GolfFile> file;
  ASSERT_TRUE(GolfFile::open(out, &file).ok());
  const KeyValues& meta = file->metadata();
  int64_t i = 0;
  double f = 0;
  std::string s;
  EXPECT_TRUE(meta.get_int("train_steps", &i) && i == 123);
  EXPECT_TRUE(meta.get_float("train_seconds", &f) && f == 4.5675);
  EXPECT_TRUE(meta.get_int("train_tokens", &i) && i == 1000000);
  EXPECT_TRUE(meta.get_int("seed", &i) && i == 7);
  EXPECT_TRUE(meta.get_string("source_revision", &s) && s == "r1");
  EXPECT_TRUE(meta.get_string("run", &s) && s == "cli");
  EXPECT_TRUE(meta.get_string("created_by", &s) && s == "golf-export");
  // The weights are the checkpoint's parameters, not its optimizer state (0.25 everywhere).
  const TensorInfo* q_gain = file->find_tensor("blocks.0.attn.q_gain");
  ASSERT_TRUE(q_gain);
  EXPECT_EQ(((const float*)q_gain->raw)[0], ps_.params[ps_.layout.find("blocks.0.attn.q_gain")->offset]);
}

TEST_F(ExportCli, ScoresShardsTrimmedToWholeWindowsAndPrintsTheSummary) {
  const std::vector<int32_t> ids = val_tokens(sp1024(), 1, 1100);
  const std::vector<uint16_t> tokens(ids.begin(), ids.end());
  std::filesystem::create_directories(dir_.file("val"));
  ASSERT_TRUE(data::write_shard(dir_.file("val/fineweb_val_000000.bin"), tokens.data(), 600).ok());
  ASSERT_TRUE(data::write_shard(dir_.file("val/fineweb_val_000001.bin"), tokens.data() + 600, 500).ok());
  CliRun r = run_export(dir_, common_ + " -o " + dir_.file("m.golf") + " --val " + dir_.file("val") + " --tensors");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* line : {"model ", "tokenizer ", "quant error", "code ", "artifact ", "eval data ", "pre-quant ", "post-quant ",
                           "quant penalty ", "tok_emb.weight", "q8:p99.99984:floor1/127", "bytes to spare",
                           "1,024 targets"})  // (1100 - 1) // 256 * 256 targets
    EXPECT_NE(r.out.find(line), std::string::npos) << line << "\n" << r.out;
}

TEST_F(ExportCli, OverBudgetFailsUnlessAllowed) {
  const std::string args = common_ + " -o " + dir_.file("m.golf") + " --recipe q4 --budget 1000";
  CliRun r = run_export(dir_, args);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("OVER BUDGET"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("OVER BUDGET by"), std::string::npos) << r.out;  // the summary is printed all the same
  EXPECT_NE(r.err.find("nothing written (pass --allow-over-budget to write it anyway)"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir_.file("m.golf")));  // refused before writing
  r = run_export(dir_, args + " --allow-over-budget --json");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_TRUE(j["over_budget"].get<bool>());
  EXPECT_EQ(j["budget_bytes"].get<uint64_t>(), 1000u);
}

TEST_F(ExportCli, ExistingOutputNeedsOverwrite) {
  const std::string args = common_ + " -o " + dir_.file("m.golf");
  ASSERT_EQ(run_export(dir_, args).exit_code, 0);
  const std::string before = slurp(dir_.file("m.golf"));
  CliRun r = run_export(dir_, args + " --recipe q6");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("m.golf exists: pass --overwrite to replace it"), std::string::npos) << r.err;
  EXPECT_EQ(slurp(dir_.file("m.golf")), before);
  EXPECT_EQ(run_export(dir_, args + " --recipe q6 --overwrite").exit_code, 0);
  EXPECT_NE(slurp(dir_.file("m.golf")), before);
}

// GPTQ, --recipe auto and --sweep end to end on shards (the repository's text slice stands in for training tokens).
class ExportCliGptq : public ExportCli {};

TEST_F(ExportCliGptq, GptqAutoRecipeAndSweep) {
  const std::vector<int32_t> ids = val_tokens(sp1024(), 1, 1300);
  const std::vector<uint16_t> tokens(ids.begin(), ids.end());
  std::filesystem::create_directories(dir_.file("train"));
  std::filesystem::create_directories(dir_.file("val"));
  ASSERT_TRUE(data::write_shard(dir_.file("train/fineweb_train_000000.bin"), tokens.data(), 800).ok());
  ASSERT_TRUE(data::write_shard(dir_.file("val/fineweb_val_000000.bin"), tokens.data() + 800, 500).ok());
  const std::string calib = " --calib-data " + dir_.file("train") + " --calib-tokens 512 --calib-seq-len 128";
  CliRun r = run_export(dir_, common_ + " -o " + dir_.file("g.golf") + " --recipe q5 --gptq" + calib + " --tensors");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* line : {"calibration: 512 training tokens (4 windows of 128)", "q5:k8 gptq", "gptq: 5 tensors"})
    EXPECT_NE(r.out.find(line), std::string::npos) << line << "\n" << r.out;
  // Calibration on validation shards is refused; GPTQ without calibration data is a usage error.
  r = run_export(dir_, common_ + " -o " + dir_.file("v.golf") + " --gptq --calib-data " +
                           dir_.file("val/fineweb_val_000000.bin"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("validation"), std::string::npos) << r.err;
  EXPECT_EQ(run_export(dir_, common_ + " -o " + dir_.file("v.golf") + " --gptq").exit_code, 2);
  EXPECT_EQ(run_export(dir_, common_ + " -o " + dir_.file("v.golf") + " --recipe auto").exit_code, 2);
  // auto under a budget: the artifact fits, the table and the predicted/measured line are printed.
  r = run_export(dir_, common_ + " -o " + dir_.file("a.golf") + " --recipe auto --gptq --budget 900000 --val " +
                           dir_.file("val") + " --alloc-specs q8,q5:k8,q4:g32 --alloc-windows 1" + calib);
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  for (const char* line : {"auto recipe: ", "tok_emb.weight", "predicted post-quant val_bpb", "bytes to spare"})
    EXPECT_NE(r.out.find(line), std::string::npos) << line << "\n" << r.out;
  // Too small a budget for any choice: an error, nothing written.
  r = run_export(dir_, common_ + " -o " + dir_.file("b.golf") + " --recipe auto --budget 300000" + calib);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_FALSE(std::filesystem::exists(dir_.file("b.golf")));
  // The sweep writes its three files.
  r = run_export(dir_, common_ + " --sweep " + dir_.file("sweep") + " --val " + dir_.file("val") +
                           " --alloc-specs q8,q4:g32,q2:k2.5 --alloc-windows 1" + calib);
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  for (const char* f : {"sweep.csv", "sweep.md", "sweep.svg"})
    EXPECT_TRUE(std::filesystem::exists(dir_.file("sweep/") + f)) << f;
  EXPECT_NE(slurp(dir_.file("sweep/sweep.csv")).find("\"all q4:g32 gptq\""), std::string::npos);
  EXPECT_NE(slurp(dir_.file("sweep/sweep.md")).find("auto gptq @ "), std::string::npos) << r.out;
  EXPECT_EQ(run_export(dir_, common_ + " --sweep " + dir_.file("sweep") + " --val " + dir_.file("val") + calib)
                .exit_code,
            2);  // sweep.csv exists and no --overwrite
}

TEST_F(ExportCli, HelpAndUsageErrors) {
  CliRun r = run_export(dir_, "--help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* word : {"--params", "--prefix", "--config", "--tokenizer", "--recipe", "--quant", "--meta", "--val",
                           "--val-jsonl", "--window", "--stride", "--doc-isolated", "--max-tokens", "--budget",
                           "--allow-over-budget", "--json", "challenge", "q8", "q6", "q5", "q4", "f16", "f32"})
    EXPECT_NE(r.out.find(word), std::string::npos) << word;
  r = run_export(dir_, "--bogus");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "golf-export: unknown option --bogus (see --help)\n");
  EXPECT_EQ(run_export(dir_, "--params x").exit_code, 2);  // no tokenizer or output
  r = run_export(dir_, common_ + " -o " + dir_.file("m.golf") + " --recipe q3");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err.rfind("golf-export: --recipe q3: unknown recipe; expected one of:", 0), 0u) << r.err;
  EXPECT_EQ(run_export(dir_, common_ + " -o " + dir_.file("m.golf") + " --threads 100000").exit_code, 2);
  EXPECT_EQ(run_export(dir_, common_ + " -o " + dir_.file("m.golf") + " --window -1").exit_code, 2);
  r = run_export(dir_, common_ + " -o " + dir_.file("m.golf") + " --val-jsonl " + dir_.file(""));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("Is a directory"), std::string::npos) << r.err;  // not "no tokens to score"
  r = run_export(dir_, common_ + " -o " + dir_.file("m.golf") + " --prefix adam.x.");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("missing tensor 'adam.x.tok_emb.weight'"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace golf::export_test
