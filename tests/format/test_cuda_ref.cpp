// test_cuda_ref.cpp: the CPU references of the CUDA kernels agree with the format library (the GPU versions share
// their index arithmetic and are exercised on a GPU machine only).
#include <gtest/gtest.h>

#include <random>

#include "dequant.h"
#include "quant.h"

using namespace golf;

TEST(CudaReference, DequantizeInt8RowsMatchesFormatLibrary) {
  std::mt19937 rng(9);
  std::normal_distribution<float> g(0, 0.5f);
  for (uint32_t group : {0u, 32u, 64u, 128u})
    for (Dtype d : {Dtype::q8, Dtype::q6, Dtype::q3}) {
      std::vector<uint64_t> dims = {7, 256};
      std::vector<float> w(7 * 256);
      for (float& v : w) v = g(rng);
      QuantRecipe r;
      r.dtype = d;
      r.group_size = group;
      std::vector<uint8_t> raw;
      ASSERT_TRUE(quantize(w.data(), dims, r, &raw).ok());
      TensorLayout L;
      ASSERT_TRUE(tensor_layout(d, dims, group, &L).ok());
      std::vector<float> want(L.count), got(L.count);
      ASSERT_TRUE(dequantize(d, L, group, raw.data(), want.data()).ok());
      dequantize_int8_rows_cpu((const int8_t*)raw.data(), (const uint16_t*)(raw.data() + L.scales_offset), 7, 256,
                               (int)group, got.data(), nullptr);
      EXPECT_EQ(want, got) << dtype_name(d) << " g" << group;
    }
}

// The CUDA runtime's path (runtime/cuda/device_weights.cpp) for every quantized dtype and group size of SPEC.md
// §5.1: codes_from_raw (which unpacks q4) into int8 codes, then the kernel's reference with the raw layout's scales,
// equals format's dequantize element for element (EXPECT_EQ on floats: bit-exact).
TEST(CudaReference, RuntimeDequantPathMatchesFormatForEveryDtype) {
  std::mt19937 rng(11);
  std::normal_distribution<float> g(0, 0.5f);
  const Dtype dtypes[] = {Dtype::q2, Dtype::q3, Dtype::q4, Dtype::q5, Dtype::q6, Dtype::q7, Dtype::q8};
  for (Dtype d : dtypes)
    for (uint32_t group : {0u, 32u, 64u, 128u}) {
      if (d == Dtype::q4 && group != 32 && group != 64) continue;  // q4 takes groups of 32 or 64 only
      const int64_t rows = 5, cols = 384;
      std::vector<uint64_t> dims = {(uint64_t)rows, (uint64_t)cols};
      std::vector<float> w(rows * cols);
      for (float& v : w) v = g(rng);
      w[3] = 0;  // a zero and an all-zero row: the quantizers' zero scale
      for (int64_t c = 0; c < cols; c++) w[2 * cols + c] = 0;
      QuantRecipe r;
      r.dtype = d;
      r.group_size = group;
      std::vector<uint8_t> raw;
      ASSERT_TRUE(quantize(w.data(), dims, r, &raw).ok()) << dtype_name(d) << " g" << group;
      TensorLayout L;
      ASSERT_TRUE(tensor_layout(d, dims, group, &L).ok());
      std::vector<float> want(L.count), got(L.count, -1.0f);
      ASSERT_TRUE(dequantize(d, L, group, raw.data(), want.data()).ok());
      std::vector<int8_t> codes(L.count);
      codes_from_raw(d, L, group, raw.data(), codes.data());
      dequantize_int8_rows_cpu(codes.data(), (const uint16_t*)(raw.data() + L.scales_offset), (int64_t)L.rows,
                               (int64_t)L.cols, (int)group, got.data(), nullptr);
      EXPECT_EQ(want, got) << dtype_name(d) << " g" << group;
    }
}
