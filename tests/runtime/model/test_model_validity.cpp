// test_model_validity.cpp: one validator behind every reader (issue 13, item 10). Each case builds a small valid
// model file, breaks one rule of SPEC.md §9, and checks that Model::load (what golf-eval, the C API and the bindings
// run) refuses it and that `golf-inspect --check` refuses it with the same message; the unbroken file passes both.
// The path of golf-inspect comes from the GOLF_INSPECT environment variable (tests/runtime/model/meson.build).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "checksum.h"
#include "golf_file.h"
#include "golf_writer.h"
#include "half.h"
#include "model.h"
#include "quant.h"

using namespace golf;

namespace {

// The parts of a file a case may break before it is serialized.
struct Edits {
  std::function<void(KeyValues&)> config;
  std::function<void(KeyValues&)> metadata;
  std::function<void(TokenizerData&)> tokenizer;
  std::function<void(std::vector<TensorRecord>&)> tensors;
  std::function<void(std::vector<uint8_t>&)> bytes;  // after serializing; checksums are refreshed afterwards
};

ModelConfig small_config() {
  ModelConfig c;
  c.vocab_size = 64, c.model_dim = 64, c.num_layers = 2, c.num_heads = 4, c.num_kv_heads = 2, c.mlp_hidden = 128;
  c.rope_dims = 8, c.num_encoder_layers = 1, c.max_seq_len = 64, c.bos_id = 1;
  return c;
}

// A BPE tokenizer of 64 pieces: <unk>, <s>, </s>, then 61 one-character pieces.
TokenizerData small_tokenizer() {
  TokenizerData t;
  t.model_type = kModelBpe;
  t.normalizer_name = "identity";
  t.unk_id = 0, t.bos_id = 1, t.eos_id = 2, t.pad_id = -1;
  t.unk_surface = " \xE2\x81\x87 ";
  t.pieces = {{"<unk>", 0, PieceType::unknown}, {"<s>", 0, PieceType::control}, {"</s>", 0, PieceType::control}};
  const std::string chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012345678";
  for (size_t i = 0; i < chars.size(); i++) t.pieces.push_back({chars.substr(i, 1), -(float)i, PieceType::normal});
  return t;
}

// Matrices q8 per row (codec raw, so codes and scales sit in the file as written), vectors f32.
std::vector<TensorRecord> small_tensors(const ModelConfig& c) {
  std::vector<TensorRecord> out;
  uint32_t seed = 1;
  for (const TensorSpec& spec : model_tensor_specs(c)) {
    uint64_t n = 1;
    for (uint64_t d : spec.shape) n *= d;
    std::vector<float> v(n);
    for (float& x : v) seed = seed * 1664525u + 1013904223u, x = (float)(seed >> 8) / 16777216.0f - 0.5f;
    TensorRecord r;
    r.name = spec.name;
    r.dims = spec.shape;
    if (spec.shape.size() == 2 && spec.name.find(".weight") != std::string::npos) {
      QuantRecipe q;
      r.dtype = q.dtype = Dtype::q8;
      EXPECT_TRUE(quantize(v.data(), spec.shape, q, &r.raw).ok());
    } else {
      r.raw.resize(n * 4);
      std::memcpy(r.raw.data(), v.data(), r.raw.size());
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<uint8_t> build(const Edits& e) {
  const ModelConfig c = small_config();
  GolfWriter w;
  model_config_to_kv(c, &w.config());
  w.metadata().set_string("created_by", "test_model_validity");
  TokenizerData t = small_tokenizer();
  std::vector<TensorRecord> tensors = small_tensors(c);
  if (e.config) e.config(w.config());
  if (e.metadata) e.metadata(w.metadata());
  if (e.tokenizer) e.tokenizer(t);
  if (e.tensors) e.tensors(tensors);
  w.set_tokenizer(t);
  for (TensorRecord& r : tensors) EXPECT_TRUE(w.add_tensor(std::move(r)).ok());
  std::vector<uint8_t> bytes;
  EXPECT_TRUE(w.serialize(&bytes).ok());
  if (e.bytes) {
    e.bytes(bytes);
    golf_refresh_checksums(&bytes);
  }
  return bytes;
}

// The section table entry of `kind` (SPEC.md §2.2) and its payload offset.
size_t section_entry(const std::vector<uint8_t>& b, const char* kind) {
  uint32_t n;
  std::memcpy(&n, b.data() + 12, 4);
  for (uint32_t i = 0; i < n; i++)
    if (std::memcmp(b.data() + 64 + 48 * i, kind, 4) == 0) return 64 + 48 * i;
  ADD_FAILURE() << "no section " << kind;
  return 0;
}
uint64_t section_offset(const std::vector<uint8_t>& b, const char* kind) {
  uint64_t off;
  std::memcpy(&off, b.data() + section_entry(b, kind) + 8, 8);
  return off;
}

// The byte offset of the first TENS entry's checksum field (SPEC.md §5).
size_t first_tensor_checksum(const std::vector<uint8_t>& b) {
  size_t p = section_offset(b, "TENS") + 4;
  uint16_t name_len;
  std::memcpy(&name_len, b.data() + p, 2);
  p += 2 + name_len;
  const uint8_t ndim = b[p + 2];
  return p + 8 + 8 * ndim + 16;
}

struct Verdicts {
  Status load;
  int inspect_exit = -1;
  std::string inspect_output;
};

Verdicts judge(const std::vector<uint8_t>& bytes, const std::string& label) {
  const char* inspect = std::getenv("GOLF_INSPECT");
  const std::string path = ::testing::TempDir() + "validity_" + label + ".golf";
  FILE* f = std::fopen(path.c_str(), "wb");
  EXPECT_NE(f, nullptr);
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
  Verdicts v;
  std::unique_ptr<Model> model;
  v.load = Model::load_file(path, ModelOptions(), &model);
  if (inspect == nullptr) {
    ADD_FAILURE() << "GOLF_INSPECT is not set";
    return v;
  }
  FILE* p = popen(("'" + std::string(inspect) + "' --check '" + path + "' 2>&1").c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) v.inspect_output.append(buf, n);
  const int status = pclose(p);
  v.inspect_exit = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::remove(path.c_str());
  return v;
}

// Both refuse, with the same message, which contains `expect`.
void expect_refused(const std::string& label, const Edits& e, const std::string& expect) {
  SCOPED_TRACE(label);
  const Verdicts v = judge(build(e), label);
  EXPECT_FALSE(v.load.ok()) << "Model::load accepted it";
  EXPECT_NE(v.load.message().find(expect), std::string::npos) << v.load.message();
  EXPECT_EQ(v.inspect_exit, 1) << v.inspect_output;
  EXPECT_EQ(v.inspect_output, "golf-inspect: " + v.load.message() + "\n");
}

void set_f16(std::vector<uint8_t>& b, size_t at, uint16_t h) { std::memcpy(b.data() + at, &h, 2); }

}  // namespace

TEST(ModelValidity, TheUnbrokenFilePassesBoth) {
  const Verdicts v = judge(build({}), "good");
  EXPECT_TRUE(v.load.ok()) << v.load.message();
  EXPECT_EQ(v.inspect_exit, 0) << v.inspect_output;
  EXPECT_NE(v.inspect_output.find(": valid"), std::string::npos) << v.inspect_output;
}

TEST(ModelValidity, Config) {
  Edits e;
  e.config = [](KeyValues& kv) { kv.set_int("future_thing", 3, true); };
  expect_refused("unknown_required_key", e, "required key 'future_thing' is unknown");
  e.config = [](KeyValues& kv) { kv.set_string("arch", "golf-gpu", true); };
  expect_refused("arch", e, "arch 'golf-gpu' is not golf-gpt");
  e.config = [](KeyValues& kv) { kv.set_int("rope_dims", 7, true); };
  expect_refused("rope_dims_odd", e, "rope_dims");
  e.config = [](KeyValues& kv) { kv.set_int("rope_dims", 18, true); };
  expect_refused("rope_dims_big", e, "rope_dims");
  e.config = [](KeyValues& kv) { kv.set_int("bos_id", 64); };
  expect_refused("bos_id_range", e, "bos_id must be a token id");
  e.config = [](KeyValues& kv) {
    auto& v = kv.entries_mutable();
    for (size_t i = 0; i < v.size(); i++)
      if (v[i].key == "bos_id") v.erase(v.begin() + (long)i);
  };
  expect_refused("bos_id_missing", e, "missing int key 'bos_id'");
  e.config = [](KeyValues& kv) { kv.set_float("norm_eps", INFINITY, true); };
  expect_refused("norm_eps_inf", e, "norm_eps must be finite");
  e.config = [](KeyValues& kv) { kv.set_float("rope_base", NAN, true); };
  expect_refused("rope_base_nan", e, "rope_base must be finite");
  e.config = [](KeyValues& kv) { kv.set_int("qk_norm", 0, true); };
  expect_refused("qk_norm_type", e, "key 'qk_norm' is int, it must be bool");
  e.config = [](KeyValues& kv) { kv.set_int("num_kv_heads", 3, true); };
  expect_refused("kv_heads", e, "num_kv_heads must divide num_heads");
  e.config = [](KeyValues& kv) { kv.set_string("activation", "gelu", true); };
  expect_refused("activation", e, "activation 'gelu'");
}

TEST(ModelValidity, Tensors) {
  Edits e;
  e.tensors = [](std::vector<TensorRecord>& t) { t.erase(t.begin() + 3); };
  expect_refused("missing_tensor", e, "missing tensor 'blocks.0.attn.c_k.weight'");
  e.tensors = [](std::vector<TensorRecord>& t) {
    TensorRecord r;
    r.name = "blocks.9.extra", r.dims = {4}, r.raw.assign(16, 0);
    t.push_back(r);
  };
  expect_refused("extra_tensor", e, "tensor 'blocks.9.extra' is not part of a golf-gpt model");
  // skip_weights is [1, 64]: the same element count in another shape.
  e.tensors = [](std::vector<TensorRecord>& t) { t[1].dims = {2, 32}; };
  expect_refused("shape", e, "tensor 'skip_weights': shape [2, 32], the config needs [1, 64]");
}

TEST(ModelValidity, TensorPayloads) {
  // blocks.0.attn.c_q.weight is [64, 64] q8 per row, codec raw: 4096 code bytes, then 64 f16 scales.
  auto edit_c_q = [](std::function<void(std::vector<uint8_t>&)> f) {
    return [f](std::vector<TensorRecord>& t) {
      for (TensorRecord& r : t)
        if (r.name == "blocks.0.attn.c_q.weight") f(r.raw);
    };
  };
  Edits e;
  e.tensors = edit_c_q([](std::vector<uint8_t>& raw) { raw[5] = 0x80; });  // code -128, outside -127..127
  expect_refused("code_range", e, "code -128 of element 5 is outside q8's range");
  for (uint16_t h : {uint16_t(0x7E00), uint16_t(0x7C00), uint16_t(0xBC00)}) {  // NaN, +Inf, -1
    e.tensors = edit_c_q([h](std::vector<uint8_t>& raw) { set_f16(raw, 64 * 64 + 6, h); });
    expect_refused("scale_" + std::to_string(h), e, "scale 3 (f16 0x");
  }
  // A zero scale is what the quantizer writes for an all-zero row: valid.
  e.tensors = edit_c_q([](std::vector<uint8_t>& raw) { set_f16(raw, 64 * 64, 0); });
  const Verdicts v = judge(build(e), "zero_scale");
  EXPECT_TRUE(v.load.ok()) << v.load.message();
  EXPECT_EQ(v.inspect_exit, 0) << v.inspect_output;
}

TEST(ModelValidity, ChecksumsFlagsAndText) {
  Edits e;
  // The tensor's own checksum in TENS, with the section, file and header checksums refreshed around it.
  e.bytes = [](std::vector<uint8_t>& b) { b[first_tensor_checksum(b)] ^= 1; };
  expect_refused("tensor_checksum", e, "checksum mismatch in tensor 'tok_emb.weight'");
  e.bytes = [](std::vector<uint8_t>& b) { b[section_entry(b, "TENS") + 4] &= 0xFE; };
  expect_refused("tens_not_required", e, "section 'TENS': the required flag is clear");
  e.bytes = [](std::vector<uint8_t>& b) { b[section_entry(b, "META") + 4] |= 1; };
  expect_refused("meta_required", e, "section 'META': the required flag is set");
  e.bytes = nullptr;
  e.metadata = [](KeyValues& kv) { kv.set_string("note", "caf\xC3"); };
  expect_refused("meta_utf8", e, "key 'note': string value is not valid UTF-8");
  e.metadata = [](KeyValues& kv) { kv.set_string("note", "\xED\xA0\x80"); };  // a surrogate
  expect_refused("meta_surrogate", e, "not valid UTF-8");
  e.metadata = nullptr;
  e.config = [](KeyValues& kv) { kv.set_string("arch", "golf\xFF", true); };
  expect_refused("conf_utf8", e, "not valid UTF-8");
}

TEST(ModelValidity, TokenizerAgainstConfig) {
  Edits e;
  e.tokenizer = [](TokenizerData& t) { t.pieces.pop_back(); };
  expect_refused("piece_count", e, "63 pieces, but the config's vocab_size is 64");
  e.tokenizer = [](TokenizerData& t) { t.bos_id = 2; };
  expect_refused("bos", e, "bos_id 2 differs from the config's bos_id 1");
  e.tokenizer = [](TokenizerData& t) { t.model_type = 1; };
  expect_refused("unigram", e, "not BPE");
  e.tokenizer = [](TokenizerData& t) { t.pieces[5].piece = t.pieces[4].piece; };
  expect_refused("duplicate_piece", e, "defined twice");
  e.tokenizer = [](TokenizerData& t) { t.pieces[7].piece = "\xC3("; };
  expect_refused("piece_utf8", e, "not valid UTF-8");
}
