// nll.h: the scorer's per-token NLL on the GPU, the twin of nll_of in runtime/eval/scorer.cpp (same arithmetic:
// the row's max in fp32, Σ exp(z − max) in double, nll = ln Σ + max − z[target]); only the order of the double sum
// differs (a block reduction), which moves a row's NLL by ~1e-16 relative. The scorer sums the NLLs in double on
// the host in stream order, as for the CPU.
#pragma once
#include <cstdint>

#include "cuda/cuda_common.h"  // defines: Status, cudaStream_t

namespace golf::runtime_cuda {

// nll (rows) = −ln softmax(logits (rows, vocab) row i)[targets[i]]; 0 for rows whose target is < 0. Device pointers.
Status nll_rows(double* nll, const float* logits, const int32_t* targets, int rows, int vocab, cudaStream_t stream);

}  // namespace golf::runtime_cuda
