// shard.cpp: reading, validating and atomically writing the challenge's .bin token shards (see shard.h).
#include "shard.h"

#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "mapped_file.h"  // defines: write_file_atomic
#include "sha256.h"

namespace golf {
namespace data {
namespace {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "shards are little-endian and are read and written in place; add byte swapping for big-endian hosts");

int32_t load_le_i32(const uint8_t* p) {
  return int32_t(uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24));
}

void store_le_i32(uint8_t* p, int32_t v) {
  const uint32_t u = uint32_t(v);
  p[0] = uint8_t(u);
  p[1] = uint8_t(u >> 8);
  p[2] = uint8_t(u >> 16);
  p[3] = uint8_t(u >> 24);
}

Status os_error(const std::string& what, const std::string& path) {
  return Status(StatusCode::io_error, path + ": " + what + ": " + std::strerror(errno));
}

}  // namespace

std::string shard_file_name(const std::string& prefix, const std::string& split, uint64_t index) {
  char number[32];
  std::snprintf(number, sizeof number, "%06llu", static_cast<unsigned long long>(index));
  return prefix + "_" + split + "_" + number + ".bin";
}

std::string shard_glob(const std::string& dir, const std::string& split, const std::string& prefix) {
  std::string base = dir.empty() ? "." : dir;
  if (base.back() != '/') base += '/';
  return base + prefix + "_" + split + "_*.bin";
}

Status parse_shard_header(const uint8_t* header, uint64_t file_size, const std::string& name, uint64_t* num_tokens) {
  if (file_size < kShardHeaderBytes) {
    return Status(StatusCode::bad_format, name + ": " + std::to_string(file_size) +
                                              " bytes, shorter than the 1024-byte shard header (truncated or not a "
                                              "shard); re-create it with golf-data tokenize");
  }
  const int32_t magic = load_le_i32(header), version = load_le_i32(header + 4), count = load_le_i32(header + 8);
  if (magic != kShardMagic) {
    return Status(StatusCode::bad_format, name + ": header magic is " + std::to_string(magic) + ", expected " +
                                              std::to_string(kShardMagic) + " (not a token shard)");
  }
  if (version != kShardVersion) {
    return Status(StatusCode::unsupported, name + ": shard version " + std::to_string(version) + ", expected " +
                                               std::to_string(kShardVersion));
  }
  if (count < 0) {
    return Status(StatusCode::bad_format, name + ": negative token count " + std::to_string(count) + " in the header");
  }
  const uint64_t expected = kShardHeaderBytes + 2 * uint64_t(count);
  if (file_size != expected) {
    return Status(StatusCode::bad_format,
                  name + ": the header says " + std::to_string(count) + " tokens, so the file should be " +
                      std::to_string(expected) + " bytes, but it is " + std::to_string(file_size) +
                      " bytes (truncated or corrupt); re-create it with golf-data tokenize");
  }
  *num_tokens = uint64_t(count);
  return Status::Ok();
}

Status read_shard_header(const std::string& path, uint64_t* num_tokens) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return os_error("cannot open shard", path);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const Status s = os_error("cannot stat shard", path);
    ::close(fd);
    return s;
  }
  uint8_t header[kShardHeaderBytes] = {};
  size_t got = 0;
  while (got < sizeof header) {
    const ssize_t n = ::read(fd, header + got, sizeof header - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const Status s = os_error("cannot read shard header", path);
      ::close(fd);
      return s;
    }
    if (n == 0) break;
    got += size_t(n);
  }
  ::close(fd);
  // A short read means a short file: parse_shard_header reports it from the size.
  return parse_shard_header(header, uint64_t(st.st_size), path, num_tokens);
}

Status ShardReader::open(const std::string& path) {
  close();
  auto map = std::make_unique<MappedFile>();
  GOLF_RETURN_IF_ERROR(map->open(path));
  uint64_t count = 0;
  const uint8_t* bytes = map->data();
  static const uint8_t kEmpty[kShardHeaderBytes] = {};
  GOLF_RETURN_IF_ERROR(parse_shard_header(bytes ? bytes : kEmpty, map->size(), path, &count));
  map_ = std::move(map);
  path_ = path;
  num_tokens_ = count;
  // mmap returns page-aligned memory and the header is 1024 bytes, so the payload is 2-byte aligned.
  tokens_ = reinterpret_cast<const uint16_t*>(bytes + kShardHeaderBytes);
  return Status::Ok();
}

