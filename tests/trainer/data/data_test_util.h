// data_test_util.h: helpers shared by the data-pipeline tests: a temporary directory removed at the end of the test,
// file writing, and shards of known tokens.
#pragma once
#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "shard.h"

namespace golf {
namespace data {
namespace testing_util {

class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/golf_data_test_XXXXXX";
    const char* made = ::mkdtemp(pattern);
    path_ = made ? made : "";
  }
  ~TempDir() { remove_tree(path_); }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

  static void remove_tree(const std::string& path) {
    if (path.empty()) return;
    if (DIR* dir = ::opendir(path.c_str())) {
      while (dirent* entry = ::readdir(dir)) {
        const std::string name = entry->d_name;
        if (name == "." || name == "..") continue;
        const std::string child = path + "/" + name;
        struct stat st;
        if (::lstat(child.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
          remove_tree(child);
        } else {
          ::unlink(child.c_str());
        }
      }
      ::closedir(dir);
    }
    ::rmdir(path.c_str());
  }

 private:
  std::string path_;
};

inline void write_text_file(const std::string& path, const std::string& bytes) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr) << path;
  ASSERT_EQ(std::fwrite(bytes.data(), 1, bytes.size(), f), bytes.size());
  std::fclose(f);
}

inline std::string read_text_file(const std::string& path) {
  std::string out;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return out;
  char buffer[1 << 16];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0) out.append(buffer, n);
  std::fclose(f);
  return out;
}

// Writes shards dir/fineweb_<split>_NNNNNN.bin holding the given token lists.
inline void write_shards(const std::string& dir, const std::string& split,
                         const std::vector<std::vector<uint16_t>>& shards) {
  for (size_t i = 0; i < shards.size(); i++) {
    const Status s = write_shard(dir + "/" + shard_file_name("fineweb", split, i), shards[i].data(), shards[i].size());
    ASSERT_TRUE(s.ok()) << s.message();
  }
}

}  // namespace testing_util
}  // namespace data
}  // namespace golf
