// args.cpp: the parser of args.h: number reading, option lookup, usage errors and the generated --help.
#include "args.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace golf::cli {

namespace {

// Shortest text that reads back to x ("0.95", "100", "1e+12").
std::string number_text(double x) {
  char buf[64];
  if (x == std::floor(x) && std::fabs(x) < 1e9) {
    std::snprintf(buf, sizeof buf, "%.0f", x);
    return buf;
  }
  for (int precision = 1; precision <= 17; precision++) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, x);
    if (std::strtod(buf, nullptr) == x) break;
  }
  return buf;
}

std::vector<std::string> split_names(const std::string& names) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= names.size()) {
    size_t comma = names.find(',', start);
    if (comma == std::string::npos) comma = names.size();
    if (comma > start) out.push_back(names.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

}  // namespace

std::string parse_integer(const std::string& text, int64_t lo, int64_t hi, int64_t* out) {
  const std::string expected = "expected an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
  if (text.empty() || std::isspace((unsigned char)text[0])) return expected;
  char* end = nullptr;
  errno = 0;
  const long long x = std::strtoll(text.c_str(), &end, 10);
  if (*end != '\0' || errno == ERANGE || x < lo || x > hi) return expected;
  *out = x;
  return "";
}

std::string parse_unsigned(const std::string& text, uint64_t* out) {
  const std::string expected = "expected an unsigned 64-bit integer";
  if (text.empty() || !std::isdigit((unsigned char)text[0])) return expected;
  char* end = nullptr;
  errno = 0;
  const unsigned long long x = std::strtoull(text.c_str(), &end, 10);
  if (*end != '\0' || errno == ERANGE) return expected;
  *out = x;
  return "";
}

std::string parse_real(const std::string& text, double lo, double hi, bool lo_open, double* out) {
  const std::string expected = std::string("expected a number in ") + (lo_open ? "(" : "[") + number_text(lo) +
                               ", " + number_text(hi) + "]";
  if (text.empty() || std::isspace((unsigned char)text[0])) return expected;
  char* end = nullptr;
  const double x = std::strtod(text.c_str(), &end);
  if (*end != '\0' || !std::isfinite(x) || (lo_open ? x <= lo : x < lo) || x > hi) return expected;
  *out = x;
  return "";
}

std::string parse_choice(const std::string& text, const std::vector<std::string>& choices, std::string* out) {
  std::string all;
  for (const std::string& c : choices) {
    if (text == c) {
      *out = text;
      return "";
    }
    all += (all.empty() ? "" : "|") + c;
  }
  return "expected one of " + all;
}

std::string check_device(const std::string& text) {
  const std::string expected = "expected cpu, cuda or cuda:N (N a device index)";
  if (text == "cpu" || text == "cuda") return "";
  if (text.compare(0, 5, "cuda:") != 0) return expected;
  const std::string index = text.substr(5);
  // At most 4 digits, as runtime/model/device.cpp reads them.
  if (index.empty() || index.size() > 4 || index.find_first_not_of("0123456789") != std::string::npos) return expected;
  return "";
}

std::string unknown_option_message(const std::string& name) { return "unknown option " + name + " (see --help)"; }

std::string needs_value_message(const std::string& name, const std::string& metavar) {
  return name + " needs a value (" + metavar + ")";
}

std::string takes_no_value_message(const std::string& name) { return name + " takes no value"; }

std::string bad_value_message(const std::string& name, const std::string& value, const std::string& problem) {
  return name + " " + value + ": " + problem;
}

std::string unexpected_argument_message(const std::string& arg) {
  return "unexpected argument '" + arg + "' (see --help)";
}

ArgParser::ArgParser(std::string tool, std::string synopsis, std::string about)
    : tool_(std::move(tool)), synopsis_(std::move(synopsis)), about_(std::move(about)) {}

ArgParser& ArgParser::option(const std::string& names, const std::string& metavar, const std::string& help,
                             Setter set) {
  Option o;
  o.names = split_names(names);
  o.metavar = metavar;
  o.help = help;
  o.set = std::move(set);
  o.section = (int)sections_.size() - 1;
  options_.push_back(std::move(o));
  return *this;
}

ArgParser& ArgParser::flag(const std::string& names, bool* out, const std::string& help) {
  return option(names, "", help, [out](const std::string&) {
    *out = true;
    return std::string();
  });
}

ArgParser& ArgParser::flag_off(const std::string& names, bool* out, const std::string& help) {
  return option(names, "", help, [out](const std::string&) {
    *out = false;
    return std::string();
  });
}

ArgParser& ArgParser::unsigned64(const std::string& names, uint64_t* out, const std::string& help,
                                 const std::string& metavar) {
  return option(names, metavar, help, [out](const std::string& v) { return parse_unsigned(v, out); });
}

ArgParser& ArgParser::threads(int* out, const std::string& help) {
  return integer("--threads", out, 0, kMaxThreads, help);
}

ArgParser& ArgParser::text(const std::string& names, std::string* out, const std::string& help,
                           const std::string& metavar) {
  return option(names, metavar, help, [out](const std::string& v) {
    if (v.empty()) return std::string("expected a non-empty value");
    *out = v;
    return std::string();
  });
}

ArgParser& ArgParser::texts(const std::string& names, std::vector<std::string>* out, const std::string& help,
                            const std::string& metavar) {
  return option(names, metavar, help, [out](const std::string& v) {
    if (v.empty()) return std::string("expected a non-empty value");
    out->push_back(v);
    return std::string();
  });
}

ArgParser& ArgParser::choice(const std::string& names, std::string* out, const std::vector<std::string>& choices,
                             const std::string& help) {
  std::string all;
  for (const std::string& c : choices) all += (all.empty() ? "" : "|") + c;
  return option(names, all, help, [out, choices](const std::string& v) { return parse_choice(v, choices, out); });
}

ArgParser& ArgParser::required() {
  if (!options_.empty()) options_.back().required = true;
  return *this;
}

ArgParser& ArgParser::positionals(const std::string& metavar, std::vector<std::string>* out, size_t min, size_t max,
                                  const std::string& help) {
  pos_metavar_ = metavar, pos_out_ = out, pos_min_ = min, pos_max_ = max, pos_help_ = help;
  return *this;
}

ArgParser& ArgParser::section(const std::string& title) {
  sections_.push_back(title);
  return *this;
}

ArgParser& ArgParser::epilog(const std::string& text) {
  epilog_ = text;
  return *this;
}

const ArgParser::Option* ArgParser::find(const std::string& name) const {
  for (const Option& o : options_) {
    for (const std::string& n : o.names) {
      if (n == name) return &o;
    }
  }
  return nullptr;
}

bool ArgParser::given(const std::string& name) const {
  const Option* o = find(name);
  return o && o->seen;
}

int ArgParser::fail(const std::string& message) const {
  std::fprintf(stderr, "%s: %s\n", tool_.c_str(), message.c_str());
  return kExitUsage;
}

int ArgParser::usage_error(const std::string& message) const { return fail(message); }

int ArgParser::parse(int argc, const char* const* argv) {
  for (Option& o : options_) o.seen = false;
  std::vector<std::string> positional;
  bool options_done = false;
  for (int i = 1; i < argc; i++) {
    const std::string arg = argv[i];
    if (options_done || arg == "-" || arg.size() < 2 || arg[0] != '-') {
      positional.push_back(arg);
      continue;
    }
    if (arg == "--") {
      options_done = true;
      continue;
    }
    if (arg == "-h" || arg == "--help") {
      std::fputs(help().c_str(), stdout);
      return 0;
    }
    // "--name=value" or "--name value" / "-n value".
    std::string name = arg, value;
    bool inline_value = false;
    const size_t eq = arg.find('=');
    if (arg.compare(0, 2, "--") == 0 && eq != std::string::npos) {
      name = arg.substr(0, eq), value = arg.substr(eq + 1), inline_value = true;
    }
    Option* o = const_cast<Option*>(find(name));
    if (!o) return fail(unknown_option_message(name));
    if (o->metavar.empty()) {
      if (inline_value) return fail(takes_no_value_message(name));
    } else if (!inline_value) {
      // The next argument is the value unless there is none or it is itself an option ("--model --json").
      const bool missing = i + 1 >= argc || find(argv[i + 1]) != nullptr ||
                           (std::string(argv[i + 1]).compare(0, 2, "--") == 0 && std::string(argv[i + 1]) != "--");
      if (missing) return fail(needs_value_message(name, o->metavar));
      value = argv[++i];
    }
    const std::string problem = o->set(value);
    if (!problem.empty()) return fail(bad_value_message(name, value, problem));
    o->seen = true;
  }
  for (const Option& o : options_) {
    if (o.required && !o.seen) return fail(o.names.back() + " " + o.metavar + " is required (see --help)");
  }
  if (positional.size() < pos_min_)
    return fail(pos_metavar_.empty() ? "missing argument" : pos_metavar_ + " is required (see --help)");
  if (positional.size() > pos_max_) {
    if (pos_max_ == 0) return fail(unexpected_argument_message(positional[0]));
    return fail("too many arguments: " + std::to_string(positional.size()) + " given, " + pos_metavar_ +
                " takes at most " + std::to_string(pos_max_) + " (extra: '" + positional[pos_max_] + "')");
  }
  if (pos_out_) *pos_out_ = positional;
  return -1;
}

std::string ArgParser::help() const {
  std::string h = "usage: " + tool_ + (synopsis_.empty() ? "" : " " + synopsis_) + "\n";
  if (!about_.empty()) h += about_ + (about_.back() == '\n' ? "" : "\n");
  auto row = [&h](const std::string& left, const std::string& text) {
    constexpr size_t kColumn = 26;
    std::string line = "  " + left;
    if (line.size() + 1 >= kColumn) {
      h += line + "\n";
      line.clear();
    }
    line.resize(kColumn, ' ');
    size_t start = 0;
    for (;;) {
      size_t nl = text.find('\n', start);
      h += line + text.substr(start, nl == std::string::npos ? std::string::npos : nl - start) + "\n";
      if (nl == std::string::npos) break;
      start = nl + 1;
      line.assign(kColumn, ' ');
    }
  };
  if (pos_out_ && !pos_help_.empty()) row(pos_metavar_, pos_help_);
  int section = -2;
  for (const Option& o : options_) {
    if (o.section != section) {
      section = o.section;
      h += (section >= 0 ? sections_[(size_t)section] : std::string("options")) + ":\n";
    }
    std::string left;
    for (const std::string& n : o.names) left += (left.empty() ? "" : ", ") + n;
    if (!o.metavar.empty()) left += " " + o.metavar;
    row(left, o.help + (o.required ? " (required)" : ""));
  }
  row("-h, --help", "print this help and exit");
  if (!epilog_.empty()) h += epilog_ + (epilog_.back() == '\n' ? "" : "\n");
  return h;
}

}  // namespace golf::cli
