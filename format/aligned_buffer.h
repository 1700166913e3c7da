// aligned_buffer.h: a heap byte buffer aligned to 64 bytes (cache line, AVX-512 register), zero-initialised.
// Decoded tensors live in these so kernels see the same alignment as raw tensors in an mmap.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

namespace golf {

class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  ~AlignedBuffer() { std::free(data_); }
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  AlignedBuffer(AlignedBuffer&& o) noexcept : data_(o.data_), size_(o.size_) { o.data_ = nullptr; o.size_ = 0; }
  AlignedBuffer& operator=(AlignedBuffer&& o) noexcept {
    if (this != &o) { std::free(data_); data_ = o.data_; size_ = o.size_; o.data_ = nullptr; o.size_ = 0; }
    return *this;
  }
  // Returns false (and leaves the buffer empty) when the allocation fails.
  bool allocate(size_t size) {
    std::free(data_);
    data_ = nullptr;
    size_ = 0;
    size_t rounded = (size + 63) & ~size_t(63);
    if (rounded < size) return false;
    void* p = std::aligned_alloc(64, rounded ? rounded : 64);
    if (!p) return false;
    std::memset(p, 0, rounded ? rounded : 64);
    data_ = (uint8_t*)p;
    size_ = size;
    return true;
  }
  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace golf
