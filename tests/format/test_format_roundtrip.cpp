// test_format_roundtrip.cpp: the writer and reader agree on every dtype x codec x odd shape, on config, tokenizer
// and metadata, from a path (mmap) and from memory; raw tensors are zero-copy and 64-byte aligned; forward
// compatibility rules (unknown sections, versions, required keys) behave as SPEC.md §7 says.
#include <gtest/gtest.h>

#include <cstdio>
#include <unistd.h>

#include "format_test_util.h"
#include "golf_file.h"
#include "golf_writer.h"
#include "mapped_file.h"
#include "model_config.h"

using namespace golf;

namespace {

struct Case {
  Dtype dtype;
  Codec codec;
  std::vector<uint64_t> dims;
  uint32_t group;
};

std::vector<Case> all_cases() {
  std::vector<Case> cases;
  const std::vector<std::vector<uint64_t>> float_shapes = {{1}, {7}, {3, 5}, {2, 3, 5}, {1, 1, 1, 9}};
  for (Dtype d : {Dtype::f32, Dtype::f16, Dtype::bf16})
    for (const auto& s : float_shapes) cases.push_back({d, Codec::raw, s, 0});
  const std::vector<std::vector<uint64_t>> q_shapes = {{128}, {1, 128}, {3, 128}, {5, 256}, {2, 3, 128}, {7, 384}};
  for (int bits = 2; bits <= 8; bits++) {
    Dtype d = dtype_q(bits);
    std::vector<uint32_t> groups = d == Dtype::q4 ? std::vector<uint32_t>{32, 64} : std::vector<uint32_t>{0, 32, 64, 128};
    for (Codec c : {Codec::raw, Codec::rans})
      for (uint32_t g : groups)
        for (const auto& s : q_shapes) cases.push_back({d, c, s, g});
  }
  // Per-row scales on odd column counts (no grouping constraint).
  for (Dtype d : {Dtype::q8, Dtype::q6, Dtype::q2})
    for (Codec c : {Codec::raw, Codec::rans}) cases.push_back({d, c, {3, 7}, 0}), cases.push_back({d, c, {1}, 0});
  return cases;
}

std::string temp_path(const char* tag) {
  return "/tmp/golf_test_" + std::string(tag) + "_" + std::to_string(getpid()) + ".golf";
}

}  // namespace

