// gptq_cli.cpp: test driver of gptq_quantize for check_gptq_torch.py: reads W (rows x cols f32) and H (cols x cols
// f64) from files, runs GPTQ with the given recipe and settings, and writes the codes (int8, element order).
// usage: gptq_cli W.f32 H.f64 ROWS COLS SPEC PERCDAMP BLOCK ACT_ORDER CODES_OUT.i8
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "gptq.h"
#include "recipe.h"  // defines: parse_tensor_spec

int main(int argc, char** argv) {
  if (argc != 10) {
    std::fprintf(stderr, "usage: gptq_cli W.f32 H.f64 ROWS COLS SPEC PERCDAMP BLOCK ACT_ORDER CODES_OUT.i8\n");
    return 2;
  }
  const uint64_t rows = std::strtoull(argv[3], nullptr, 10), cols = std::strtoull(argv[4], nullptr, 10);
  std::vector<float> w(rows * cols);
  std::vector<double> h(cols * cols);
  FILE* f = std::fopen(argv[1], "rb");
  FILE* g = std::fopen(argv[2], "rb");
  if (!f || !g || std::fread(w.data(), 4, w.size(), f) != w.size() || std::fread(h.data(), 8, h.size(), g) != h.size()) {
    std::fprintf(stderr, "gptq_cli: cannot read the inputs\n");
    return 1;
  }
  std::fclose(f);
  std::fclose(g);
  golf::TensorPlan plan;
  golf::Status st = golf::parse_tensor_spec(argv[5], &plan);
  if (!st.ok()) {
    std::fprintf(stderr, "gptq_cli: %s\n", st.message().c_str());
    return 1;
  }
  golf::train_export::GptqSettings settings;
  settings.percdamp = std::atof(argv[6]);
  settings.block = std::atoi(argv[7]);
  settings.act_order = std::atoi(argv[8]) != 0;
  std::vector<uint8_t> raw;
  std::vector<int8_t> codes;
  st = golf::train_export::gptq_quantize(w.data(), rows, cols, h.data(), plan.quant, settings, &raw, &codes);
  if (!st.ok()) {
    std::fprintf(stderr, "gptq_cli: %s\n", st.message().c_str());
    return 1;
  }
  FILE* o = std::fopen(argv[9], "wb");
  if (!o || std::fwrite(codes.data(), 1, codes.size(), o) != codes.size() || std::fclose(o) != 0) return 1;
  return 0;
}
