// option_flags.h: the flag table behind options.h (internal to trainer/train): one row per option with its name,
// value placeholder, --help group and text, whether it must match a checkpoint on --resume, and its getter and
// setter. options.cpp walks it to parse, print --help, store and compare options.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "options.h"  // defines: TrainOptions
#include "status.h"   // defines: Status

namespace golf::train {

enum class Arity { value, optional_value, none };

struct Flag {
  std::string name;   // without "--"
  std::string arg;    // placeholder in --help
  std::string group;  // --help section
  std::string help;
  bool must_match = false;  // must equal the checkpoint's value on --resume
  Arity arity = Arity::value;
  bool stored = true;       // part of options_to_map (false: per-invocation switches such as --resume)
  std::function<std::string(const TrainOptions&)> get;  // value text, full precision (shortest round trip)
  std::function<Status(const std::string&, TrainOptions*)> set;  // parses and range-checks
};

// Every flag, in --help order.
const std::vector<Flag>& flag_table();
// nullptr when unknown.
const Flag* find_flag(const std::string& name);

}  // namespace golf::train