TEST(FormatRoundTrip, EveryDtypeCodecAndShape) {
  std::mt19937 rng(42);
  GolfWriter w;
  ModelConfig cfg;
  model_config_to_kv(cfg, &w.config());
  w.config().set_ints("extra_ints", {1, -2, 3});
  w.config().set_floats("extra_floats", {0.5, -1e300});
  w.set_tokenizer(golf_test::tiny_tokenizer());
  w.metadata().set_string("source_revision", "abc123");
  w.metadata().set_float("val_bpb", 1.2244);
  std::vector<Case> cases = all_cases();
  std::vector<std::vector<uint8_t>> raws;
  for (size_t i = 0; i < cases.size(); i++) {
    TensorRecord r;
    r.name = "t" + std::to_string(i) + "." + dtype_name(cases[i].dtype);
    r.dtype = cases[i].dtype, r.codec = cases[i].codec, r.dims = cases[i].dims, r.group_size = cases[i].group;
    r.raw = golf_test::random_raw(r.dtype, r.dims, r.group_size, rng);
    raws.push_back(r.raw);
    Status st = w.add_tensor(std::move(r));
    ASSERT_TRUE(st.ok()) << st.message();
  }
  std::string path = temp_path("roundtrip");
  ASSERT_TRUE(w.write_file(path).ok());
  std::vector<uint8_t> bytes;
  ASSERT_TRUE(w.serialize(&bytes).ok());

  for (int from_memory = 0; from_memory < 2; from_memory++) {
    std::unique_ptr<GolfFile> f;
    Status st = from_memory ? GolfFile::open_memory(bytes.data(), bytes.size(), &f) : GolfFile::open(path, &f);
    ASSERT_TRUE(st.ok()) << st.message();
    ASSERT_TRUE(f->verify_all().ok());
    EXPECT_EQ(f->version_major(), 1);
    ASSERT_EQ(f->tensors().size(), cases.size());
    for (size_t i = 0; i < cases.size(); i++) {
      const TensorInfo& t = f->tensors()[i];
      SCOPED_TRACE(t.name);
      EXPECT_EQ(t.dtype, cases[i].dtype);
      EXPECT_EQ(t.codec, cases[i].codec);
      EXPECT_EQ(t.dims, cases[i].dims);
      EXPECT_EQ(t.group_size, cases[i].group);
      ASSERT_EQ(t.layout.raw_size, raws[i].size());
      EXPECT_EQ(0, std::memcmp(t.raw, raws[i].data(), raws[i].size()));
      // An mmap is page aligned; a caller's buffer is aligned only as the caller made it, so check offsets there.
      uintptr_t base = (from_memory && t.codec == Codec::raw) ? (uintptr_t)bytes.data() : 0;
      EXPECT_EQ(((uintptr_t)t.raw - base) % 64, 0u);
      if (t.codec == Codec::raw) {
        EXPECT_EQ(t.raw, t.stored);  // zero copy
      }
      if (dtype_is_quantized(t.dtype)) {
        EXPECT_EQ(((uintptr_t)t.scales() - base) % 64, 0u);
      }
    }
    EXPECT_EQ(f->find_tensor("t0.f32"), &f->tensors()[0]);
    EXPECT_EQ(f->find_tensor("nope"), nullptr);
    ModelConfig back;
    ASSERT_TRUE(model_config_from_kv(f->config(), &back).ok());
    EXPECT_EQ(back.model_dim, cfg.model_dim);
    EXPECT_EQ(back.norm_eps, cfg.norm_eps);
    int64_t iv;
    EXPECT_FALSE(f->config().get_int("extra_ints", &iv));
    EXPECT_EQ(f->config().find("extra_ints")->ints, (std::vector<int64_t>{1, -2, 3}));
    EXPECT_EQ(f->config().find("extra_floats")->floats[1], -1e300);
    std::string s;
    ASSERT_TRUE(f->metadata().get_string("source_revision", &s));
    EXPECT_EQ(s, "abc123");
    ASSERT_TRUE(f->has_tokenizer());
    const TokenizerData& t = f->tokenizer();
    TokenizerData want = golf_test::tiny_tokenizer();
    EXPECT_EQ(t.pieces.size(), want.pieces.size());
    for (size_t i = 0; i < want.pieces.size(); i++) {
      EXPECT_EQ(t.pieces[i].piece, want.pieces[i].piece);
      EXPECT_EQ(t.pieces[i].score, want.pieces[i].score);
      EXPECT_EQ(t.pieces[i].type, want.pieces[i].type);
    }
    EXPECT_EQ(t.precompiled_charsmap, want.precompiled_charsmap);
    EXPECT_EQ(t.flags, want.flags);
    EXPECT_EQ(t.unk_surface, want.unk_surface);
  }
  // Serialization is deterministic: the same writer gives the same bytes as the file on disk.
  std::string on_disk;
  ASSERT_TRUE(read_file_bytes(path, &on_disk).ok());
  EXPECT_EQ(on_disk, std::string(bytes.begin(), bytes.end()));
  std::remove(path.c_str());
}

TEST(FormatRoundTrip, RawTensorsAreUsableInPlaceFromTheMap) {
  std::vector<uint8_t> bytes = golf_test::small_file_bytes();
  ASSERT_FALSE(bytes.empty());
  std::unique_ptr<GolfFile> f;
  ASSERT_TRUE(GolfFile::open_memory(bytes.data(), bytes.size(), &f).ok());
  const TensorInfo* q4 = f->find_tensor("w.q4");
  ASSERT_NE(q4, nullptr);
  EXPECT_GE(q4->raw, bytes.data());
  EXPECT_LT(q4->raw, bytes.data() + bytes.size());
}

TEST(FormatRoundTrip, WriterRejectsBadRecords) {
  GolfWriter w;
  std::mt19937 rng(3);
  TensorRecord r;
  r.name = "x", r.dtype = Dtype::q4, r.dims = {2, 64}, r.group_size = 0;  // q4 needs groups
  r.raw.resize(200);
  EXPECT_EQ(w.add_tensor(r).code(), StatusCode::invalid_argument);
  r.group_size = 32;
  r.raw.resize(10);  // wrong raw size
  EXPECT_EQ(w.add_tensor(r).code(), StatusCode::invalid_argument);
  r.raw = golf_test::random_raw(Dtype::q4, r.dims, 32, rng);
  EXPECT_TRUE(w.add_tensor(r).ok());
  EXPECT_EQ(w.add_tensor(r).code(), StatusCode::invalid_argument);  // duplicate name
  TensorRecord f;
  f.name = "f", f.dtype = Dtype::f32, f.codec = Codec::rans, f.dims = {4};
  f.raw.resize(16);
  EXPECT_EQ(w.add_tensor(f).code(), StatusCode::invalid_argument);  // rans on floats
  f.name = "";
  f.codec = Codec::raw;
  EXPECT_EQ(w.add_tensor(f).code(), StatusCode::invalid_argument);
}

