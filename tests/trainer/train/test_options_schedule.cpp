// test_options_schedule.cpp: golf-train's option parsing (presets, overrides, every kind of bad value, the resume
// merge) and the LR schedules against hand-computed values of train_gpt.py's lr_mul.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "options.h"
#include "schedule.h"

using namespace golf;
using namespace golf::train;

namespace {

Status parse(std::vector<std::string> args, ParsedArgs* out) {
  std::vector<char*> argv = {(char*)"golf-train"};
  for (std::string& a : args) argv.push_back(&a[0]);
  return parse_train_args((int)argv.size(), argv.data(), out);
}

TEST(Options, DefaultsAreTheChallengeBaseline) {
  TrainOptions o;
  EXPECT_EQ(o.vocab_size, 1024);
  EXPECT_EQ(o.num_layers, 9);
  EXPECT_EQ(o.model_dim, 512);
  EXPECT_EQ(o.num_heads, 8);
  EXPECT_EQ(o.num_kv_heads, 4);
  EXPECT_EQ(o.mlp_hidden_dim(), 1024);
  EXPECT_EQ(o.seq_len, 1024);
  EXPECT_EQ(o.train_batch_tokens, 524288);
  EXPECT_EQ(o.iterations, 20000);
  EXPECT_EQ(o.max_wallclock_seconds, 600);
  EXPECT_EQ(o.warmdown_iters, 1200);
  EXPECT_FLOAT_EQ(o.matrix_lr, 0.04f);
  EXPECT_FLOAT_EQ(o.tied_embed_lr, 0.05f);
  EXPECT_EQ(o.seed, 1337u);
  EXPECT_EQ(o.grad_accum_for(1), 8);
  EXPECT_EQ(o.grad_accum_for(8), 1);
  EXPECT_EQ(o.effective_schedule(), ScheduleKind::wallclock);
  ModelConfig c = model_config_from_options(o, 1);
  EXPECT_EQ(c.parameter_count(), challenge_baseline_config().parameter_count());
}

TEST(Options, PresetThenFlagsOverrideWhateverTheOrder) {
  ParsedArgs a;
  ASSERT_TRUE(parse({"--model-dim", "128", "--preset", "cpu-small", "--out=/tmp/x", "--data", "d"}, &a).ok());
  EXPECT_EQ(a.options.model_dim, 128);  // flag wins although it came first
  EXPECT_EQ(a.options.seq_len, 256);    // from the preset
  EXPECT_EQ(a.options.out_dir, "/tmp/x");
  EXPECT_EQ(a.options.preset, "cpu-small");
  EXPECT_TRUE(a.explicit_flags.count("model-dim"));
  EXPECT_FALSE(a.explicit_flags.count("seq-len"));
  EXPECT_TRUE(validate_options(a.options).ok());
}

TEST(Options, ResumeTakesAnOptionalPath) {
  ParsedArgs a;
  ASSERT_TRUE(parse({"--resume", "--out", "o"}, &a).ok());
  EXPECT_EQ(a.options.resume, "latest");
  ASSERT_TRUE(parse({"--out", "o", "--resume", "ck.safetensors"}, &a).ok());
  EXPECT_EQ(a.options.resume, "ck.safetensors");
  ASSERT_TRUE(parse({"--out", "o", "--resume"}, &a).ok());
  EXPECT_EQ(a.options.resume, "latest");
}

TEST(Options, BadValuesSayWhatIsAllowed) {
  ParsedArgs a;
  struct Case {
    std::vector<std::string> args;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {{"--bogus", "1"}, "unknown option --bogus (see --help)"},
      {{"-x"}, "unknown option -x (see --help)"},
      {{"--num-layers"}, "needs a value"},
      {{"--num-layers", "x"}, "expected an integer in [1, 256]"},
      {{"--num-layers", "0"}, "expected an integer in [1, 256]"},
      {{"--num-layers", "3.5"}, "expected an integer"},
      {{"--matrix-lr", "-1"}, "expected a number in [0,"},
      {{"--matrix-lr", "nan"}, "expected a number"},
      {{"--adam-eps", "0"}, "expected a number in (0,"},
      {{"--tie-embeddings", "yes"}, "expected 0 or 1"},
      {{"--loader", "random"}, "expected one of sequential|shuffled"},
      {{"--schedule", "cosine"}, "expected one of auto|wallclock|steps|time-fraction"},
      {{"--preset", "huge"}, "unknown preset (allowed: baseline, cpu-small, tiny)"},
      {{"--seed", "-3"}, "unsigned"},
      {{"--overwrite=1"}, "takes no value"},
      {{"positional"}, "unexpected argument 'positional' (see --help)"},
  };
  for (const Case& c : cases) {
    Status st = parse(c.args, &a);
    EXPECT_FALSE(st.ok()) << c.args[0];
    EXPECT_NE(st.message().find(c.expect), std::string::npos) << c.args[0] << ": " << st.message();
  }
}

TEST(Options, CrossFieldChecks) {
  TrainOptions o;
  o.data_dir = "d";
  EXPECT_NE(validate_options(o).message().find("--out DIR is required"), std::string::npos);
  o.out_dir = "o";
  EXPECT_TRUE(validate_options(o).ok());
  o.model_dim = 500;
  EXPECT_NE(validate_options(o).message().find("multiple of --num-heads"), std::string::npos);
  o.model_dim = 512;
  o.num_kv_heads = 3;
  EXPECT_NE(validate_options(o).message().find("multiple of --num-kv-heads"), std::string::npos);
  o.num_kv_heads = 4;
  o.data_dir.clear();
  EXPECT_NE(validate_options(o).message().find("--data DIR"), std::string::npos);
}

TEST(Options, MapRoundTripsEveryStoredOption) {
  ParsedArgs a;
  ASSERT_TRUE(parse({"--preset", "tiny", "--matrix-lr", "0.0123", "--seed", "18446744073709551615", "--schedule",
                     "time-fraction", "--warmdown-frac", "0.3333333333333333"},
                    &a)
                  .ok());
  const auto m = options_to_map(a.options);
  TrainOptions back;
  ASSERT_TRUE(options_from_map(m, &back).ok());
  EXPECT_EQ(options_to_map(back), m);
  EXPECT_EQ(back.seed, 18446744073709551615ull);
  EXPECT_EQ(back.matrix_lr, 0.0123f);
  EXPECT_EQ(back.warmdown_frac, 0.3333333333333333);
  EXPECT_EQ(m.count("resume"), 0u);  // per-invocation switches are not stored
  EXPECT_EQ(m.count("pause-at-step"), 0u);
}

TEST(Options, ResumeMergeKeepsTheCheckpointAndRefusesContradictions) {
  ParsedArgs first;
  ASSERT_TRUE(parse({"--preset", "tiny", "--out", "o", "--data", "d"}, &first).ok());
  const auto stored = options_to_map(first.options);

  ParsedArgs again;
  ASSERT_TRUE(parse({"--out", "o", "--resume", "--iterations", "99", "--threads", "1"}, &again).ok());
  TrainOptions merged;
  std::vector<std::string> changed;
  ASSERT_TRUE(merge_resume_options(stored, again, &merged, &changed).ok());
  EXPECT_EQ(merged.model_dim, 64);  // from the checkpoint, not the baseline default
  EXPECT_EQ(merged.iterations, 99);
  EXPECT_EQ(merged.resume, "latest");
  EXPECT_EQ(changed.size(), 2u);

  ParsedArgs bad;
  ASSERT_TRUE(parse({"--out", "o", "--resume", "--model-dim", "128", "--matrix-lr", "0.1"}, &bad).ok());
  Status st = merge_resume_options(stored, bad, &merged, &changed);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("--model-dim: checkpoint 64, command line 128"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("--matrix-lr: checkpoint 0.04, command line 0.1"), std::string::npos) << st.message();
}

TEST(Options, HelpListsEveryFlagWithItsDefault) {
  const std::string u = train_usage();
  for (const auto& [name, value] : options_to_map(TrainOptions())) {
    EXPECT_NE(u.find("--" + name), std::string::npos) << name;
  }
  EXPECT_NE(u.find("--matrix-lr X"), std::string::npos);
  EXPECT_NE(u.find("(default 0.04)"), std::string::npos);
  EXPECT_NE(u.find("--resume [PATH]"), std::string::npos);
  EXPECT_NE(u.find("cpu-small"), std::string::npos);
}

// ---- schedules ------------------------------------------------------------------------------------------------------

TEST(Schedule, WallclockIsTrainGptLrMul) {
  ScheduleParams p;
  p.kind = ScheduleKind::wallclock;
  p.warmdown_iters = 1200;
  p.max_wallclock_ms = 600000;
  // 43.5 ms/step: warmdown_ms = 52.2 s; at 500 s elapsed remaining 100 s > 52.2 s -> 1.
  EXPECT_DOUBLE_EQ(lr_multiplier(p, 11494, 500000), 1.0);
  // at 570 s, step 13103 (43.5 ms/step): remaining 30 s over warmdown_ms 1200 * 570000/13103.
  const double step_ms = 570000.0 / 13103, expect = 30000.0 / (1200 * step_ms);
  EXPECT_NEAR(lr_multiplier(p, 13103, 570000), expect, 1e-12);
  // The "warmdown bug": 1 s/step on slow hardware -> warmdown_ms 1200 s > 600 s: decays from the start.
  EXPECT_NEAR(lr_multiplier(p, 10, 10000), 590000.0 / 1200000.0, 1e-12);
  EXPECT_DOUBLE_EQ(lr_multiplier(p, 700, 700000), 0.0);  // past the cap
  p.warmdown_iters = 0;
  EXPECT_DOUBLE_EQ(lr_multiplier(p, 10, 599000), 1.0);
}

TEST(Schedule, StepsIsLinearOverTheLastWarmdownIters) {
  ScheduleParams p;
  p.kind = ScheduleKind::steps;
  p.iterations = 100;
  p.warmdown_iters = 20;
  EXPECT_DOUBLE_EQ(lr_multiplier(p, 0, 0), 1.0);
  EXPECT_DOUBLE_EQ(lr_multiplier(p, 79, 0), 1.0);
  EXPECT_DOUBLE_EQ(lr_multiplier(p, 80, 0), 1.0);  // (100 - 80) / 20
  EXPECT_DOUBLE_EQ(lr_multiplier(p, 90, 0), 0.5);
  EXPECT_DOUBLE_EQ(lr_multiplier(p, 99, 0), 0.05);
  p.min_lr_mul = 0.1;
  EXPECT_DOUBLE_EQ(lr_multiplier(p, 99, 0), 0.1);
  p.warmdown_iters = 500;  // longer than the run: decays from step 0
  p.min_lr_mul = 0;
  EXPECT_DOUBLE_EQ(lr_multiplier(p, 0, 0), 100.0 / 500.0);
}

TEST(Schedule, TimeFractionUsesWhicheverEndsFirst) {
  ScheduleParams p;
  p.kind = ScheduleKind::time_fraction;
  p.iterations = 1000;
  p.max_wallclock_ms = 100000;
  p.warmdown_frac = 0.4;
  EXPECT_DOUBLE_EQ(lr_multiplier(p, 10, 50000), 1.0);           // frac 0.5 < 0.6
  EXPECT_NEAR(lr_multiplier(p, 10, 80000), 0.2 / 0.4, 1e-12);   // time frac 0.8
  EXPECT_NEAR(lr_multiplier(p, 900, 1000), 0.1 / 0.4, 1e-12);   // step frac 0.9
  EXPECT_DOUBLE_EQ(lr_multiplier(p, 10, 200000), 0.0);
  p.max_wallclock_ms = 0;
  EXPECT_NEAR(lr_multiplier(p, 700, 1e9), 0.3 / 0.4, 1e-12);    // steps only
}

}  // namespace
