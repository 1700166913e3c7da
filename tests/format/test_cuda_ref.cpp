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
