// config_json.cpp: KeyValues <-> JSON and the config's JSON form (see config_json.h).
#include "config_json.h"

namespace golf {

nlohmann::ordered_json kv_to_json(const KeyValues& kv) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const KvEntry& e : kv.entries()) {
    switch (e.type) {
      case KvType::int_: j[e.key] = e.i; break;
      case KvType::float_: j[e.key] = e.f; break;
      case KvType::string: j[e.key] = e.s; break;
      case KvType::bool_: j[e.key] = e.b; break;
      case KvType::int_array: j[e.key] = e.ints; break;
      case KvType::float_array: j[e.key] = e.floats; break;
    }
  }
  return j;
}

std::string model_config_to_json(const ModelConfig& c, int indent) {
  KeyValues kv;
  model_config_to_kv(c, &kv);
  return kv_to_json(kv).dump(indent);
}

Status model_config_from_json(const std::string& text, ModelConfig* out) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status(StatusCode::bad_format, "config: not a JSON object");
  KeyValues known;
  model_config_to_kv(ModelConfig(), &known);
  KeyValues kv;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!known.find(it.key())) return Status(StatusCode::invalid_argument, "unknown config key '" + it.key() + "'");
    const auto& v = it.value();
    if (v.is_boolean()) kv.set_bool(it.key(), v.get<bool>());
    else if (v.is_number_integer()) kv.set_int(it.key(), v.get<int64_t>());
    else if (v.is_number()) kv.set_float(it.key(), v.get<double>());
    else if (v.is_string()) kv.set_string(it.key(), v.get<std::string>());
    else return Status(StatusCode::bad_format, "config: key '" + it.key() + "' must be a number, string or bool");
  }
  ModelConfig c;
  GOLF_RETURN_IF_ERROR(model_config_from_kv(kv, &c));
  *out = c;
  return Status::Ok();
}

}  // namespace golf
