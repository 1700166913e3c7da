// jsonl_text.cpp: jsonl_text (see jsonl_text.h).
#include "jsonl_text.h"

#include <nlohmann/json.hpp>

namespace golf::cli {

std::string jsonl_text(const std::string& line, const std::string& field, std::string* text) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(line);
  } catch (const nlohmann::json::parse_error& e) {
    // "[json.exception.parse_error.101] ... while parsing value - invalid string: ill-formed UTF-8 byte; last
    // read: ..." -> the reason only (the rest repeats the line, maybe bytes a terminal cannot show).
    std::string why = e.what();
    if (size_t dash = why.find(" - "); dash != std::string::npos) why = why.substr(dash + 3);
    why = why.substr(0, why.find(';'));
    return "not valid JSON (" + why + ")";
  }
  if (!j.is_object() || !j.contains(field) || !j[field].is_string())
    return "not a JSON object with a string field \"" + field + "\"";
  *text = j[field].get<std::string>();
  return "";
}

}  // namespace golf::cli
