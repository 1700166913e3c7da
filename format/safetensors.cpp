// safetensors.cpp: safetensors parsing with nlohmann::json (Debian's nlohmann-json3-dev) and strict checks: every
// data_offsets pair must be ordered, inside the data block, match dtype x shape, and not overlap another tensor.
#include "safetensors.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>

#include "bytes.h"
#include "half.h"
#include "mapped_file.h"

namespace golf {

namespace {
int dtype_bytes(const std::string& d) {
  if (d == "F64" || d == "I64" || d == "U64") return 8;
  if (d == "F32" || d == "I32" || d == "U32") return 4;
  if (d == "F16" || d == "BF16" || d == "I16" || d == "U16") return 2;
  if (d == "I8" || d == "U8" || d == "BOOL" || d == "F8_E4M3" || d == "F8_E5M2") return 1;
  return 0;
}
}  // namespace

Status safetensors_load(const std::string& path, SafetensorsFile* out) {
  std::string bytes;
  GOLF_RETURN_IF_ERROR(read_file_bytes(path, &bytes));
  return safetensors_parse(std::move(bytes), path, out);
}

Status safetensors_parse(std::string bytes, const std::string& name, SafetensorsFile* out) {
  auto bad = [&](const std::string& m) {
    return Status(StatusCode::bad_format, name + ": safetensors: " + m);
  };
  SafetensorsFile f;
  f.bytes = std::move(bytes);
  if (f.bytes.size() < 8) return bad("shorter than the 8-byte header length");
  uint64_t header_len;
  std::memcpy(&header_len, f.bytes.data(), 8);
  if (header_len > f.bytes.size() - 8) return bad("header length " + std::to_string(header_len) + " exceeds the file");
  const uint8_t* data = (const uint8_t*)f.bytes.data() + 8 + header_len;
  uint64_t data_size = f.bytes.size() - 8 - header_len;
  nlohmann::json j = nlohmann::json::parse(f.bytes.begin() + 8, f.bytes.begin() + 8 + (long)header_len, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return bad("header is not a JSON object");
  struct Range { uint64_t begin, end; std::string name; };
  std::vector<Range> ranges;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it.value().is_object()) return bad("__metadata__ is not an object");
      for (auto m = it.value().begin(); m != it.value().end(); ++m)
        if (m.value().is_string()) f.metadata[m.key()] = m.value().get<std::string>();
      continue;
    }
    const nlohmann::json& t = it.value();
    std::string where = "tensor '" + it.key() + "': ";
    if (!t.is_object() || !t.contains("dtype") || !t.contains("shape") || !t.contains("data_offsets"))
      return bad(where + "needs dtype, shape and data_offsets");
    if (!t["dtype"].is_string() || !t["shape"].is_array() || !t["data_offsets"].is_array() || t["data_offsets"].size() != 2)
      return bad(where + "malformed dtype, shape or data_offsets");
    SafeTensor st;
    st.dtype = t["dtype"].get<std::string>();
    int eb = dtype_bytes(st.dtype);
    if (!eb) return bad(where + "unknown dtype '" + st.dtype + "'");
    uint64_t count = 1;
    for (const auto& d : t["shape"]) {
      if (!d.is_number_unsigned()) return bad(where + "shape entries must be non-negative integers");
      uint64_t v = d.get<uint64_t>();
      if (mul_overflows(count, v, &count)) return bad(where + "shape overflows");
      st.shape.push_back(v);
    }
    const auto& off = t["data_offsets"];
    if (!off[0].is_number_unsigned() || !off[1].is_number_unsigned()) return bad(where + "data_offsets must be integers");
    uint64_t b = off[0].get<uint64_t>(), e = off[1].get<uint64_t>(), nbytes;
    if (b > e || e > data_size) return bad(where + "data_offsets outside the data block");
    if (mul_overflows(count, (uint64_t)eb, &nbytes) || nbytes != e - b)
      return bad(where + "data size " + std::to_string(e - b) + " does not match dtype x shape");
    st.data = data + b;
    st.size = e - b;
    f.tensors[it.key()] = st;
    ranges.push_back({b, e, it.key()});
  }
  std::sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) { return a.begin < b.begin; });
  for (size_t i = 1; i < ranges.size(); i++)
    if (ranges[i - 1].end > ranges[i].begin) return bad("tensors '" + ranges[i - 1].name + "' and '" + ranges[i].name + "' overlap");
  for (const Range& r : ranges) f.names.push_back(r.name);
  *out = std::move(f);
  return Status::Ok();
}

Status safetensor_to_f32(const SafeTensor& t, std::vector<float>* out) {
  if (t.dtype == "F32") {
    out->resize(t.size / 4);
    if (t.size) std::memcpy(out->data(), t.data, t.size);
    return Status::Ok();
  }
  if (t.dtype == "F16" || t.dtype == "BF16") {
    out->resize(t.size / 2);
    for (size_t i = 0; i < out->size(); i++) {
      uint16_t h;
      std::memcpy(&h, t.data + 2 * i, 2);
      (*out)[i] = t.dtype == "F16" ? f16_to_f32(h) : bf16_to_f32(h);
    }
    return Status::Ok();
  }
  return Status(StatusCode::invalid_argument, "safetensors dtype " + t.dtype + " is not a float type (F32, F16, BF16)");
}

Status safetensors_write(const std::string& path, const std::vector<SafeTensorOut>& tensors,
                         const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  std::vector<uint64_t> sizes;
  for (const SafeTensorOut& t : tensors) {
    int eb = dtype_bytes(t.dtype);
    if (!eb) return Status(StatusCode::invalid_argument, path + ": tensor '" + t.name + "': unknown dtype " + t.dtype);
    uint64_t n = (uint64_t)eb;
    for (uint64_t d : t.shape)
      if (mul_overflows(n, d, &n)) return Status(StatusCode::invalid_argument, path + ": tensor '" + t.name + "' is too large");
    header[t.name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {offset, offset + n}}};
    sizes.push_back(n);
    offset += n;
  }
  std::string h = header.dump();
  while ((h.size() + 8) % 8) h += ' ';  // data block 8-byte aligned, as the reference writer does
  const uint64_t len = h.size();  // little-endian, like every integer the format library writes
  std::string head((const char*)&len, 8);
  head += h;
  // The tensors are written from the caller's memory, not copied into one buffer (checkpoints are large).
  std::vector<FilePiece> pieces = {{head.data(), head.size()}};
  for (size_t i = 0; i < tensors.size(); i++) pieces.push_back({tensors[i].data, sizes[i]});
  return write_file_atomic(path, pieces);
}

}  // namespace golf
