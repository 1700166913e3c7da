// format_test_util.h: helpers shared by the format tests: random raw layouts for any dtype, a small model file, and
// a re-layout that inserts an extra section into a serialized file (to test forward compatibility).
#pragma once
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "bytes.h"
#include "checksum.h"
#include "golf_file.h"
#include "golf_writer.h"
#include "half.h"

namespace golf_test {

// A raw layout with random codes in the dtype's range and random positive f16 scales (no quantizer involved, so
// the reader/writer/codec are tested independently of quant.cpp).
inline std::vector<uint8_t> random_raw(golf::Dtype dtype, const std::vector<uint64_t>& dims, uint32_t group,
                                       std::mt19937& rng) {
  golf::TensorLayout L;
  if (!golf::tensor_layout(dtype, dims, group, &L).ok()) return {};  // callers check the raw size
  std::vector<uint8_t> raw(L.raw_size, 0);
  if (golf::dtype_is_float(dtype)) {
    for (auto& b : raw) b = (uint8_t)rng();
    // Avoid NaN payload ambiguity: no reader rewrites values, so any bytes round-trip; keep them arbitrary.
    return raw;
  }
  int lo = golf::dtype_code_min(dtype), hi = golf::dtype_code_max(dtype);
  std::uniform_int_distribution<int> code(lo, hi);
  if (dtype == golf::Dtype::q4) {
    for (uint64_t i = 0; i < L.code_bytes; i++) raw[i] = (uint8_t)((code(rng) + 8) | ((code(rng) + 8) << 4));
  } else {
    for (uint64_t i = 0; i < L.code_bytes; i++) raw[i] = (uint8_t)(int8_t)code(rng);
  }
  std::uniform_real_distribution<float> scale(1e-4f, 0.1f);
  for (uint64_t s = 0; s < L.scale_count; s++) {
    uint16_t h = golf::f32_to_f16(scale(rng));
    std::memcpy(raw.data() + L.scales_offset + 2 * s, &h, 2);
  }
  return raw;
}

inline golf::TokenizerData tiny_tokenizer() {
  golf::TokenizerData t;
  t.normalizer_name = "nmt_nfkc";
  t.precompiled_charsmap = std::string("\x01\x02\x00\x03", 4);
  t.unk_id = 0, t.bos_id = 1, t.eos_id = 2, t.pad_id = -1;
  t.flags = golf::kTokByteFallback | golf::kTokSplitDigits;
  t.pieces = {{"<unk>", 0, golf::PieceType::unknown}, {"<s>", 0, golf::PieceType::control},
              {"</s>", 0, golf::PieceType::control}, {"<0x41>", 0, golf::PieceType::byte},
              {"\xE2\x96\x81the", -1.5f, golf::PieceType::normal}, {"e", -2.f, golf::PieceType::normal}};
  return t;
}

// A small valid file: config, tokenizer, metadata, a q8 rans matrix, a q4 raw matrix and an f32 vector.
inline std::vector<uint8_t> small_file_bytes() {
  std::mt19937 rng(1);
  golf::GolfWriter w;
  w.config().set_string("arch", "golf-gpt", true);
  w.config().set_int("model_dim", 64, true);
  w.config().set_float("rope_base", 10000.0, true);
  w.set_tokenizer(tiny_tokenizer());
  w.metadata().set_string("created_by", "test");
  struct T { const char* name; golf::Dtype d; golf::Codec c; std::vector<uint64_t> dims; uint32_t g; };
  for (const T& t : {T{"w.q8", golf::Dtype::q8, golf::Codec::rans, {4, 64}, 0},
                     T{"w.q4", golf::Dtype::q4, golf::Codec::raw, {2, 64}, 32},
                     T{"v.f32", golf::Dtype::f32, golf::Codec::raw, {8}, 0}}) {
    golf::TensorRecord r;
    r.name = t.name, r.dtype = t.d, r.codec = t.c, r.dims = t.dims, r.group_size = t.g;
    r.raw = random_raw(t.d, t.dims, t.g, rng);
    if (!w.add_tensor(std::move(r)).ok()) return {};
  }
  std::vector<uint8_t> bytes;
  if (!w.serialize(&bytes).ok()) return {};
  return bytes;
}

// Recomputes every section checksum, the file checksum and the header checksum after an edit.
inline void refresh_checksums(std::vector<uint8_t>& b) { golf::golf_refresh_checksums(&b); }

// Returns a copy of a serialized file with one more section (kind, flags, payload) appended at the end.
inline std::vector<uint8_t> with_extra_section(const std::vector<uint8_t>& in, const char kind[4], uint32_t flags,
                                               const std::string& payload) {
  uint32_t n;
  std::memcpy(&n, in.data() + 12, 4);
  uint64_t old_start = golf::align64(64 + 48 * (uint64_t)n), new_start = golf::align64(64 + 48 * (uint64_t)(n + 1));
  uint64_t shift = new_start - old_start;
  std::vector<uint8_t> out(in.begin(), in.begin() + 64);
  out.insert(out.end(), in.begin() + 64, in.begin() + 64 + 48 * n);
  std::vector<uint8_t> entry(48, 0);
  out.insert(out.end(), entry.begin(), entry.end());
  out.resize(new_start, 0);
  out.insert(out.end(), in.begin() + (long)old_start, in.end());
  for (uint32_t i = 0; i < n; i++) {
    uint64_t off;
    std::memcpy(&off, out.data() + 64 + 48 * i + 8, 8);
    off += shift;
    std::memcpy(out.data() + 64 + 48 * i + 8, &off, 8);
  }
  out.resize(golf::align64(out.size()), 0);
  uint64_t off = out.size(), sz = payload.size();
  out.insert(out.end(), payload.begin(), payload.end());
  uint8_t* e = out.data() + 64 + 48 * n;
  std::memcpy(e, kind, 4), std::memcpy(e + 4, &flags, 4), std::memcpy(e + 8, &off, 8), std::memcpy(e + 16, &sz, 8);
  n += 1;
  std::memcpy(out.data() + 12, &n, 4);
  uint64_t fs = out.size();
  std::memcpy(out.data() + 16, &fs, 8);
  refresh_checksums(out);
  return out;
}

}  // namespace golf_test
