// quant_cli.cpp: a tiny command-line wrapper around golf::quantize for check_quant_torch.py, which compares our
// quantizer with PyTorch. Reads a rows x cols matrix of little-endian f32, writes the raw layout (SPEC.md §5.2) and
// the clip of every row/group (f32, row-major) that quantize used.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "dtype.h"
#include "quant.h"

namespace {

const char kUsage[] =
    "usage: quant_cli IN.f32 ROWS COLS DTYPE GROUP_SIZE CLIP CLIP_VALUE SCALE_FLOOR OUT.raw OUT_CLIPS.f32\n"
    "  DTYPE q2..q8; GROUP_SIZE 0|32|64|128; CLIP none|percentile|std_k\n";

bool read_file(const char* path, std::vector<float>* values) {
  FILE* f = std::fopen(path, "rb");
  if (!f) return false;
  const size_t got = std::fread(values->data(), sizeof(float), values->size(), f);
  std::fclose(f);
  return got == values->size();
}

bool write_file(const char* path, const void* data, size_t bytes) {
  FILE* f = std::fopen(path, "wb");
  if (!f) return false;
  const bool ok = std::fwrite(data, 1, bytes, f) == bytes;
  return std::fclose(f) == 0 && ok;
}

int fail(const std::string& message) {
  std::fprintf(stderr, "quant_cli: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 11) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const uint64_t rows = std::strtoull(argv[2], nullptr, 10), cols = std::strtoull(argv[3], nullptr, 10);
  golf::QuantRecipe recipe;
  if (!golf::dtype_from_name(argv[4], &recipe.dtype)) return fail(std::string("unknown dtype ") + argv[4]);
  recipe.group_size = (uint32_t)std::strtoul(argv[5], nullptr, 10);
  const std::string clip = argv[6];
  if (clip == "none") recipe.clip = golf::ClipMethod::none;
  else if (clip == "percentile") recipe.clip = golf::ClipMethod::percentile;
  else if (clip == "std_k") recipe.clip = golf::ClipMethod::std_k;
  else return fail("unknown clip method " + clip);
  recipe.clip_value = std::strtod(argv[7], nullptr);
  recipe.scale_floor = std::strtof(argv[8], nullptr);

  std::vector<float> w(rows * cols);
  if (!read_file(argv[1], &w))
    return fail("cannot read " + std::to_string(w.size()) + " floats from " + argv[1]);
  const std::vector<uint64_t> dims = {rows, cols};
  std::vector<uint8_t> raw;
  golf::Status st = golf::quantize(w.data(), dims, recipe, &raw);
  if (!st.ok()) return fail(st.message());

  const uint64_t span = recipe.group_size ? recipe.group_size : cols;
  std::vector<float> clips(rows * cols / span);
  for (size_t k = 0; k < clips.size(); k++) {
    st = golf::quant_clip(&w[k * span], span, recipe.clip, recipe.clip_value, &clips[k]);
    if (!st.ok()) return fail(st.message());
  }
  if (!write_file(argv[9], raw.data(), raw.size())) return fail(std::string("cannot write ") + argv[9]);
  if (!write_file(argv[10], clips.data(), clips.size() * sizeof(float)))
    return fail(std::string("cannot write ") + argv[10]);
  return 0;
}
