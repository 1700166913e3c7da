// cli.h: pieces shared by the golf-data subcommands: error printing, and the subcommands that live in their own
// files (arguments: cli/args.h).
#pragma once
#include <cstdint>
#include <string>

namespace golf {
namespace data {

// Prints "golf-data <subcommand>: <message>" to stderr and returns the exit code 1 (2 for usage errors).
int cli_fail(const char* subcommand, const std::string& message);
int cli_usage_error(const char* subcommand, const std::string& message);

int run_inspect(int argc, char** argv);
int run_train_tokenizer(int argc, char** argv);

}  // namespace data
}  // namespace golf
