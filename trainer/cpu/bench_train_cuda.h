// bench_train_cuda.h: golf-bench-train --backend cuda (bench_train_cuda.cpp): the CUDA backend's step timed through
// the TrainBackend interface, loaded from libgolf-train-cuda.so as golf-train loads it.
#pragma once
#include <string>

#include "model_config.h"  // defines: ModelConfig

namespace golf::train_cpu {

// Times `steps` optimizer steps (after 2 untimed) of `micro` micro-batches of (B, T) tokens; prints ms/step,
// tokens/s and MFU against peak_tflops, and a RESULT line. Returns the process exit code.
int bench_train_cuda(const std::string& name, const ModelConfig& c, int B, int T, int micro, int steps,
                     const std::string& precision, double peak_tflops);

}  // namespace golf::train_cpu
