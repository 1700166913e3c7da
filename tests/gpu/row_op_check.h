// row_op_check.h: the harness of the self-test parts for the row and element kernels (ops_rows.cpp,
// ops_optimizer.cpp): a case lists its tensors (inputs, outputs with the CPU twin's expected values, outputs that
// are accumulated into and so start from given values), and a launcher of the CUDA op on device pointers. The
// harness uploads (activations as T: bf16-rounded in bf16 mode), fills the other outputs with NaN, runs the op
// twice from the same inputs, and adds one summary row per output: relative Frobenius error against the CPU twin,
// and whether both runs gave equal bits.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "selftest.h"  // defines: CheckResult, kFp32Tolerance
#include "status.h"    // defines: Status

namespace golf::gpu_test {

struct OpTensor {
  enum class Kind { activation, fp32, int32, fp64 };  // activation: the op's T (float or bf16)
  std::string name;
  Kind kind = Kind::fp32;
  std::vector<float> values;  // inputs, and the starting values of accumulated outputs
  std::vector<int32_t> ints;  // int32 inputs
  bool output = false;        // compared with `want` after the run
  bool accumulated = false;   // an output that starts from `values` (else NaN-filled before each run)
  std::vector<double> want;   // the CPU twin's result (outputs)
  size_t count = 0;           // elements of an output that is not accumulated (its `values` may be empty)
  double bf16_tolerance = 0;  // the bound of an activation output in bf16 mode
  double fp32_tolerance = 0;  // the bound otherwise (fp32 mode; fp32/fp64 outputs in both modes); 0: kFp32Tolerance
  bool exact = false;         // the CPU's bits expected: tolerance 0 in both modes
};

using OpLaunch = std::function<Status(const std::vector<void*>& device)>;

// Runs one case in precision T (float or train_cuda::bf16); rows named "<op> <output name>".
template <typename T>
Status check_op(const std::string& op, const std::string& shape, std::vector<OpTensor>& tensors, const OpLaunch& launch,
                std::vector<CheckResult>* rows);

// Input values as the op sees them: rounded to bf16 when `bf16_mode` (for activation tensors).
void round_if_bf16(std::vector<float>* x, bool bf16_mode);

}  // namespace golf::gpu_test
