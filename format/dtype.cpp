// dtype.cpp: dtype and codec tables, and the overflow-checked raw-layout computation of SPEC.md §5.2.
#include "dtype.h"

#include "bytes.h"

namespace golf {

namespace {
struct DtypeInfo {
  Dtype d;
  const char* name;
  int bits;
};
const DtypeInfo kDtypes[] = {
    {Dtype::f32, "f32", 32}, {Dtype::f16, "f16", 16}, {Dtype::bf16, "bf16", 16}, {Dtype::q2, "q2", 2},
    {Dtype::q3, "q3", 3},    {Dtype::q4, "q4", 4},    {Dtype::q5, "q5", 5},      {Dtype::q6, "q6", 6},
    {Dtype::q7, "q7", 7},    {Dtype::q8, "q8", 8},
};
const DtypeInfo* find(Dtype d) {
  for (const auto& i : kDtypes)
    if (i.d == d) return &i;
  return nullptr;
}
}  // namespace

bool dtype_is_known(uint8_t code) { return find((Dtype)code) != nullptr; }
bool dtype_is_quantized(Dtype d) { return ((uint8_t)d & 0xF0u) == 0x10u; }
int dtype_bits(Dtype d) {
  const DtypeInfo* i = find(d);
  return i ? i->bits : 0;
}
int dtype_float_bytes(Dtype d) { return dtype_is_quantized(d) ? 0 : dtype_bits(d) / 8; }
int dtype_code_max(Dtype d) { return dtype_is_quantized(d) ? (1 << (dtype_bits(d) - 1)) - 1 : 0; }
int dtype_code_min(Dtype d) {
  if (!dtype_is_quantized(d)) return 0;
  return d == Dtype::q4 ? -8 : -dtype_code_max(d);
}
const char* dtype_name(Dtype d) {
  const DtypeInfo* i = find(d);
  return i ? i->name : "unknown";
}
bool dtype_from_name(const std::string& name, Dtype* out) {
  for (const auto& i : kDtypes)
    if (name == i.name) {
      *out = i.d;
      return true;
    }
  return false;
}
Dtype dtype_q(int bits) { return (Dtype)(0x10 | bits); }
const char* codec_name(Codec c) { return c == Codec::raw ? "raw" : c == Codec::rans ? "rans" : "unknown"; }
bool codec_from_name(const std::string& name, Codec* out) {
  if (name == "raw") *out = Codec::raw;
  else if (name == "rans") *out = Codec::rans;
  else return false;
  return true;
}

Status tensor_layout(Dtype dtype, const std::vector<uint64_t>& dims, uint32_t group_size, TensorLayout* out) {
  auto bad = [](const std::string& m) { return Status(StatusCode::bad_format, m); };
  if (!dtype_is_known((uint8_t)dtype)) return Status(StatusCode::unsupported, "unknown dtype code");
  if (dims.empty() || dims.size() > 4) return bad("ndim must be 1..4, got " + std::to_string(dims.size()));
  TensorLayout L;
  uint64_t count = 1;
  for (uint64_t d : dims) {
    if (d == 0) return bad("a dimension is 0 (every dimension must be >= 1)");
    if (mul_overflows(count, d, &count) || count > (uint64_t(1) << 40))
      return bad("element count exceeds 2^40");
  }
  L.count = count;
  L.cols = dims.back();
  L.rows = count / L.cols;
  if (dtype_is_float(dtype)) {
    if (group_size != 0) return bad("group_size must be 0 for float dtypes");
    L.code_bytes = count * (uint64_t)dtype_float_bytes(dtype);
    L.raw_size = L.code_bytes;
    *out = L;
    return Status::Ok();
  }
  if (dtype == Dtype::q4) {
    if (group_size != 32 && group_size != 64) return bad("q4 needs group_size 32 or 64");
  } else if (group_size != 0 && group_size != 32 && group_size != 64 && group_size != 128) {
    return bad("group_size must be 0, 32, 64 or 128, got " + std::to_string(group_size));
  }
  if (group_size != 0 && L.cols % group_size != 0)
    return bad("group_size " + std::to_string(group_size) + " does not divide the last dimension " +
               std::to_string(L.cols));
  L.n_groups = group_size == 0 ? 1 : L.cols / group_size;
  L.code_bytes = dtype == Dtype::q4 ? count / 2 : count;
  L.scales_offset = align64(L.code_bytes);
  L.scale_count = L.rows * L.n_groups;
  L.raw_size = L.scales_offset + 2 * L.scale_count;
  *out = L;
  return Status::Ok();
}

}  // namespace golf
