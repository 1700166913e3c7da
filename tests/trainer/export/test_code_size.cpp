// test_code_size.cpp: the counted code size: the figure compiled in at build time is positive and made of the
// listed files; measuring is stable; and a measurement follows the files (a changed, added or excluded file).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "code_size.h"
#include "export_test_util.h"

namespace golf::export_test {
namespace {

using train_export::CodeSize;
using train_export::CodeSizeSpec;

void write(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

TEST(CodeSize, BuildTimeFigureIsPositiveAndCountsTheListedFiles) {
  const CodeSize& c = train_export::counted_code_size();
  std::printf("counted code: %zu files, %llu bytes, %llu compressed (%s)\n", c.files.size(),
              (unsigned long long)c.raw_bytes, (unsigned long long)c.compressed_bytes, c.compressor.c_str());
  EXPECT_GT(c.compressed_bytes, 0u);
  EXPECT_LT(c.compressed_bytes, c.raw_bytes);
  EXPECT_EQ(c.compressor, train_export::code_compressor_name());
  EXPECT_EQ(c.sha256.size(), 64u);
  uint64_t sum = 0, archive = 0;
  std::set<std::string> paths;
  for (const auto& f : c.files) {
    sum += f.bytes;
    archive += f.path.size() + 1 + std::to_string(f.bytes).size() + 1 + f.bytes;
    paths.insert(f.path);
  }
  EXPECT_EQ(sum, c.raw_bytes);
  EXPECT_EQ(archive, c.archive_bytes);
  for (const char* counted : {"meson.build", "format/quant.cpp", "format/writer.cpp", "trainer/cpu/model.cpp",
                              "trainer/export/export.cpp", "runtime/eval/scorer.cpp", "runtime/model/model.cpp"})
    EXPECT_TRUE(paths.count(counted)) << counted;
  for (const char* excluded : {"format/tools/golf_pack.cpp", "runtime/eval/golf_eval.cpp",
                               "trainer/cpu/bench_train.cpp", "tests/meson.build", "trainer/data/golf_data.cpp"})
    EXPECT_FALSE(paths.count(excluded)) << excluded;
}

TEST(CodeSize, MeasuringTheSourceTreeIsStable) {
  CodeSize a, b;
  ASSERT_TRUE(train_export::measure_code_size(GOLF_SOURCE_DIR, train_export::counted_code_spec(), &a).ok());
  ASSERT_TRUE(train_export::measure_code_size(GOLF_SOURCE_DIR, train_export::counted_code_spec(), &b).ok());
  // Other work may have touched the tree since the build, so only self-consistency is checked against it.
  EXPECT_EQ(a.compressed_bytes, b.compressed_bytes);
  EXPECT_EQ(a.sha256, b.sha256);
  EXPECT_EQ(a.files.size(), b.files.size());
}

TEST(CodeSize, FollowsTheCountedFiles) {
  TempDir dir;
  const std::string root = dir.path();
  write(root + "/meson.build", "project('x', 'cpp')\n");
  write(root + "/lib/a.cpp", "int a() { return 1; }\n");
  write(root + "/lib/sub/b.h", "int b();\n");
  write(root + "/lib/notes.txt", "not code\n");
  write(root + "/lib/tools/tool.cpp", "int main() {}\n");
  CodeSizeSpec spec;
  spec.roots = {"lib", "missing"};
  spec.files = {"meson.build"};
  spec.extensions = {".cpp", ".h"};
  spec.names = {"meson.build"};
  spec.exclude = {"lib/tools/*"};

  CodeSize base;
  std::vector<std::string> dirs;
  ASSERT_TRUE(train_export::measure_code_size(root, spec, &base, &dirs).ok());
  ASSERT_EQ(base.files.size(), 3u);
  EXPECT_EQ(base.files[0].path, "lib/a.cpp");
  EXPECT_EQ(base.files[1].path, "lib/sub/b.h");
  EXPECT_EQ(base.files[2].path, "meson.build");
  EXPECT_EQ(base.raw_bytes, 20u + 22u + 9u);
  EXPECT_GE(dirs.size(), 3u);  // lib, lib/sub, lib/tools, and the parent of the missing root

  CodeSize changed;
  write(root + "/lib/a.cpp", "int a() { return 2; }\n");  // same size, other bytes
  ASSERT_TRUE(train_export::measure_code_size(root, spec, &changed).ok());
  EXPECT_EQ(changed.raw_bytes, base.raw_bytes);
  EXPECT_NE(changed.sha256, base.sha256);

  CodeSize added;
  write(root + "/lib/sub/c.cpp", "int c() { return 3 * 14; }\n");
  ASSERT_TRUE(train_export::measure_code_size(root, spec, &added).ok());
  EXPECT_EQ(added.files.size(), 4u);
  EXPECT_GT(added.compressed_bytes, changed.compressed_bytes);
  EXPECT_GT(added.raw_bytes, changed.raw_bytes);

  CodeSize excluded;
  write(root + "/lib/tools/other.cpp", std::string(5000, 'x'));
  write(root + "/lib/big.txt", std::string(5000, 'y'));
  ASSERT_TRUE(train_export::measure_code_size(root, spec, &excluded).ok());
  EXPECT_EQ(excluded.sha256, added.sha256);
  EXPECT_EQ(excluded.compressed_bytes, added.compressed_bytes);

  std::string archive, compressed;
  ASSERT_TRUE(train_export::build_code_archive(root, &excluded.files, &archive).ok());
  EXPECT_EQ(archive.size(), excluded.archive_bytes);
  EXPECT_EQ(archive.rfind("lib/a.cpp\n22\nint a()", 0), 0u);
  ASSERT_TRUE(train_export::compress_code_archive(archive, &compressed).ok());
  EXPECT_EQ(compressed.size(), excluded.compressed_bytes);

  spec.files = {"absent.txt"};
  EXPECT_EQ(train_export::measure_code_size(root, spec, &excluded).code(), StatusCode::io_error);
}

}  // namespace
}  // namespace golf::export_test
