// recipe.cpp: parsing of tensor SPECs and recipe rules, glob matching, and fp32 -> TensorRecord conversion.
#include "recipe.h"

#include <cmath>
#include <cstdlib>

namespace golf {

namespace {
bool parse_number(const std::string& s, double* out) {
  // Parses "x" or "a/b"; strtod must see named strings, since `end` points into them afterwards.
  if (s.empty()) return false;
  size_t slash = s.find('/');
  char* end = nullptr;
  if (slash != std::string::npos) {
    std::string num = s.substr(0, slash), den = s.substr(slash + 1);
    double a = std::strtod(num.c_str(), &end);
    if (num.empty() || *end) return false;
    double b = std::strtod(den.c_str(), &end);
    if (den.empty() || *end || b == 0) return false;
    *out = a / b;
    return std::isfinite(*out);
  }
  *out = std::strtod(s.c_str(), &end);
  return *end == 0 && std::isfinite(*out);
}
}  // namespace

Status parse_tensor_spec(const std::string& spec, TensorPlan* out) {
  auto bad = [&](const std::string& m) {
    return Status(StatusCode::invalid_argument, "tensor spec '" + spec + "': " + m +
                                                    " (form: DTYPE[:g32|g64|g128][:p<pct>|:k<k>][:floor<v>][:raw|:rans])");
  };
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    size_t colon = spec.find(':', start);
    parts.push_back(spec.substr(start, colon == std::string::npos ? std::string::npos : colon - start));
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  TensorPlan p;
  p.spec = spec;
  if (!dtype_from_name(parts[0], &p.dtype)) return bad("unknown dtype '" + parts[0] + "'");
  bool quantized = dtype_is_quantized(p.dtype);
  p.quant.dtype = p.dtype;
  p.codec = quantized ? Codec::rans : Codec::raw;
  for (size_t i = 1; i < parts.size(); i++) {
    const std::string& o = parts[i];
    double v;
    if (!quantized && o != "raw") return bad("float dtypes take no options");
    if (o == "raw") p.codec = Codec::raw;
    else if (o == "rans") p.codec = Codec::rans;
    else if (o == "g32" || o == "g64" || o == "g128") p.quant.group_size = (uint32_t)std::atoi(o.c_str() + 1);
    else if (o.rfind("floor", 0) == 0 && parse_number(o.substr(5), &v) && v >= 0) p.quant.scale_floor = (float)v;
    else if (o[0] == 'p' && parse_number(o.substr(1), &v) && v > 0 && v <= 100)
      p.quant.clip = ClipMethod::percentile, p.quant.clip_value = v;
    else if (o[0] == 'k' && parse_number(o.substr(1), &v) && v > 0) p.quant.clip = ClipMethod::std_k, p.quant.clip_value = v;
    else return bad("unknown option '" + o + "'");
  }
  if (p.dtype == Dtype::q4 && p.quant.group_size == 0) return bad("q4 needs g32 or g64");
  *out = p;
  return Status::Ok();
}

Status PackRecipe::set_preset(const std::string& name) {
  if (name != "default" && name != "challenge" && name != "raw")
    return Status(StatusCode::invalid_argument, "unknown preset '" + name + "' (known: default, challenge, raw)");
  preset_ = name;
  return Status::Ok();
}

Status RecipeRules::add(const std::string& rule) {
  size_t eq = rule.find('=');
  if (eq == std::string::npos || eq == 0)
    return Status(StatusCode::invalid_argument, "rule '" + rule + "' is not PATTERN=SPEC");
  TensorPlan plan;
  GOLF_RETURN_IF_ERROR(parse_tensor_spec(rule.substr(eq + 1), &plan));
  rules_.emplace_back(rule.substr(0, eq), plan);
  return Status::Ok();
}

const TensorPlan* RecipeRules::match(const std::string& name) const {
  for (const auto& r : rules_)
    if (glob_match(r.first, name)) return &r.second;
  return nullptr;
}

std::string RecipeRules::describe() const {
  std::string s;
  for (const auto& r : rules_) s += ", " + r.first + "=" + r.second.spec;
  return s;
}

TensorPlan PackRecipe::plan_for(const std::string& name, const std::vector<uint64_t>& dims) const {
  TensorPlan plan;
  if (const TensorPlan* ruled = rules_.match(name)) {
    plan = *ruled;
  } else {
    uint64_t count = 1;
    for (uint64_t d : dims) count *= d;
    if (preset_ == "challenge") {
      (void)parse_tensor_spec(count <= kSmallTensorElements ? "f32" : kChallengeQ8Spec, &plan);  // constants parse
    } else {
      // Small tensors are the model's control parameters (scales, mixes, gains): quantizing them saves little and
      // costs accuracy, so they stay f32, as in the challenge's export.
      bool matrix = dims.size() >= 2 && count > kSmallTensorElements;
      (void)parse_tensor_spec(matrix ? (preset_ == "raw" ? "q8:raw" : "q8") : "f32", &plan);  // constants parse
    }
  }
  if (has_forced_codec_ && dtype_is_quantized(plan.dtype)) plan.codec = forced_codec_;
  return plan;
}

bool glob_match(const std::string& pattern, const std::string& name) {
  // Iterative '*' matcher with backtracking to the last star.
  size_t p = 0, n = 0, star = std::string::npos, mark = 0;
  while (n < name.size()) {
    if (p < pattern.size() && (pattern[p] == name[n] || pattern[p] == '?')) { p++, n++; }
    else if (p < pattern.size() && pattern[p] == '*') { star = p++, mark = n; }
    else if (star != std::string::npos) { p = star + 1, n = ++mark; }
    else return false;
  }
  while (p < pattern.size() && pattern[p] == '*') p++;
  return p == pattern.size();
}

Status make_tensor_record(const std::string& name, const std::vector<uint64_t>& dims, const float* values,
                          const TensorPlan& plan, TensorRecord* out, QuantError* error) {
  TensorRecord rec;
  rec.name = name;
  rec.dims = dims;
  rec.dtype = plan.dtype;
  rec.codec = plan.codec;
  TensorLayout L;
  Status st = tensor_layout(plan.dtype, dims, plan.quant.group_size, &L);
  if (!st.ok()) return Status(StatusCode::invalid_argument, "tensor '" + name + "' as " + plan.spec + ": " + st.message());
  if (dtype_is_quantized(plan.dtype)) {
    rec.group_size = plan.quant.group_size;
    st = quantize(values, dims, plan.quant, &rec.raw);
  } else {
    rec.raw.resize(L.raw_size);
    st = encode_float(plan.dtype, values, L.count, rec.raw.data());
  }
  if (!st.ok()) return Status(st.code(), "tensor '" + name + "': " + st.message());
  if (error) {
    std::vector<float> back(L.count);
    GOLF_RETURN_IF_ERROR(dequantize(plan.dtype, L, rec.group_size, rec.raw.data(), back.data()));
    *error = quant_error(values, back.data(), L.count);
  }
  *out = std::move(rec);
  return Status::Ok();
}

}  // namespace golf
