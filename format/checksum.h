// checksum.h: XXH3-64 (seed 0), the checksum of every .golf section, tensor and of the whole file.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

namespace golf {

uint64_t xxh3_64(const void* data, size_t size);

// Incremental XXH3-64 over several pieces; equals xxh3_64 of their concatenation.
class Xxh3Stream {
 public:
  Xxh3Stream();
  ~Xxh3Stream();
  Xxh3Stream(const Xxh3Stream&) = delete;
  Xxh3Stream& operator=(const Xxh3Stream&) = delete;
  void update(const void* data, size_t size);
  uint64_t digest() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace golf
