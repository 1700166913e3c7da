// kv.cpp: the CONF/META key/value codec (SPEC.md §3), strict on decode: every length is checked against the
// section, keys are validated and unique, and the entries must fill the section exactly.
#include "kv.h"

#include <cstdio>
#include <set>

#include "utf8_valid.h"

namespace golf {

std::string KvEntry::value_string() const {
  char buf[64];
  auto fmt_float = [&](double v) {
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return std::string(buf);
  };
  switch (type) {
    case KvType::int_: return std::to_string(i);
    case KvType::float_: return fmt_float(f);
    case KvType::string: return "\"" + s + "\"";
    case KvType::bool_: return b ? "true" : "false";
    case KvType::int_array: {
      std::string out = "[";
      for (size_t k = 0; k < ints.size(); k++) out += (k ? ", " : "") + std::to_string(ints[k]);
      return out + "]";
    }
    case KvType::float_array: {
      std::string out = "[";
      for (size_t k = 0; k < floats.size(); k++) out += (k ? ", " : "") + fmt_float(floats[k]);
      return out + "]";
    }
  }
  return "?";
}

KvEntry& KeyValues::slot(const std::string& key) {
  for (KvEntry& e : entries_)
    if (e.key == key) {
      e = KvEntry();
      e.key = key;
      return e;
    }
  entries_.emplace_back();
  entries_.back().key = key;
  return entries_.back();
}

void KeyValues::set_int(const std::string& key, int64_t v, bool required) {
  KvEntry& e = slot(key);
  e.type = KvType::int_, e.i = v, e.required = required;
}
void KeyValues::set_float(const std::string& key, double v, bool required) {
  KvEntry& e = slot(key);
  e.type = KvType::float_, e.f = v, e.required = required;
}
void KeyValues::set_string(const std::string& key, const std::string& v, bool required) {
  KvEntry& e = slot(key);
  e.type = KvType::string, e.s = v, e.required = required;
}
void KeyValues::set_bool(const std::string& key, bool v, bool required) {
  KvEntry& e = slot(key);
  e.type = KvType::bool_, e.b = v, e.required = required;
}
void KeyValues::set_ints(const std::string& key, const std::vector<int64_t>& v, bool required) {
  KvEntry& e = slot(key);
  e.type = KvType::int_array, e.ints = v, e.required = required;
}
void KeyValues::set_floats(const std::string& key, const std::vector<double>& v, bool required) {
  KvEntry& e = slot(key);
  e.type = KvType::float_array, e.floats = v, e.required = required;
}

const KvEntry* KeyValues::find(const std::string& key) const {
  for (const KvEntry& e : entries_)
    if (e.key == key) return &e;
  return nullptr;
}
bool KeyValues::get_int(const std::string& key, int64_t* out) const {
  const KvEntry* e = find(key);
  if (!e || e->type != KvType::int_) return false;
  *out = e->i;
  return true;
}
bool KeyValues::get_float(const std::string& key, double* out) const {
  const KvEntry* e = find(key);
  if (!e) return false;
  if (e->type == KvType::float_) *out = e->f;
  else if (e->type == KvType::int_) *out = (double)e->i;
  else return false;
  return true;
}
bool KeyValues::get_string(const std::string& key, std::string* out) const {
  const KvEntry* e = find(key);
  if (!e || e->type != KvType::string) return false;
  *out = e->s;
  return true;
}
bool KeyValues::get_bool(const std::string& key, bool* out) const {
  const KvEntry* e = find(key);
  if (!e || e->type != KvType::bool_) return false;
  *out = e->b;
  return true;
}

bool kv_key_is_valid(const std::string& key) {
  if (key.empty() || key.size() > 255) return false;
  for (char c : key)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.')) return false;
  return true;
}

Status kv_decode(const uint8_t* data, size_t size, KeyValues* out) {
  ByteReader r(data, size);
  auto bad = [](const std::string& m) { return Status(StatusCode::bad_format, m); };
  uint32_t count;
  if (!r.u32(&count)) return bad("too short for the entry count");
  // Each entry takes at least 5 bytes; reject absurd counts before looping.
  if (count > size / 5) return bad("entry count " + std::to_string(count) + " cannot fit in " + std::to_string(size) + " bytes");
  KeyValues kv;
  std::set<std::string> seen;
  for (uint32_t n = 0; n < count; n++) {
    std::string where = "entry " + std::to_string(n);
    uint8_t type, flags;
    uint16_t key_len;
    if (!r.u8(&type) || !r.u8(&flags) || !r.u16(&key_len)) return bad(where + ": truncated");
    const uint8_t* key_bytes = r.take(key_len);
    if (!key_bytes) return bad(where + ": key runs past the section end");
    std::string key((const char*)key_bytes, key_len);
    if (!kv_key_is_valid(key)) return bad(where + ": invalid key (1..255 chars of a-z 0-9 _ .)");
    where = "key '" + key + "'";
    if (!seen.insert(key).second) return bad(where + ": duplicate key");
    if (flags & ~1u) return bad(where + ": unknown flag bits");
    KvEntry e;
    e.key = key;
    e.required = flags & 1u;
    e.type = (KvType)type;
    bool ok = true;
    switch (type) {
      case 1: ok = r.i64(&e.i); break;
      case 2: ok = r.f64(&e.f); break;
      case 3:
        ok = r.str(&e.s);
        if (ok && !utf8_is_valid(e.s)) return bad(where + ": string value is not valid UTF-8");
        break;
      case 4: {
        uint8_t v = 0;
        ok = r.u8(&v);
        if (ok && v > 1) return bad(where + ": bool value must be 0 or 1");
        e.b = v;
        break;
      }
      case 5:
      case 6: {
        uint32_t n_items;
        if (!r.u32(&n_items) || (uint64_t)n_items * 8 > r.remaining()) { ok = false; break; }
        for (uint32_t k = 0; k < n_items; k++) {
          if (type == 5) { int64_t v = 0; r.i64(&v); e.ints.push_back(v); }
          else { double v = 0; r.f64(&v); e.floats.push_back(v); }
        }
        break;
      }
      default: return Status(StatusCode::unsupported, where + ": unknown value type " + std::to_string(type));
    }
    if (!ok) return bad(where + ": value runs past the section end");
    kv.entries_mutable().push_back(std::move(e));
  }
  if (!r.at_end()) return bad(std::to_string(r.remaining()) + " trailing bytes after the last entry");
  *out = std::move(kv);
  return Status::Ok();
}

void kv_encode(const KeyValues& kv, ByteWriter* w) {
  w->u32((uint32_t)kv.entries().size());
  for (const KvEntry& e : kv.entries()) {
    w->u8((uint8_t)e.type);
    w->u8(e.required ? 1 : 0);
    w->u16((uint16_t)e.key.size());
    w->bytes(e.key.data(), e.key.size());
    switch (e.type) {
      case KvType::int_: w->i64(e.i); break;
      case KvType::float_: w->f64(e.f); break;
      case KvType::string: w->str(e.s); break;
      case KvType::bool_: w->u8(e.b ? 1 : 0); break;
      case KvType::int_array:
        w->u32((uint32_t)e.ints.size());
        for (int64_t v : e.ints) w->i64(v);
        break;
      case KvType::float_array:
        w->u32((uint32_t)e.floats.size());
        for (double v : e.floats) w->f64(v);
        break;
    }
  }
}

}  // namespace golf
