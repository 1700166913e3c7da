// bytes.h: little-endian byte cursors. ByteReader never reads past its end: every read checks the remaining length
// first and reports failure instead (the reader of untrusted files is built on it). ByteWriter appends to a vector.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace golf {

// Overflow-safe arithmetic on sizes: false when the result does not fit.
inline bool add_overflows(uint64_t a, uint64_t b, uint64_t* out) { return __builtin_add_overflow(a, b, out); }
inline bool mul_overflows(uint64_t a, uint64_t b, uint64_t* out) { return __builtin_mul_overflow(a, b, out); }
inline uint64_t align64(uint64_t n) { return (n + 63u) & ~uint64_t(63); }

class ByteReader {
 public:
  ByteReader(const uint8_t* data, size_t size) : p_(data), end_(data + size), begin_(data) {}
  size_t remaining() const { return (size_t)(end_ - p_); }
  size_t position() const { return (size_t)(p_ - begin_); }
  bool at_end() const { return p_ == end_; }

  bool read_bytes(void* out, size_t n) {
    if (remaining() < n) return false;
    if (n) std::memcpy(out, p_, n);
    p_ += n;
    return true;
  }
  // Returns a pointer to the next n bytes and advances, or nullptr if fewer remain.
  const uint8_t* take(size_t n) {
    if (remaining() < n) return nullptr;
    const uint8_t* q = p_;
    p_ += n;
    return q;
  }
  bool skip(size_t n) { return take(n) != nullptr || n == 0; }
  bool u8(uint8_t* v) { return read_bytes(v, 1); }
  bool u16(uint16_t* v) { return read_le(v); }
  bool u32(uint32_t* v) { return read_le(v); }
  bool u64(uint64_t* v) { return read_le(v); }
  bool i16(int16_t* v) { return read_le(v); }
  bool i32(int32_t* v) { return read_le(v); }
  bool i64(int64_t* v) { return read_le(v); }
  bool f32(float* v) { return read_le(v); }
  bool f64(double* v) { return read_le(v); }
  // A SPEC.md string: u32 length, then bytes. Fails if the length runs past the end or exceeds max_len.
  bool str(std::string* s, size_t max_len = SIZE_MAX) {
    uint32_t n;
    if (!u32(&n) || n > max_len || remaining() < n) return false;
    s->assign((const char*)p_, n);
    p_ += n;
    return true;
  }

 private:
  template <typename T>
  bool read_le(T* v) {  // the format is little-endian and so is every target we build for
    static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "golf assumes a little-endian host");
    return read_bytes(v, sizeof(T));
  }
  const uint8_t* p_;
  const uint8_t* end_;
  const uint8_t* begin_;
};

class ByteWriter {
 public:
  std::vector<uint8_t>& buffer() { return buf_; }
  const std::vector<uint8_t>& buffer() const { return buf_; }
  size_t size() const { return buf_.size(); }
  void bytes(const void* data, size_t n) {
    const uint8_t* b = (const uint8_t*)data;
    buf_.insert(buf_.end(), b, b + n);
  }
  void u8(uint8_t v) { buf_.push_back(v); }
  void u16(uint16_t v) { bytes(&v, 2); }
  void u32(uint32_t v) { bytes(&v, 4); }
  void u64(uint64_t v) { bytes(&v, 8); }
  void i16(int16_t v) { bytes(&v, 2); }
  void i32(int32_t v) { bytes(&v, 4); }
  void i64(int64_t v) { bytes(&v, 8); }
  void f32(float v) { bytes(&v, 4); }
  void f64(double v) { bytes(&v, 8); }
  void str(const std::string& s) {
    u32((uint32_t)s.size());
    bytes(s.data(), s.size());
  }
  void pad_to(size_t multiple) {
    while (buf_.size() % multiple) buf_.push_back(0);
  }
  // Overwrites previously written bytes at offset (used to patch sizes and checksums).
  void patch(size_t offset, const void* data, size_t n) { std::memcpy(buf_.data() + offset, data, n); }

 private:
  std::vector<uint8_t> buf_;
};

}  // namespace golf
