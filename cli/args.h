// args.h: the one command-line layer of every golf tool. Options are declared with their type and range, and every
// tool then parses the same way: "--name VALUE", "--name=VALUE" or "-n VALUE"; every value parsed whole, typed and
// range-checked; a usage error prints one line naming the flag and gives exit status 2; -h/--help prints the help
// built from the declarations and gives 0. (golf-train keeps its own flag table for its resume bookkeeping but reads
// values with parse_integer / parse_real / parse_choice and words its errors with the *_message functions below, so
// the rules and the messages are the same.)
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace golf::cli {

constexpr int kExitUsage = 2;
// --threads above this is refused: more workers than any machine the project targets has cores (a typo such as
// 100000 would otherwise start that many threads).
constexpr int64_t kMaxThreads = 1024;

// "" when `text` is a whole decimal integer in [lo, hi] (stored in *out), else what was expected.
std::string parse_integer(const std::string& text, int64_t lo, int64_t hi, int64_t* out);
std::string parse_unsigned(const std::string& text, uint64_t* out);
// Finite decimal number in [lo, hi] ((lo, hi] when lo_open).
std::string parse_real(const std::string& text, double lo, double hi, bool lo_open, double* out);
// One of `choices` (stored in *out), else "expected one of a|b|c".
std::string parse_choice(const std::string& text, const std::vector<std::string>& choices, std::string* out);
// "" when `text` is a device name as the runtime reads it (runtime/model/device.h: cpu, cuda or cuda:N with N a
// decimal index); the syntax only, checked before a tool loads anything (the runtime is not linked here).
std::string check_device(const std::string& text);

// The wording of every usage error (name: the flag as given, "--out").
std::string unknown_option_message(const std::string& name);
std::string needs_value_message(const std::string& name, const std::string& metavar);
std::string takes_no_value_message(const std::string& name);
std::string bad_value_message(const std::string& name, const std::string& value, const std::string& problem);
std::string unexpected_argument_message(const std::string& arg);

class ArgParser {
 public:
  // Sets one option from its value; returns "" or what was expected ("expected an integer in [0, 10]").
  using Setter = std::function<std::string(const std::string& value)>;

  // tool: "golf-eval"; synopsis: what follows the tool's name on the usage line; about: lines under it.
  ArgParser(std::string tool, std::string synopsis, std::string about = "");

  // names: "-n,--max-tokens" or "--json". help may hold '\n' for more lines.
  ArgParser& flag(const std::string& names, bool* out, const std::string& help);  // no value; sets true
  ArgParser& flag_off(const std::string& names, bool* out, const std::string& help);  // no value; sets false
  template <typename T>
  ArgParser& integer(const std::string& names, T* out, int64_t lo, int64_t hi, const std::string& help,
                     const std::string& metavar = "N") {
    return option(names, metavar, help, [out, lo, hi](const std::string& v) {
      int64_t x = 0;
      std::string e = parse_integer(v, lo, hi, &x);
      if (e.empty()) *out = (T)x;
      return e;
    });
  }
  ArgParser& unsigned64(const std::string& names, uint64_t* out, const std::string& help,
                        const std::string& metavar = "N");
  template <typename T>
  ArgParser& real(const std::string& names, T* out, double lo, double hi, const std::string& help,
                  const std::string& metavar = "X", bool lo_open = false) {
    return option(names, metavar, help, [out, lo, hi, lo_open](const std::string& v) {
      double x = 0;
      std::string e = parse_real(v, lo, hi, lo_open, &x);
      if (e.empty()) *out = (T)x;
      return e;
    });
  }
  // --threads N in [0, kMaxThreads], 0 meaning all cores.
  ArgParser& threads(int* out, const std::string& help = "worker threads (default 0: all cores)");
  ArgParser& text(const std::string& names, std::string* out, const std::string& help,
                  const std::string& metavar = "FILE");
  ArgParser& texts(const std::string& names, std::vector<std::string>* out, const std::string& help,
                   const std::string& metavar = "FILE");  // repeatable
  ArgParser& choice(const std::string& names, std::string* out, const std::vector<std::string>& choices,
                    const std::string& help);
  // Any other value: set returns "" or what was expected.
  ArgParser& option(const std::string& names, const std::string& metavar, const std::string& help, Setter set);
  // The option declared last must be given.
  ArgParser& required();
  // Arguments that are not options, in order; fewer than min or more than max is a usage error.
  ArgParser& positionals(const std::string& metavar, std::vector<std::string>* out, size_t min, size_t max,
                         const std::string& help);
  // A heading in --help before the options declared next, and text printed after the options.
  ArgParser& section(const std::string& title);
  ArgParser& epilog(const std::string& text);

  // Parses argv[1..]. Returns -1 when the tool should go on; otherwise the exit status to return at once: 0 after
  // printing --help to stdout, kExitUsage after printing one line to stderr.
  int parse(int argc, const char* const* argv);
  // Whether the option (any of its names, e.g. "--seed") was on the command line.
  bool given(const std::string& name) const;
  std::string help() const;
  // Prints "tool: message" to stderr and returns kExitUsage: usage errors found after parsing.
  int usage_error(const std::string& message) const;
  const std::string& tool() const { return tool_; }

 private:
  struct Option {
    std::vector<std::string> names;
    std::string metavar;  // "" for a switch
    std::string help;
    Setter set;
    bool required = false, seen = false;
    int section = -1;
  };
  const Option* find(const std::string& name) const;
  int fail(const std::string& message) const;

  std::string tool_, synopsis_, about_, epilog_;
  std::vector<Option> options_;
  std::vector<std::string> sections_;
  std::string pos_metavar_, pos_help_;
  std::vector<std::string>* pos_out_ = nullptr;
  size_t pos_min_ = 0, pos_max_ = 0;
};

}  // namespace golf::cli
