// mapped_file.cpp: POSIX mmap of a whole file, whole-file reads, and atomic writes (temp + fsync + rename).
#include "mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace golf {

namespace {
Status io_error(const std::string& what, const std::string& path) {
  return Status(StatusCode::io_error, path + ": " + what + ": " + std::strerror(errno));
}
}  // namespace

MappedFile::~MappedFile() {
  if (data_) munmap(data_, size_);
}

Status MappedFile::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open", path);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    Status s = io_error("cannot stat", path);
    ::close(fd);
    return s;
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status(StatusCode::io_error, path + ": not a regular file");
  }
  size_ = (size_t)st.st_size;
  if (size_ == 0) {
    ::close(fd);
    return Status::Ok();
  }
  void* p = mmap(nullptr, size_, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);  // the mapping keeps the file alive
  if (p == MAP_FAILED) {
    size_ = 0;
    return io_error("cannot mmap", path);
  }
  data_ = (uint8_t*)p;
  return Status::Ok();
}

void MappedFile::release(const uint8_t* p, size_t n) const {
  if (data_ == nullptr || p < data_ || n > size_ || (size_t)(p - data_) > size_ - n) return;
  const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
  const uintptr_t first = ((uintptr_t)p + page - 1) / page * page, last = ((uintptr_t)p + n) / page * page;
  if (first >= last) return;
#ifdef MADV_NOHUGEPAGE
  // A fresh file's page cache can be mapped in 2 MB pages: a later read of any byte beside the range (a raw tensor)
  // would map the whole 2 MB back. Without huge pages here, only the pages read come back.
  madvise((void*)first, last - first, MADV_NOHUGEPAGE);
#endif
  madvise((void*)first, last - first, MADV_DONTNEED);
}

Status read_file_bytes(const std::string& path, std::string* out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open", path);
  std::string buf;
  char chunk[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      Status s = io_error("read failed", path);
      ::close(fd);
      return s;
    }
    if (n == 0) break;
    buf.append(chunk, (size_t)n);
  }
  ::close(fd);
  *out = std::move(buf);
  return Status::Ok();
}

namespace {

// Writes all of [data, data + size), retrying short writes and EINTR (chunks of at most 1 GiB: some kernels refuse
// larger single writes).
bool write_all(int fd, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const size_t chunk = size < (size_t(1) << 30) ? size : (size_t(1) << 30);
    const ssize_t n = ::write(fd, p, chunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += n;
    size -= size_t(n);
  }
  return true;
}

}  // namespace

Status write_file_atomic(const std::string& path, const std::vector<FilePiece>& pieces) {
  const std::string tmp = path + ".tmp." + std::to_string(getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return io_error("cannot create", tmp);
  Status failure;
  for (const FilePiece& piece : pieces)
    if (failure.ok() && !write_all(fd, piece.data, piece.size)) failure = io_error("write failed", tmp);
  if (failure.ok() && fsync(fd) != 0) failure = io_error("fsync failed", tmp);
  if (::close(fd) != 0 && failure.ok()) failure = io_error("close failed", tmp);
  if (failure.ok() && ::rename(tmp.c_str(), path.c_str()) != 0)
    failure = io_error("cannot rename temp file over", path);
  if (!failure.ok()) {
    ::unlink(tmp.c_str());
    return failure;
  }
  // Make the rename itself durable. Some file systems refuse fsync on a directory; the data is already safe then.
  std::string dir = ".";
  size_t slash = path.find_last_of('/');
  if (slash != std::string::npos) dir = slash == 0 ? "/" : path.substr(0, slash);
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    ::close(dfd);
  }
  return Status::Ok();
}

}  // namespace golf
