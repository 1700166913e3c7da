// mapped_file.h: a read-only memory map of a whole file (POSIX mmap), the zero-copy path for loading models.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

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
  // Drops the whole pages inside [p, p + n) from this process's resident memory (madvise MADV_DONTNEED): for bytes
  // read once and not needed again (rans tensors after decoding). The bytes stay readable: a later access reads them
  // back from the file. A range outside the map is ignored.
  void release(const uint8_t* p, size_t n) const;

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// Reads a whole file into memory (small inputs: configs, tokenizer models).
Status read_file_bytes(const std::string& path, std::string* out);
// One piece of a file written by write_file_atomic.
struct FilePiece {
  const void* data;
  size_t size;
};
// Writes the pieces, in order, atomically: a temporary file beside path (unique per process), fsync, close, rename
// over path, fsync of the directory. On any failure the temporary file is removed and path is left as it was.
Status write_file_atomic(const std::string& path, const std::vector<FilePiece>& pieces);
inline Status write_file_atomic(const std::string& path, const void* data, size_t size) {
  return write_file_atomic(path, std::vector<FilePiece>{{data, size}});
}

}  // namespace golf
