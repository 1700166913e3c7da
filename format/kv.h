// kv.h: typed key/value lists, the content of the CONF (architecture) and META (provenance) sections
// (SPEC.md §3). Order is preserved so a file round-trips byte for byte.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "bytes.h"
#include "status.h"

namespace golf {

enum class KvType : uint8_t { int_ = 1, float_ = 2, string = 3, bool_ = 4, int_array = 5, float_array = 6 };

struct KvEntry {
  std::string key;
  KvType type = KvType::int_;
  bool required = false;  // a reader that does not know this key must refuse the file
  int64_t i = 0;
  double f = 0;
  bool b = false;
  std::string s;
  std::vector<int64_t> ints;
  std::vector<double> floats;
  std::string value_string() const;  // for display: 42, 0.5, "text", true, [1, 2]
};

class KeyValues {
 public:
  void set_int(const std::string& key, int64_t v, bool required = false);
  void set_float(const std::string& key, double v, bool required = false);
  void set_string(const std::string& key, const std::string& v, bool required = false);
  void set_bool(const std::string& key, bool v, bool required = false);
  void set_ints(const std::string& key, const std::vector<int64_t>& v, bool required = false);
  void set_floats(const std::string& key, const std::vector<double>& v, bool required = false);

  const KvEntry* find(const std::string& key) const;
  // Getters return false when the key is absent or has another type. get_float accepts an int value too.
  bool get_int(const std::string& key, int64_t* out) const;
  bool get_float(const std::string& key, double* out) const;
  bool get_string(const std::string& key, std::string* out) const;
  bool get_bool(const std::string& key, bool* out) const;

  const std::vector<KvEntry>& entries() const { return entries_; }
  std::vector<KvEntry>& entries_mutable() { return entries_; }  // for the decoder, which checks uniqueness itself
  bool empty() const { return entries_.empty(); }

 private:
  KvEntry& slot(const std::string& key);
  std::vector<KvEntry> entries_;
};

// A key is 1..255 characters of a-z 0-9 _ .
bool kv_key_is_valid(const std::string& key);
// Parses a CONF/META section; the message names the entry that is wrong.
Status kv_decode(const uint8_t* data, size_t size, KeyValues* out);
void kv_encode(const KeyValues& kv, ByteWriter* w);

}  // namespace golf
