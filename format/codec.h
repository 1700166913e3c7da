// codec.h: a tensor's stored bytes <-> its raw layout (SPEC.md §6): `raw` is the identity, `rans` entropy-codes the
// codes block and keeps the scales.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "dtype.h"
#include "status.h"

namespace golf {

Status encode_tensor_payload(Dtype dtype, const TensorLayout& layout, uint32_t group_size, Codec codec,
                             const uint8_t* raw, std::vector<uint8_t>* stored);
// raw must hold layout.raw_size bytes, zero-initialised (the padding stays zero).
Status decode_tensor_payload(Dtype dtype, const TensorLayout& layout, uint32_t group_size, Codec codec,
                             const uint8_t* stored, size_t stored_size, uint8_t* raw);

}  // namespace golf
