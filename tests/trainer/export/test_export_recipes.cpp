// test_export_recipes.cpp: what each named recipe stores for each kind of tensor, rule precedence, errors, the
// metadata export writes, and the budget check of the artifact summary (library side; the CLI side is in
// test_export_cli.cpp).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "code_size.h"
#include "export.h"
#include "export_test_util.h"
#include "golf_file.h"
#include "pipeline.h"
#include "recipes.h"
#include "summary.h"

namespace golf::export_test {
namespace {

using train_export::ExportRecipe;

std::string spec_of(const ExportRecipe& r, const std::string& name, std::vector<uint64_t> dims) {
  TensorPlan plan;
  Status st = r.plan_for(name, dims, &plan);
  EXPECT_TRUE(st.ok()) << st.message();
  return plan.spec;
}

TEST(ExportRecipes, EachRecipeStoresEachKindOfTensorAsDocumented) {
  struct Row {
    const char* recipe;
    const char* embedding;  // tok_emb.weight [1024, 512]
    const char* matrix;     // blocks.0.mlp.fc.weight [1024, 512]
    const char* control;    // blocks.0.resid_mix [2, 512]
  };
  const Row rows[] = {
      {"challenge", "q8:p99.99984:floor1/127", "q8:p99.99984:floor1/127", "f32"},
      {"q8", "q8", "q8", "f32"},
      {"q6", "q8", "q6:k12.85", "f32"},
      {"q5", "q8", "q5:k8", "f32"},
      {"q4", "q8", "q4:g32", "f32"},
      {"f16", "f16", "f16", "f32"},
      {"f32", "f32", "f32", "f32"},
  };
  ASSERT_EQ(train_export::export_recipes().size(), sizeof rows / sizeof rows[0]);
  for (const Row& row : rows) {
    ExportRecipe r;
    ASSERT_TRUE(ExportRecipe::create(row.recipe, {}, &r).ok()) << row.recipe;
    EXPECT_EQ(spec_of(r, "tok_emb.weight", {1024, 512}), row.embedding) << row.recipe;
    EXPECT_EQ(spec_of(r, "blocks.0.mlp.fc.weight", {1024, 512}), row.matrix) << row.recipe;
    EXPECT_EQ(spec_of(r, "blocks.0.resid_mix", {2, 512}), row.control) << row.recipe;
    // The challenge's threshold is inclusive: 65,536 elements stay f32, 65,537 do not (unless f32).
    EXPECT_EQ(spec_of(r, "blocks.0.attn.c_q.weight", {256, 256}), "f32") << row.recipe;
  }
}

TEST(ExportRecipes, ChallengePlanIsTheChallengesQuantizer) {
  ExportRecipe r;
  ASSERT_TRUE(ExportRecipe::create("challenge", {}, &r).ok());
  TensorPlan plan;
  ASSERT_TRUE(r.plan_for("blocks.0.mlp.fc.weight", {1024, 512}, &plan).ok());
  EXPECT_EQ(plan.dtype, Dtype::q8);
  EXPECT_EQ(plan.quant.group_size, 0u);
  EXPECT_EQ(plan.quant.clip, ClipMethod::percentile);
  EXPECT_DOUBLE_EQ(plan.quant.clip_value, 99.99984);
  EXPECT_EQ(plan.quant.scale_floor, (float)(1.0 / 127.0));
  EXPECT_EQ(plan.codec, Codec::rans);
}

TEST(ExportRecipes, RulesComeFirstInOrder) {
  ExportRecipe r;
  ASSERT_TRUE(ExportRecipe::create("q6", {"blocks.1.*=f16", "blocks.*.mlp.*=q4:g64", "*=q8:raw"}, &r).ok());
  EXPECT_EQ(spec_of(r, "blocks.1.mlp.fc.weight", {1024, 512}), "f16");
  EXPECT_EQ(spec_of(r, "blocks.0.mlp.fc.weight", {1024, 512}), "q4:g64");
  EXPECT_EQ(spec_of(r, "blocks.0.resid_mix", {2, 512}), "q8:raw");
  EXPECT_EQ(r.describe(), "q6 + blocks.1.*=f16, blocks.*.mlp.*=q4:g64, *=q8:raw");
}

TEST(ExportRecipes, BadRecipesAndRulesAreErrors) {
  ExportRecipe r;
  Status st = ExportRecipe::create("q3", {}, &r);
  EXPECT_EQ(st.code(), StatusCode::invalid_argument);
  EXPECT_NE(st.message().find("known: challenge"), std::string::npos) << st.message();
  EXPECT_FALSE(ExportRecipe::create("q8", {"no-equals"}, &r).ok());
  EXPECT_FALSE(ExportRecipe::create("q8", {"*=q9"}, &r).ok());
  EXPECT_FALSE(ExportRecipe::create("q8", {"*=q4"}, &r).ok());  // q4 needs a group size

  // A plan the tensor cannot take fails the export and writes nothing.
  train_cpu::ParamStore ps;
  ASSERT_TRUE(train_cpu::param_store_init(small_config(), &ps).ok());
  randomize(&ps, 5);
  TempDir dir;
  train_export::ExportOptions o;
  o.output_path = dir.file("bad.golf");
  o.rules = {"blocks.0.attn.q_gain=q4:g32"};  // 4 columns: 32 does not divide them
  st = train_export::export_model(ps.layout, ps.params, sp1024(), o, nullptr);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("blocks.0.attn.q_gain"), std::string::npos) << st.message();
  EXPECT_FALSE(std::filesystem::exists(o.output_path));
  // Non-finite weights cannot be quantized.
  ps.params[ps.layout.tensors[3].offset] = std::nanf("");
  o.rules = {"*=q8"};
  EXPECT_FALSE(train_export::export_model(ps.layout, ps.params, sp1024(), o, nullptr).ok());
}

TEST(ExportRecipes, EveryRecipeExportsAndReportsSizes) {
  train_cpu::ParamStore ps;
  ASSERT_TRUE(train_cpu::param_store_init(quantizable_config(), &ps).ok());
  randomize(&ps, 6);
  const TokenizerData tok = sp1024();
  TempDir dir;
  for (const train_export::RecipeInfo& info : train_export::export_recipes()) {
    train_export::ExportOptions o;
    o.output_path = dir.file(std::string(info.name) + ".golf");
    o.recipe = info.name;
    o.provenance.train_steps = 7;
    o.provenance.train_seconds = 1.5;
    o.provenance.val_bpb_pre_quant = 1.25;
    o.provenance.source_revision = "abc123";
    o.provenance.extra = {{"run_name", "unit"}};
    train_export::ExportReport rep;
    Status st = train_export::export_model(ps.layout, ps.params, tok, o, &rep);
    ASSERT_TRUE(st.ok()) << info.name << ": " << st.message();
    uint64_t sum = 0;
    for (const auto& t : rep.tensors) sum += t.stored_bytes;
    EXPECT_EQ(sum, rep.tensor_bytes);
    EXPECT_EQ(rep.file_bytes, std::filesystem::file_size(o.output_path));
    EXPECT_GT(rep.file_bytes, rep.tensor_bytes + rep.tokenizer_bytes);  // plus config, metadata, directory
    EXPECT_GT(rep.tokenizer_bytes, rep.charsmap_bytes);
    EXPECT_EQ(rep.charsmap_bytes, tok.precompiled_charsmap.size());
    std::printf("%-10s %9llu bytes  %6.3f bits/weight  rel RMS %.3g  max abs %.3g\n", info.name,
                (unsigned long long)rep.file_bytes, rep.bits_per_weight, rep.rel_rms_error, rep.max_abs_error);
    std::unique_ptr<GolfFile> file;
    ASSERT_TRUE(GolfFile::open(o.output_path, &file).ok());
    const KeyValues& meta = file->metadata();
    int64_t i = 0, code_bytes = 0;
    double f = 0;
    std::string s;
    EXPECT_TRUE(meta.get_int("train_steps", &i) && i == 7);
    EXPECT_TRUE(meta.get_float("train_seconds", &f) && f == 1.5);
    EXPECT_TRUE(meta.get_float("val_bpb_pre_quant", &f) && f == 1.25);
    EXPECT_TRUE(meta.get_string("source_revision", &s) && s == "abc123");
    EXPECT_TRUE(meta.get_string("run_name", &s) && s == "unit");
    EXPECT_TRUE(meta.get_string("created_by", &s) && s == "golf-export");
    EXPECT_TRUE(meta.get_int("code_bytes", &code_bytes));
    EXPECT_EQ((uint64_t)code_bytes, train_export::counted_code_size().compressed_bytes);
    EXPECT_FALSE(meta.find("seed"));  // unset fields are absent
  }
}

TEST(ExportBudget, OverBudgetIsAnErrorUnlessAllowed) {
  train_cpu::ParamStore ps;
  ASSERT_TRUE(train_cpu::param_store_init(small_config(), &ps).ok());
  randomize(&ps, 8);
  const TokenizerData tok = sp1024();
  TempDir dir;
  train_export::ExportRunOptions run;
  run.export_options.output_path = dir.file("m.golf");
  run.export_options.recipe = "q8";
  run.budget_bytes = 1000;  // the test hook: a budget nothing fits
  train_export::ExportReport rep;
  train_export::ArtifactSummary sum;
  Status st = train_export::export_and_score(ps.layout, ps.params, tok, run, &rep, &sum);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.message().rfind("OVER BUDGET", 0), 0u) << st.message();
  EXPECT_TRUE(sum.over_budget());
  // Counted: the file without its tokenizer section (the challenge does not count its tokenizer) plus the code.
  EXPECT_GT(rep.tokenizer_bytes, 0u);
  EXPECT_EQ(sum.total_bytes(), rep.file_bytes - rep.tokenizer_bytes + train_export::counted_code_size().compressed_bytes);
  // Refused before writing (issue 13): an over-budget file is not left behind.
  EXPECT_FALSE(std::filesystem::exists(run.export_options.output_path));

  char buf[4096] = {};
  FILE* mem = fmemopen(buf, sizeof buf - 1, "w");
  train_export::print_artifact_summary(mem, sum);
  std::fclose(mem);
  EXPECT_NE(std::string(buf).find("OVER BUDGET by"), std::string::npos) << buf;

  run.allow_over_budget = true;
  EXPECT_TRUE(train_export::export_and_score(ps.layout, ps.params, tok, run, &rep, &sum).ok());
  run.allow_over_budget = false;
  run.budget_bytes = golf::kChallengeBudgetBytes;
  st = train_export::export_and_score(ps.layout, ps.params, tok, run, &rep, &sum);
  EXPECT_TRUE(st.ok()) << st.message();
  EXPECT_FALSE(sum.over_budget());
  EXPECT_EQ(golf::with_commas(15863489), "15,863,489");
  EXPECT_EQ(golf::with_commas(999), "999");
}

}  // namespace
}  // namespace golf::export_test
