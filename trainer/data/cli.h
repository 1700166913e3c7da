// cli.h: pieces shared by the golf-data subcommands: argument parsing helpers, and the subcommands that live in
// their own files.
#pragma once
#include <cstdint>
#include <string>

namespace golf {
namespace data {

// Prints "golf-data <subcommand>: <message>" to stderr and returns the exit code 1 (2 for usage errors).
int cli_fail(const char* subcommand, const std::string& message);
int cli_usage_error(const char* subcommand, const std::string& message);
// Parses a non-negative decimal integer (digits only, no sign, no overflow).
bool parse_count(const std::string& text, uint64_t* value);

int run_inspect(int argc, char** argv);
int run_train_tokenizer(int argc, char** argv);

}  // namespace data
}  // namespace golf
