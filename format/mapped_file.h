// mapped_file.h: a read-only memory map of a whole file (POSIX mmap), the zero-copy path for loading models.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "status.h"

namespace golf {

class MappedFile {
 public:
  MappedFile() = default;
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  // Maps path read-only. An empty file maps to size 0 with a null pointer.
  Status open(const std::string& path);
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// Reads a whole file into memory (small inputs: configs, tokenizer models).
Status read_file_bytes(const std::string& path, std::string* out);
// Writes bytes atomically: a temporary file beside path, fsync, rename over path, fsync of the directory.
Status write_file_atomic(const std::string& path, const void* data, size_t size);

}  // namespace golf
