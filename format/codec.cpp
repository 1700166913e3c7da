// codec.cpp: encode/decode of tensor payloads. For rans, int8-held codes decode straight into the raw codes block
// (logical order == storage order); q4 codes decode to a temporary and are packed into nibbles.
#include "codec.h"

#include <cstring>

#include "quant.h"
#include "rans.h"

namespace golf {

Status encode_tensor_payload(Dtype dtype, const TensorLayout& L, uint32_t group_size, Codec codec, const uint8_t* raw,
                             std::vector<uint8_t>* stored) {
  if (codec == Codec::raw) {
    stored->assign(raw, raw + L.raw_size);
    return Status::Ok();
  }
  if (codec != Codec::rans) return Status(StatusCode::invalid_argument, "unknown codec");
  if (!dtype_is_quantized(dtype))
    return Status(StatusCode::invalid_argument, std::string("codec rans needs a quantized dtype, not ") + dtype_name(dtype));
  // int8-held dtypes are already one code per element in logical order; only q4 needs unpacking (as in decode).
  std::vector<int8_t> unpacked;
  const int8_t* codes = reinterpret_cast<const int8_t*>(raw);
  if (dtype == Dtype::q4) {
    unpacked.resize(L.count);
    codes_from_raw(dtype, L, group_size, raw, unpacked.data());
    codes = unpacked.data();
  }
  stored->clear();
  GOLF_RETURN_IF_ERROR(rans_encode(codes, L.count, dtype_code_min(dtype), dtype_code_max(dtype), stored));
  const uint8_t* scales = raw + L.scales_offset;
  stored->insert(stored->end(), scales, scales + 2 * L.scale_count);
  return Status::Ok();
}

Status decode_tensor_payload(Dtype dtype, const TensorLayout& L, uint32_t group_size, Codec codec,
                             const uint8_t* stored, size_t stored_size, uint8_t* raw) {
  if (codec == Codec::raw) {
    if (stored_size != L.raw_size)
      return Status(StatusCode::bad_format, "raw payload is " + std::to_string(stored_size) + " bytes, layout needs " +
                                                std::to_string(L.raw_size));
    std::memcpy(raw, stored, stored_size);
    return Status::Ok();
  }
  if (codec != Codec::rans) return Status(StatusCode::unsupported, "unknown codec");
  if (!dtype_is_quantized(dtype)) return Status(StatusCode::bad_format, "codec rans on a float dtype");
  size_t consumed = 0;
  if (dtype == Dtype::q4) {
    std::vector<int8_t> codes;
    // The rans size bound (SPEC.md §6.1) is checked inside rans_decode before it writes; check it here too so a
    // hostile count cannot make us allocate the temporary.
    if (L.count / 4096 > stored_size) return Status(StatusCode::bad_format, "rans: element count exceeds the size bound");
    codes.resize(L.count);
    GOLF_RETURN_IF_ERROR(rans_decode(stored, stored_size, L.count, dtype_code_min(dtype), dtype_code_max(dtype),
                                     codes.data(), &consumed));
    codes_to_raw(dtype, L, group_size, codes.data(), raw);
  } else {
    GOLF_RETURN_IF_ERROR(rans_decode(stored, stored_size, L.count, dtype_code_min(dtype), dtype_code_max(dtype),
                                     (int8_t*)raw, &consumed));
  }
  uint64_t scale_bytes = 2 * L.scale_count;
  if (stored_size - consumed != scale_bytes)
    return Status(StatusCode::bad_format, "rans payload: " + std::to_string(stored_size - consumed) +
                                              " bytes after the stream, the scales block needs " +
                                              std::to_string(scale_bytes));
  std::memcpy(raw + L.scales_offset, stored + consumed, scale_bytes);
  return Status::Ok();
}

}  // namespace golf
