// test_args.cpp: cli/args.h, the argument layer of every tool: values parsed whole and range-checked, the forms
// "--name value", "--name=value" and "-n value", a missing value or an unknown option as one line and exit 2,
// --help as exit 0, and the positional-argument bounds (golf-tokenize once read only the last of two inputs).
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "args.h"

namespace golf::cli {
namespace {

struct Parsed {
  int rc = -1;
  std::string err;
};

// Runs parse on {"tool", args...}, capturing stderr.
Parsed run(ArgParser& p, std::vector<std::string> args) {
  args.insert(args.begin(), "tool");
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  testing::internal::CaptureStderr();
  Parsed r;
  r.rc = p.parse((int)argv.size(), argv.data());
  r.err = testing::internal::GetCapturedStderr();
  return r;
}

TEST(Args, NumbersAreParsedWholeAndRangeChecked) {
  int64_t x = 0;
  EXPECT_EQ(parse_integer("12", 0, 100, &x), "");
  EXPECT_EQ(x, 12);
  for (const char* bad : {"abc", "", " 5", "5x", "1.5", "101", "-1", "99999999999999999999"})
    EXPECT_EQ(parse_integer(bad, 0, 100, &x), "expected an integer in [0, 100]") << bad;
  uint64_t u = 0;
  EXPECT_EQ(parse_unsigned("18446744073709551615", &u), "");
  EXPECT_EQ(u, UINT64_MAX);
  for (const char* bad : {"-3", "+3", "abc", "18446744073709551616"}) EXPECT_NE(parse_unsigned(bad, &u), "") << bad;
  double d = 0;
  EXPECT_EQ(parse_real("0.5", 0, 1, false, &d), "");
  EXPECT_EQ(d, 0.5);
  for (const char* bad : {"nan", "inf", "abc", "1.5", "-0.1", "0.5x"})
    EXPECT_EQ(parse_real(bad, 0, 1, false, &d), "expected a number in [0, 1]") << bad;
  EXPECT_EQ(parse_real("0", 0, 1, true, &d), "expected a number in (0, 1]");
}

TEST(Args, ChoicesAndDeviceNames) {
  std::string s = "keep";
  EXPECT_EQ(parse_choice("b", {"a", "b"}, &s), "");
  EXPECT_EQ(s, "b");
  EXPECT_EQ(parse_choice("c", {"a", "b"}, &s), "expected one of a|b");
  EXPECT_EQ(parse_choice("", {"a", "b"}, &s), "expected one of a|b");
  EXPECT_EQ(s, "b");
  for (const char* good : {"cpu", "cuda", "cuda:0", "cuda:7", "cuda:1234"}) EXPECT_EQ(check_device(good), "") << good;
  for (const char* bad : {"", "bogus", "CPU", "cpu:0", "cuda:", "cuda:x", "cuda:-1", "cuda:12345", "cuda0", "cudax"})
    EXPECT_EQ(check_device(bad), "expected cpu, cuda or cuda:N (N a device index)") << bad;
}

TEST(Args, UsageErrorsAreOneLineNamingTheFlag) {
  int n = 128, threads = 0;
  float t = 0.8f;
  std::string model;
  bool verbose = false;
  ArgParser p("golf-x", "-m MODEL [options]");
  p.text("-m,--model", &model, "the model").required()
      .integer("-n,--max-tokens", &n, 1, 1000, "tokens")
      .real("-t,--temperature", &t, 0, 100, "temperature", "T")
      .threads(&threads)
      .flag("-v,--verbose", &verbose, "verbose");
  struct Case {
    std::vector<std::string> args;
    std::string err;
  };
  const std::vector<Case> cases = {
      {{"-m", "a", "-n", "abc"}, "golf-x: -n abc: expected an integer in [1, 1000]\n"},
      {{"-m", "a", "-n", "-5"}, "golf-x: -n -5: expected an integer in [1, 1000]\n"},
      {{"-m", "a", "-t", "abc"}, "golf-x: -t abc: expected a number in [0, 100]\n"},
      {{"-m", "a", "--threads", "100000"}, "golf-x: --threads 100000: expected an integer in [0, 1024]\n"},
      {{"-m", "a", "--threads", "-1"}, "golf-x: --threads -1: expected an integer in [0, 1024]\n"},
      {{"-m"}, "golf-x: -m needs a value (FILE)\n"},
      {{"-m", "--verbose"}, "golf-x: -m needs a value (FILE)\n"},
      {{"-m", "a", "--bogus"}, "golf-x: unknown option --bogus (see --help)\n"},
      {{"-m", "a", "--verbose=1"}, "golf-x: --verbose takes no value\n"},
      {{"-m", "a", "extra"}, "golf-x: unexpected argument 'extra' (see --help)\n"},
      {{}, "golf-x: --model FILE is required (see --help)\n"},
  };
  for (const Case& c : cases) {
    Parsed r = run(p, c.args);
    EXPECT_EQ(r.rc, kExitUsage) << c.err;
    EXPECT_EQ(r.err, c.err);
  }
}

TEST(Args, ValuesInEveryFormAndHelp) {
  int n = 0;
  std::string model;
  bool verbose = false;
  std::vector<std::string> inputs;
  ArgParser p("golf-x", "[INPUT]", "About the tool.");
  p.positionals("INPUT", &inputs, 0, 1, "the input")
      .text("-m,--model", &model, "the model")
      .integer("-n,--max-tokens", &n, -10, 10, "tokens")
      .flag("-v,--verbose", &verbose, "verbose");
  Parsed r = run(p, {"-m", "a.golf", "--max-tokens=-3", "-v", "in.txt"});
  EXPECT_EQ(r.rc, -1) << r.err;
  EXPECT_EQ(model, "a.golf");
  EXPECT_EQ(n, -3);
  EXPECT_TRUE(verbose);
  EXPECT_EQ(inputs, std::vector<std::string>{"in.txt"});
  EXPECT_TRUE(p.given("--max-tokens") && p.given("-n"));
  r = run(p, {"--model=b.golf", "-n", "-10", "--", "-"});
  EXPECT_EQ(r.rc, -1) << r.err;
  EXPECT_EQ(model, "b.golf");
  EXPECT_EQ(n, -10);
  EXPECT_EQ(inputs, std::vector<std::string>{"-"});
  // Two inputs where one is allowed: an error, not the last one silently.
  r = run(p, {"a.txt", "b.txt"});
  EXPECT_EQ(r.rc, kExitUsage);
  EXPECT_EQ(r.err, "golf-x: too many arguments: 2 given, INPUT takes at most 1 (extra: 'b.txt')\n");
  // --help: exit 0, on stdout, every option listed.
  testing::internal::CaptureStdout();
  r = run(p, {"--bogus-later-is-ignored", "--help"});
  std::string out = testing::internal::GetCapturedStdout();
  EXPECT_EQ(r.rc, kExitUsage);  // options are read in order: the unknown one comes first
  testing::internal::CaptureStdout();
  r = run(p, {"-h"});
  out = testing::internal::GetCapturedStdout();
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(out.rfind("usage: golf-x [INPUT]\nAbout the tool.\n", 0), 0u) << out;
  for (const char* word : {"-m, --model FILE", "-n, --max-tokens N", "-v, --verbose", "-h, --help", "INPUT"})
    EXPECT_NE(out.find(word), std::string::npos) << word << "\n" << out;
}

}  // namespace
}  // namespace golf::cli