void ShardReader::close() {
  map_.reset();
  path_.clear();
  tokens_ = nullptr;
  num_tokens_ = 0;
}

Status read_shard(const std::string& path, std::vector<uint16_t>* tokens) {
  ShardReader reader;
  GOLF_RETURN_IF_ERROR(reader.open(path));
  tokens->assign(reader.tokens(), reader.tokens() + reader.num_tokens());
  return Status::Ok();
}

Status write_shard(const std::string& path, const uint16_t* tokens, size_t num_tokens, std::string* sha256_hex) {
  if (num_tokens > kMaxShardTokens) {
    return Status(StatusCode::invalid_argument, path + ": " + std::to_string(num_tokens) +
                                                    " tokens do not fit a shard (the header count is an int32, at "
                                                    "most 2147483647); use smaller shards");
  }
  uint8_t header[kShardHeaderBytes] = {};
  store_le_i32(header, kShardMagic);
  store_le_i32(header + 4, kShardVersion);
  store_le_i32(header + 8, int32_t(num_tokens));
  if (sha256_hex != nullptr) {
    Sha256 hasher;
    hasher.update(header, sizeof header);
    hasher.update(tokens, 2 * num_tokens);
    *sha256_hex = hasher.hex_digest();
  }

  return write_file_atomic(path, {{header, sizeof header}, {tokens, 2 * num_tokens}})
      .prefix("shard: ");
}

Status make_directories(const std::string& dir) {
  if (dir.empty()) return Status::Ok();
  std::string partial;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = dir.find('/', pos + 1);
    partial = dir.substr(0, pos);
    if (partial.empty() || partial == "/") continue;
    if (::mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST) {
      return Status(StatusCode::io_error, partial + ": cannot create directory: " + std::strerror(errno));
    }
  }
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Status(StatusCode::io_error, dir + ": exists but is not a directory");
  }
  return Status::Ok();
}

std::string shard_pattern(const std::string& dir_or_glob, const std::string& split) {
  const std::string& s = dir_or_glob;
  if (s.find_first_of("*?[") != std::string::npos) return s;
  if (s.size() > 4 && s.compare(s.size() - 4, 4, ".bin") == 0) return s;
  return shard_glob(s, split);
}

Status read_shard_tokens(const std::string& pattern, std::vector<uint16_t>* tokens) {
  std::vector<std::string> paths;
  GOLF_RETURN_IF_ERROR(list_shards(pattern, &paths));
  tokens->clear();
  std::vector<uint16_t> shard;
  for (const std::string& p : paths) {
    GOLF_RETURN_IF_ERROR(read_shard(p, &shard));
    tokens->insert(tokens->end(), shard.begin(), shard.end());
  }
  if (tokens->empty()) return Status(StatusCode::invalid_argument, pattern + ": the shards hold no tokens");
  return Status::Ok();
}

Status list_shards(const std::string& pattern, std::vector<std::string>* paths) {
  paths->clear();
  glob_t matches;
  std::memset(&matches, 0, sizeof matches);
  const int rc = ::glob(pattern.c_str(), 0, nullptr, &matches);
  if (rc == 0) {
    for (size_t i = 0; i < matches.gl_pathc; i++) {
      const std::string path = matches.gl_pathv[i];
      if (path.find("_bytes_", path.find_last_of('/') + 1) == std::string::npos) paths->push_back(path);
    }
  }
  ::globfree(&matches);
  if (rc == GLOB_NOMATCH || (rc == 0 && paths->empty())) {
    return Status(StatusCode::io_error, "no shards match " + pattern +
                                            " (wrong directory or prefix? golf-data tokenize --out DIR writes them)");
  }
  if (rc != 0) return Status(StatusCode::io_error, "cannot list " + pattern + " (glob failed)");
  std::sort(paths->begin(), paths->end());
  return Status::Ok();
}

}  // namespace data
}  // namespace golf
