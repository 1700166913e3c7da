// shard.h: the challenge's token shard format (challenge.md §2.1; written by golf-data, read by golf-train and
// golf-eval), exactly: a header of 256 little-endian int32 (magic 20240520, version 1, num_tokens, the rest zero), then
// num_tokens little-endian uint16 token ids. A shard is valid only if its size is exactly 1024 + 2 * num_tokens bytes.
// Files are named `<prefix>_<split>_%06d.bin`, prefix "fineweb" by default, split "train" or "val".
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mapped_file.h"
#include "status.h"

namespace golf {
namespace data {

constexpr int32_t kShardMagic = 20240520;
constexpr int32_t kShardVersion = 1;
constexpr size_t kShardHeaderInts = 256;
constexpr size_t kShardHeaderBytes = kShardHeaderInts * 4;
// num_tokens is an int32 in the header.
constexpr uint64_t kMaxShardTokens = 0x7fffffff;
// Token ids are stored as uint16.
constexpr int kMaxShardVocab = 65536;

// "fineweb_train_000003.bin" for (prefix "fineweb", split "train", index 3).
std::string shard_file_name(const std::string& prefix, const std::string& split, uint64_t index);
// The glob pattern of one split's shards in dir: "dir/fineweb_train_*.bin".
std::string shard_glob(const std::string& dir, const std::string& split, const std::string& prefix = "fineweb");
// What a tool's shards argument means: a glob or a .bin path as given, else a directory holding split's shards.
std::string shard_pattern(const std::string& dir_or_glob, const std::string& split);

// Parses and checks the 1024-byte header of a shard whose file is file_size bytes: magic, version, a non-negative
// count, and file_size == 1024 + 2 * num_tokens. `name` labels the errors.
Status parse_shard_header(const uint8_t* header, uint64_t file_size, const std::string& name, uint64_t* num_tokens);

// Reads only the header of path (cheap: a 1 KiB read and a stat) and checks it as parse_shard_header does.
Status read_shard_header(const std::string& path, uint64_t* num_tokens);

// A validated shard, memory-mapped: tokens() points at the file's uint16 payload (zero copy).
class ShardReader {
 public:
  Status open(const std::string& path);
  void close();
  bool is_open() const { return !path_.empty(); }
  const std::string& path() const { return path_; }
  const uint16_t* tokens() const { return tokens_; }
  uint64_t num_tokens() const { return num_tokens_; }
  // The whole file, header included (what manifest.json's SHA-256 covers).
  const uint8_t* file_bytes() const { return map_ ? map_->data() : nullptr; }
  uint64_t file_size() const { return map_ ? map_->size() : 0; }

 private:
  std::unique_ptr<MappedFile> map_;  // a pointer so that readers can be moved and reopened
  std::string path_;
  const uint16_t* tokens_ = nullptr;
  uint64_t num_tokens_ = 0;
};

// Reads a whole shard into *tokens (replacing its contents).
Status read_shard(const std::string& path, std::vector<uint16_t>* tokens);
// Every token of the shards list_shards(pattern) finds, in order: the challenge's validation stream before it is
// trimmed to whole windows. No token at all -> invalid_argument.
Status read_shard_tokens(const std::string& pattern, std::vector<uint16_t>* tokens);

// Writes a shard atomically: a temporary file beside path, fsync, rename over path, fsync of the directory, so a
// crash leaves either the old file or the complete new one. If sha256_hex is not null it receives the SHA-256 of
// the file's bytes (header included). More than kMaxShardTokens tokens -> invalid_argument.
Status write_shard(const std::string& path, const uint16_t* tokens, size_t num_tokens,
                   std::string* sha256_hex = nullptr);

// mkdir -p: creates dir and its missing parents; an existing directory is fine.
Status make_directories(const std::string& dir);

// The paths matching a glob pattern, sorted by byte value (the challenge's sorted(glob.glob(pattern))), leaving out
// byte sidecars ("*_bytes_*": CaseOps per-token byte counts, not token shards). No match -> io_error naming the
// pattern.
Status list_shards(const std::string& pattern, std::vector<std::string>* paths);

}  // namespace data
}  // namespace golf
