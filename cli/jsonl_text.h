// jsonl_text.h: the text field of one JSON-lines document, as golf-eval, golf-export and golf-tokenize read their
// --jsonl inputs, with a message that says what is wrong with a bad line (invalid UTF-8, not JSON, no such field)
// rather than one catch-all.
#pragma once
#include <string>

namespace golf::cli {

// "" with *text set, or the problem: "not valid JSON (invalid string: ill-formed UTF-8 byte)", "not a JSON object
// with a string field \"text\"".
std::string jsonl_text(const std::string& line, const std::string& field, std::string* text);

}  // namespace golf::cli
