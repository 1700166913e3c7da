// config_json.h: key/values and the architecture config as JSON: golf-pack's --config file, golf-make-example's
// config.json, the "golf.config" metadata of parameter files and checkpoints, golf-inspect --json.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "kv.h"
#include "model_config.h"
#include "status.h"

namespace golf {

// Every entry as a JSON member, in order (arrays as arrays).
nlohmann::ordered_json kv_to_json(const KeyValues& kv);

// The config's keys (model_config_to_kv) as a JSON object; indent < 0: one line.
std::string model_config_to_json(const ModelConfig& c, int indent = -1);

// Parses a JSON object of config keys. Values must be numbers, strings or bools; a key the architecture does not
// know is an error (a typo would otherwise silently fall back to a default); then model_config_from_kv's checks.
Status model_config_from_json(const std::string& text, ModelConfig* out);

}  // namespace golf
