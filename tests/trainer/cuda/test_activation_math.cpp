// test_activation_math.cpp: the MLP activation's arithmetic (trainer/cuda/activation_math.h) against
// train_cpu::activation_forward/backward, relu² and leaky_relu², bit for bit (the same roundings), including zeros,
// signed zeros and values at the edge of overflow.
#include <gtest/gtest.h>

#include <vector>

#include "cpu/layers.h"            // defines: train_cpu::activation_*
#include "cuda/activation_math.h"  // defines: activation_value, activation_neg_factor, activation_grad
#include "rows_emulation.h"        // defines: normal, bits_equal

using namespace golf::train_cuda;
using namespace golf::rows_test;
namespace tc = golf::train_cpu;

namespace {

TEST(ActivationMath, ForwardAndBackwardEqualTheCpuBitForBit) {
  std::vector<float> x = normal(1001, 1, 3.0f), dout = normal(1001, 2);
  x[0] = 0.0f;
  x[1] = -0.0f;
  x[2] = 1e19f;
  x[3] = -1e19f;
  for (float slope : {0.0f, 0.5f, 0.01f}) {
    std::vector<float> cpu(x.size()), gpu(x.size());
    tc::activation_forward(cpu.data(), x.data(), x.size(), slope);
    for (size_t i = 0; i < x.size(); i++) gpu[i] = activation_value(x[i], slope);
    EXPECT_TRUE(bits_equal(gpu, cpu)) << "forward slope " << slope;
    tc::activation_backward(cpu.data(), dout.data(), x.data(), x.size(), slope);
    const float neg = activation_neg_factor(slope);
    for (size_t i = 0; i < x.size(); i++) gpu[i] = activation_grad(dout[i], x[i], neg);
    EXPECT_TRUE(bits_equal(gpu, cpu)) << "backward slope " << slope;
  }
}

}  // namespace