TEST(FormatCompatibility, UnknownOptionalSectionIsSkippedRequiredIsAnError) {
  std::vector<uint8_t> base = golf_test::small_file_bytes();
  std::unique_ptr<GolfFile> f;
  std::vector<uint8_t> opt = golf_test::with_extra_section(base, "XTRA", 0, "future data");
  Status st = GolfFile::open_memory(opt.data(), opt.size(), &f);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(f->sections().size(), 6u);
  std::vector<uint8_t> req = golf_test::with_extra_section(base, "XTRA", 1, "future data");
  st = GolfFile::open_memory(req.data(), req.size(), &f, {}, "req.golf");
  EXPECT_EQ(st.code(), StatusCode::unsupported);
  EXPECT_NE(st.message().find("req.golf"), std::string::npos);
  EXPECT_NE(st.message().find("XTRA"), std::string::npos);
  EXPECT_NE(st.message().find("upgrade"), std::string::npos);
}

TEST(FormatCompatibility, VersionRules) {
  std::vector<uint8_t> b = golf_test::small_file_bytes();
  std::unique_ptr<GolfFile> f;
  uint16_t minor = 7;
  std::memcpy(b.data() + 6, &minor, 2);
  golf_test::refresh_checksums(b);
  EXPECT_TRUE(GolfFile::open_memory(b.data(), b.size(), &f).ok()) << "a newer minor version must be accepted";
  uint16_t major = 2;
  std::memcpy(b.data() + 4, &major, 2);
  golf_test::refresh_checksums(b);
  Status st = GolfFile::open_memory(b.data(), b.size(), &f);
  EXPECT_EQ(st.code(), StatusCode::unsupported);
  EXPECT_NE(st.message().find("2.7"), std::string::npos) << st.message();
}

TEST(FormatCompatibility, RequiredUnknownConfigKeyRefused) {
  KeyValues kv;
  model_config_to_kv(ModelConfig(), &kv);
  ModelConfig c;
  EXPECT_TRUE(model_config_from_kv(kv, &c).ok());
  kv.set_int("some_future_knob", 3, false);
  EXPECT_TRUE(model_config_from_kv(kv, &c).ok()) << "unknown optional keys are ignored";
  kv.set_int("xsa_layers", 3, true);
  Status st = model_config_from_kv(kv, &c);
  EXPECT_EQ(st.code(), StatusCode::unsupported);
  EXPECT_NE(st.message().find("xsa_layers"), std::string::npos);
}

TEST(FormatConfig, BaselineParameterCount) {
  ModelConfig c = challenge_baseline_config();
  EXPECT_EQ(c.parameter_count(), 17059912);  // challenge.md §1.2
  int64_t total = 0;
  for (const TensorSpec& s : model_tensor_specs(c)) {
    int64_t n = 1;
    for (uint64_t d : s.shape) n *= (int64_t)d;
    total += n;
  }
  EXPECT_EQ(total, 17059912);
}

TEST(FormatKv, DecoderRejectsMalformedEntries) {
  KeyValues kv;
  kv.set_string("name", "x");
  ByteWriter w;
  kv_encode(kv, &w);
  std::vector<uint8_t> b = w.buffer();
  KeyValues out;
  EXPECT_TRUE(kv_decode(b.data(), b.size(), &out).ok());
  for (size_t cut = 0; cut < b.size(); cut++) EXPECT_FALSE(kv_decode(b.data(), cut, &out).ok()) << cut;
  std::vector<uint8_t> bad_key = b;
  bad_key[8] = 'A';  // uppercase is not allowed in keys
  EXPECT_FALSE(kv_decode(bad_key.data(), bad_key.size(), &out).ok());
  std::vector<uint8_t> dup = b;
  dup[0] = 2;  // claims two entries: the second is missing
  EXPECT_FALSE(kv_decode(dup.data(), dup.size(), &out).ok());
  std::vector<uint8_t> trailing = b;
  trailing.push_back(0);
  EXPECT_FALSE(kv_decode(trailing.data(), trailing.size(), &out).ok());
}
