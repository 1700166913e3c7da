// test_gptq.cpp: GPTQ (trainer/export/gptq.h) against round-to-nearest on the same calibration data: same scales,
// a layer-output error tr(ΔW H ΔWᵀ) that is never larger at any width, grouping or clip, and strictly smaller on
// correlated inputs; plus its error cases. (Equality of codes with an independent fp64 PyTorch GPTQ is
// check_gptq_torch.py.)
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "dtype.h"
#include "gptq.h"
#include "quant.h"
#include "recipe.h"

namespace golf::export_test {
namespace {

using train_export::gptq_quantize;
using train_export::GptqSettings;
using train_export::layer_output_error;

struct Layer {
  uint64_t rows, cols;
  std::vector<float> w;     // (rows, cols)
  std::vector<double> h;    // (cols, cols) = XᵀX
};

// W Gaussian; X (4·cols, cols) = Z·(I + 0.3·M): correlated inputs, as a trained model's activations are.
Layer make_layer(uint64_t rows, uint64_t cols, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> n01(0, 1);
  Layer L{rows, cols, std::vector<float>(rows * cols), std::vector<double>(cols * cols, 0.0)};
  for (float& v : L.w) v = (float)(0.05 * n01(rng));
  std::vector<double> m(cols * cols);
  for (uint64_t i = 0; i < cols; i++)
    for (uint64_t j = 0; j < cols; j++) m[i * cols + j] = (i == j) + 0.3 * n01(rng);
  std::vector<double> z(cols), x(cols);
  for (uint64_t t = 0; t < 4 * cols; t++) {
    for (double& v : z) v = n01(rng);
    for (uint64_t j = 0; j < cols; j++) {
      x[j] = 0;
      for (uint64_t k = 0; k < cols; k++) x[j] += z[k] * m[k * cols + j];
    }
    for (uint64_t i = 0; i < cols; i++)
      for (uint64_t j = 0; j < cols; j++) L.h[i * cols + j] += x[i] * x[j];
  }
  return L;
}

std::vector<float> dequantized(const TensorPlan& plan, uint64_t rows, uint64_t cols, const std::vector<uint8_t>& raw) {
  TensorLayout layout;
  EXPECT_TRUE(tensor_layout(plan.dtype, {rows, cols}, plan.quant.group_size, &layout).ok());
  std::vector<float> out(rows * cols);
  EXPECT_TRUE(dequantize(plan.dtype, layout, plan.quant.group_size, raw.data(), out.data()).ok());
  return out;
}

TEST(Gptq, LayerOutputErrorNeverAboveRoundToNearest) {
  const Layer L = make_layer(48, 128, 7);
  for (const char* spec : {"q8", "q6:k12.85", "q5:k8", "q4:g32", "q4:g64:k6", "q3:g64:k4", "q2:k2", "q6:g128"}) {
    SCOPED_TRACE(spec);
    TensorPlan plan;
    ASSERT_TRUE(parse_tensor_spec(spec, &plan).ok());
    std::vector<uint8_t> rtn, gq;
    ASSERT_TRUE(quantize(L.w.data(), {L.rows, L.cols}, plan.quant, &rtn).ok());
    ASSERT_TRUE(gptq_quantize(L.w.data(), L.rows, L.cols, L.h.data(), plan.quant, GptqSettings(), &gq).ok());
    ASSERT_EQ(rtn.size(), gq.size());
    TensorLayout layout;
    ASSERT_TRUE(tensor_layout(plan.dtype, {L.rows, L.cols}, plan.quant.group_size, &layout).ok());
    // Same scales block: GPTQ changes codes only.
    EXPECT_EQ(0, std::memcmp(rtn.data() + layout.scales_offset, gq.data() + layout.scales_offset,
                             layout.raw_size - layout.scales_offset));
    EXPECT_TRUE(check_quant_values(plan.dtype, layout, gq.data()).ok());
    const double e_rtn = layer_output_error(L.w.data(), dequantized(plan, L.rows, L.cols, rtn).data(), L.rows,
                                            L.cols, L.h.data());
    const double e_gptq = layer_output_error(L.w.data(), dequantized(plan, L.rows, L.cols, gq).data(), L.rows,
                                             L.cols, L.h.data());
    std::printf("%-10s layer output error: round-to-nearest %.6g, GPTQ %.6g (%.1f%%)\n", spec, e_rtn, e_gptq,
                100.0 * e_gptq / e_rtn);
    EXPECT_LT(e_gptq, e_rtn);
    // On these correlated inputs GPTQ should remove a real share of the error, not a rounding-noise amount.
    EXPECT_LT(e_gptq, 0.9 * e_rtn);
  }
}

TEST(Gptq, ActOrderAndBlockSizeKeepTheErrorBelowRoundToNearest) {
  const Layer L = make_layer(16, 96, 11);
  TensorPlan plan;
  ASSERT_TRUE(parse_tensor_spec("q4:g32", &plan).ok());
  std::vector<uint8_t> rtn;
  ASSERT_TRUE(quantize(L.w.data(), {L.rows, L.cols}, plan.quant, &rtn).ok());
  const double e_rtn =
      layer_output_error(L.w.data(), dequantized(plan, L.rows, L.cols, rtn).data(), L.rows, L.cols, L.h.data());
  for (bool act : {false, true})
    for (int block : {1, 7, 32, 128}) {
      GptqSettings s;
      s.act_order = act;
      s.block = block;
      std::vector<uint8_t> gq;
      ASSERT_TRUE(gptq_quantize(L.w.data(), L.rows, L.cols, L.h.data(), plan.quant, s, &gq).ok());
      EXPECT_LT(layer_output_error(L.w.data(), dequantized(plan, L.rows, L.cols, gq).data(), L.rows, L.cols,
                                   L.h.data()),
                e_rtn)
          << "act_order " << act << " block " << block;
    }
}

TEST(Gptq, BlockSizeDoesNotChangeTheCodes) {
  // Lazy block updates are an exact reordering of the same arithmetic up to rounding: codes agree.
  const Layer L = make_layer(8, 64, 3);
  TensorPlan plan;
  ASSERT_TRUE(parse_tensor_spec("q5:k8", &plan).ok());
  std::vector<uint8_t> raw;
  std::vector<int8_t> a, b;
  GptqSettings s;
  s.block = 64;
  ASSERT_TRUE(gptq_quantize(L.w.data(), L.rows, L.cols, L.h.data(), plan.quant, s, &raw, &a).ok());
  s.block = 5;
  ASSERT_TRUE(gptq_quantize(L.w.data(), L.rows, L.cols, L.h.data(), plan.quant, s, &raw, &b).ok());
  EXPECT_EQ(a, b);
}

TEST(Gptq, Errors) {
  const Layer L = make_layer(4, 32, 1);
  TensorPlan plan;
  ASSERT_TRUE(parse_tensor_spec("q6", &plan).ok());
  std::vector<uint8_t> raw;
  EXPECT_FALSE(gptq_quantize(nullptr, 4, 32, L.h.data(), plan.quant, GptqSettings(), &raw).ok());
  EXPECT_FALSE(gptq_quantize(L.w.data(), 4, 32, nullptr, plan.quant, GptqSettings(), &raw).ok());
  GptqSettings bad;
  bad.block = 0;
  EXPECT_FALSE(gptq_quantize(L.w.data(), 4, 32, L.h.data(), plan.quant, bad, &raw).ok());
  // An indefinite H (negative diagonal) without damping fails cleanly.
  std::vector<double> neg(L.h);
  neg[0] = -1e6;
  GptqSettings nodamp;
  nodamp.percdamp = 0;
  EXPECT_FALSE(gptq_quantize(L.w.data(), 4, 32, neg.data(), plan.quant, nodamp, &raw).ok());
  // q4 per row is not a format layout.
  QuantRecipe q4row;
  q4row.dtype = Dtype::q4;
  EXPECT_FALSE(gptq_quantize(L.w.data(), 4, 32, L.h.data(), q4row, GptqSettings(), &raw).ok());
  std::vector<double> nan(L.h);
  nan[5] = std::nan("");
  EXPECT_FALSE(gptq_quantize(L.w.data(), 4, 32, nan.data(), plan.quant, GptqSettings(), &raw).ok());
}

}  // namespace
}  // namespace golf::export_test
