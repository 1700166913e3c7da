// act_quant.cpp: quantize_acts (rows split over the pool, each row quantized by the active path) and the
// reusable storage of QuantActsBuffer.
#include "act_quant.h"

#include <algorithm>
#include <cstdlib>

#include "kernel_table.h"

namespace golf::kernels {
namespace {

size_t align64(size_t n) { return (n + 63) / 64 * 64; }

// Bytes of codes, scales and sums for rows × cols, each part 64-byte aligned.
size_t buffer_bytes(size_t rows, size_t cols) {
  size_t blocks = rows * (cols / kActBlock);
  return align64(rows * cols) + align64(blocks * sizeof(float)) + align64(blocks * sizeof(int32_t));
}

}  // namespace

void quantize_acts(const float* x, int rows, int cols, int8_t* codes, float* scales, int32_t* sums,
                   ThreadPool* pool) {
  if (rows <= 0 || cols <= 0) return;
  const KernelTable& k = active_kernel_table();
  size_t blocks_per_row = (size_t)cols / kActBlock;
  // Rows per task: enough work (~16K values) to be worth a hand-off.
  int rows_per_task = std::max(1, 16384 / cols);
  int n_tasks = (rows + rows_per_task - 1) / rows_per_task;
  auto run = [&](int task, int) {
    int r0 = task * rows_per_task, r1 = std::min(rows, r0 + rows_per_task);
    k.quantize_rows(x + (size_t)r0 * cols, r1 - r0, cols, codes + (size_t)r0 * cols,
                    scales + (size_t)r0 * blocks_per_row, sums + (size_t)r0 * blocks_per_row);
  };
  if (pool != nullptr && n_tasks > 1) {
    pool->parallel_for(n_tasks, run);
  } else {
    for (int t = 0; t < n_tasks; ++t) run(t, 0);
  }
}

QuantActsBuffer::~QuantActsBuffer() { std::free(memory_); }

Status QuantActsBuffer::reserve(int rows, int cols) {
  if (rows < 0 || cols < 0) return Status(StatusCode::invalid_argument, "QuantActsBuffer: negative shape");
  size_t need = buffer_bytes((size_t)rows, (size_t)cols);
  if (need <= capacity_) return Status::Ok();
  void* fresh = std::aligned_alloc(64, need);  // need is a multiple of 64, as aligned_alloc wants
  if (fresh == nullptr) return Status(StatusCode::out_of_memory, "QuantActsBuffer: out of memory");
  std::free(memory_);
  memory_ = fresh;
  capacity_ = need;
  return Status::Ok();
}

Status QuantActsBuffer::quantize(const float* x, int rows, int cols, QuantActs* out, ThreadPool* pool) {
  if (rows < 0 || cols < kActBlock || cols % kActBlock != 0)
    return Status(StatusCode::invalid_argument, "quantize activations: cols must be a positive multiple of 32");
  if (rows > 0 && x == nullptr) return Status(StatusCode::invalid_argument, "quantize activations: null x");
  GOLF_RETURN_IF_ERROR(reserve(rows, cols));
  size_t blocks = (size_t)rows * (size_t)(cols / kActBlock);
  uint8_t* base = static_cast<uint8_t*>(memory_);
  int8_t* codes = reinterpret_cast<int8_t*>(base);
  float* scales = reinterpret_cast<float*>(base + align64((size_t)rows * cols));
  int32_t* sums = reinterpret_cast<int32_t*>(base + align64((size_t)rows * cols) + align64(blocks * sizeof(float)));
  quantize_acts(x, rows, cols, codes, scales, sums, pool);
  out->rows = rows;
  out->cols = cols;
  out->codes = codes;
  out->scales = scales;
  out->sums = sums;
  return Status::Ok();
}

}  // namespace golf::kernels
