// tokenizer_test_util.h: helpers shared by the tokenizer tests: the bundled model's bytes and a protobuf field
// writer for building hand-made or patched .model files.
#pragma once
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

#ifndef GOLF_SOURCE_DIR
#define GOLF_SOURCE_DIR "."
#endif

namespace golf_test {

inline std::string bundled_model_path() { return std::string(GOLF_SOURCE_DIR) + "/data/tokenizer_sp1024.model"; }

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline std::string varint(uint64_t v) {
  std::string out;
  do {
    uint8_t b = v & 0x7F;
    v >>= 7;
    out.push_back(char(v ? (b | 0x80) : b));
  } while (v);
  return out;
}
inline std::string field_varint(uint32_t number, uint64_t value) { return varint(uint64_t(number) << 3) + varint(value); }
inline std::string field_bytes(uint32_t number, const std::string& payload) {
  return varint((uint64_t(number) << 3) | 2) + varint(payload.size()) + payload;
}
inline std::string field_fixed32(uint32_t number, float value) {
  std::string out = varint((uint64_t(number) << 3) | 5);
  char raw[4];
  std::memcpy(raw, &value, 4);
  return out + std::string(raw, 4);
}
// A ModelProto.SentencePiece message (as a field 1 of ModelProto).
inline std::string piece_field(const std::string& piece, float score, int type) {
  return field_bytes(1, field_bytes(1, piece) + field_fixed32(2, score) + field_varint(3, uint64_t(type)));
}

inline const uint8_t* bytes_of(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

}  // namespace golf_test
