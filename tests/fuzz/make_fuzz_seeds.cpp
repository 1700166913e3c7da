// make_fuzz_seeds: writes a seed corpus of small, valid .golf files (every dtype, both codecs, with and without a
// tokenizer and metadata) for the reader's fuzzer to mutate, and, given a second directory, valid inputs of the
// rANS fuzzer (fuzz_rans.cpp: range byte, u16 count, payload) for every code range.
#include <cstdio>
#include <random>
#include <string>

#include "golf_writer.h"
#include "mapped_file.h"
#include "quant.h"
#include "rans.h"

namespace {

int write_rans_seeds(const std::string& dir) {
  std::mt19937 rng(11);
  for (int bits = 2; bits <= 8; bits++) {
    const int hi = (1 << (bits - 1)) - 1;
    std::binomial_distribution<int> code(2 * hi, 0.5);  // peaked around 0, like trained weights
    const uint16_t count = (uint16_t)(37 * bits);
    std::vector<int8_t> codes(count);
    for (int8_t& c : codes) c = (int8_t)(code(rng) - hi);
    std::vector<uint8_t> seed = {(uint8_t)(bits - 2), (uint8_t)(count & 0xFF), (uint8_t)(count >> 8)};
    golf::Status st = golf::rans_encode(codes.data(), count, -hi, hi, &seed);
    if (st.ok()) st = golf::write_file_atomic(dir + "/rans_q" + std::to_string(bits), seed.data(), seed.size());
    if (!st.ok()) {
      std::fprintf(stderr, "make_fuzz_seeds: %s\n", st.message().c_str());
      return 1;
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 && argc != 3) {
    std::fprintf(stderr, "usage: make_fuzz_seeds GOLF_DIR [RANS_DIR]\n");
    return 2;
  }
  if (argc == 3 && write_rans_seeds(argv[2]) != 0) return 1;
  std::string dir = argv[1];
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  struct Variant { const char* dtype; uint32_t group; golf::Codec codec; std::vector<uint64_t> dims; };
  std::vector<Variant> variants = {
      {"f32", 0, golf::Codec::raw, {3, 5}},   {"f16", 0, golf::Codec::raw, {7}},      {"bf16", 0, golf::Codec::raw, {2, 3}},
      {"q8", 0, golf::Codec::raw, {4, 32}},   {"q8", 0, golf::Codec::rans, {4, 64}},  {"q8", 32, golf::Codec::rans, {2, 64}},
      {"q4", 32, golf::Codec::raw, {3, 64}},  {"q4", 64, golf::Codec::rans, {2, 64}}, {"q6", 0, golf::Codec::rans, {5, 32}},
      {"q2", 0, golf::Codec::rans, {3, 32}},  {"q5", 128, golf::Codec::raw, {1, 128}}, {"q7", 0, golf::Codec::rans, {2, 2, 32}},
  };
  int written = 0;
  for (size_t v = 0; v < variants.size(); v++) {
    golf::GolfWriter w;
    w.config().set_string("arch", "golf-gpt", true);
    w.config().set_int("vocab_size", 8, true);
    w.config().set_floats("list", {1.5, -2});
    if (v % 2 == 0) {
      golf::TokenizerData t;
      t.normalizer_name = "identity";
      t.unk_id = 0;
      t.flags = golf::kTokByteFallback;
      for (int i = 0; i < 8; i++) t.pieces.push_back({i == 0 ? "<unk>" : std::string(1, (char)('a' + i)), -(float)i,
                                                      i == 0 ? golf::PieceType::unknown : golf::PieceType::normal});
      w.set_tokenizer(t);
      w.metadata().set_string("created_by", "make_fuzz_seeds");
    }
    const Variant& var = variants[v];
    golf::Dtype dt;
    golf::dtype_from_name(var.dtype, &dt);
    uint64_t count = 1;
    for (uint64_t d : var.dims) count *= d;
    std::vector<float> x(count);
    for (float& f : x) f = normal(rng);
    golf::TensorRecord rec;
    rec.name = std::string("t.") + var.dtype;
    rec.dtype = dt;
    rec.codec = var.codec;
    rec.dims = var.dims;
    rec.group_size = var.group;
    golf::TensorLayout L;
    if (!golf::tensor_layout(dt, var.dims, var.group, &L).ok()) return 1;
    golf::Status st;
    if (golf::dtype_is_quantized(dt)) {
      golf::QuantRecipe r;
      r.dtype = dt;
      r.group_size = var.group;
      st = golf::quantize(x.data(), var.dims, r, &rec.raw);
    } else {
      rec.raw.resize(L.raw_size);
      st = golf::encode_float(dt, x.data(), count, rec.raw.data());
    }
    if (st.ok()) st = w.add_tensor(std::move(rec));
    std::vector<uint8_t> bytes;
    if (st.ok()) st = w.serialize(&bytes);
    if (st.ok()) st = golf::write_file_atomic(dir + "/seed_" + std::to_string(v) + ".golf", bytes.data(), bytes.size());
    if (!st.ok()) {
      std::fprintf(stderr, "make_fuzz_seeds: %s\n", st.message().c_str());
      return 1;
    }
    written++;
  }
  std::printf("wrote %d seeds to %s\n", written, dir.c_str());
  return 0;
}
