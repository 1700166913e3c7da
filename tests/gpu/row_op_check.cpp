// row_op_check.cpp: the harness of row_op_check.h.
#include "row_op_check.h"

#include <cuda_runtime_api.h>

#include <cmath>
#include <cstring>
#include <type_traits>

#include "cuda/cuda_common.h"  // defines: bf16, GOLF_CUDA_CHECK
#include "cuda/device_math.h"  // defines: bf16_round, float_bits, bits_float

namespace golf::gpu_test {

namespace gc = train_cuda;

void round_if_bf16(std::vector<float>* x, bool bf16_mode) {
  if (bf16_mode)
    for (float& e : *x) e = gc::bf16_round(e);
}

namespace {

size_t element_bytes(OpTensor::Kind k, bool bf16_mode) {
  switch (k) {
    case OpTensor::Kind::activation:
      return bf16_mode ? 2 : 4;
    case OpTensor::Kind::fp64:
      return 8;
    default:
      return 4;
  }
}

// Host bytes of a tensor's starting values.
std::vector<unsigned char> encode(const OpTensor& t, bool bf16_mode) {
  const size_t n = t.kind == OpTensor::Kind::int32 ? t.ints.size() : t.values.size();
  std::vector<unsigned char> raw(n * element_bytes(t.kind, bf16_mode));
  for (size_t i = 0; i < n; i++) {
    switch (t.kind) {
      case OpTensor::Kind::int32:
        std::memcpy(&raw[4 * i], &t.ints[i], 4);
        break;
      case OpTensor::Kind::fp64: {
        const double d = t.values[i];
        std::memcpy(&raw[8 * i], &d, 8);
        break;
      }
      case OpTensor::Kind::activation:
        if (bf16_mode) {
          const uint16_t b = (uint16_t)(gc::float_bits(gc::bf16_round(t.values[i])) >> 16);
          std::memcpy(&raw[2 * i], &b, 2);
          break;
        }
        [[fallthrough]];
      case OpTensor::Kind::fp32:
        std::memcpy(&raw[4 * i], &t.values[i], 4);
        break;
    }
  }
  return raw;
}

std::vector<double> decode(const std::vector<unsigned char>& raw, OpTensor::Kind k, bool bf16_mode) {
  const size_t eb = element_bytes(k, bf16_mode), n = raw.size() / eb;
  std::vector<double> x(n);
  for (size_t i = 0; i < n; i++) {
    if (k == OpTensor::Kind::fp64) {
      std::memcpy(&x[i], &raw[8 * i], 8);
    } else if (eb == 2) {
      uint16_t b;
      std::memcpy(&b, &raw[2 * i], 2);
      x[i] = gc::bits_float((uint32_t)b << 16);
    } else {
      float f;
      std::memcpy(&f, &raw[4 * i], 4);
      x[i] = f;
    }
  }
  return x;
}

double rel_error_d(const std::vector<double>& got, const std::vector<double>& want) {
  double num = 0, den = 0;
  for (size_t i = 0; i < want.size(); i++) {
    const double d = i < got.size() ? got[i] - want[i] : INFINITY;
    num += d * d;
    den += want[i] * want[i];
  }
  if (!std::isfinite(num)) return INFINITY;
  return std::sqrt(num) / std::max(std::sqrt(den), 1e-30);
}

struct DeviceBuffers {
  std::vector<void*> p;
  ~DeviceBuffers() {
    for (void* q : p)
      if (q) cudaFree(q);
  }
};

}  // namespace

template <typename T>
Status check_op(const std::string& op, const std::string& shape, std::vector<OpTensor>& tensors, const OpLaunch& launch,
                std::vector<CheckResult>* rows) {
  constexpr bool kBf16 = std::is_same_v<T, gc::bf16>;
  DeviceBuffers dev;
  std::vector<size_t> bytes(tensors.size());
  for (size_t i = 0; i < tensors.size(); i++) {
    const OpTensor& t = tensors[i];
    const size_t n =
        t.output && !t.accumulated ? t.count : (t.kind == OpTensor::Kind::int32 ? t.ints.size() : t.values.size());
    bytes[i] = n * element_bytes(t.kind, kBf16);
    void* p = nullptr;
    GOLF_CUDA_CHECK(cudaMalloc(&p, std::max<size_t>(bytes[i], 256)));
    dev.p.push_back(p);
  }
  std::vector<std::vector<unsigned char>> got[2];
  float ms = 0;
  for (int run = 0; run < 2; run++) {
    for (size_t i = 0; i < tensors.size(); i++) {
      const OpTensor& t = tensors[i];
      if (t.output && !t.accumulated) {
        GOLF_CUDA_CHECK(cudaMemset(dev.p[i], 0xff, bytes[i]));  // NaN in every float type
      } else {
        const std::vector<unsigned char> raw = encode(t, kBf16);
        GOLF_CUDA_CHECK(cudaMemcpy(dev.p[i], raw.data(), raw.size(), cudaMemcpyHostToDevice));
      }
    }
    cudaEvent_t start = nullptr, stop = nullptr;
    GOLF_CUDA_CHECK(cudaEventCreate(&start));
    GOLF_CUDA_CHECK(cudaEventCreate(&stop));
    GOLF_CUDA_CHECK(cudaEventRecord(start, 0));
    const Status st = launch(dev.p);
    GOLF_CUDA_CHECK(cudaEventRecord(stop, 0));
    GOLF_CUDA_CHECK(cudaEventSynchronize(stop));
    if (run == 0) GOLF_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
    cudaEventDestroy(start);
    cudaEventDestroy(stop);
    GOLF_RETURN_IF_ERROR(st);
    GOLF_CUDA_CHECK(cudaDeviceSynchronize());
    got[run].resize(tensors.size());
    for (size_t i = 0; i < tensors.size(); i++) {
      if (!tensors[i].output) continue;
      got[run][i].resize(bytes[i]);
      GOLF_CUDA_CHECK(cudaMemcpy(got[run][i].data(), dev.p[i], bytes[i], cudaMemcpyDeviceToHost));
    }
  }
  for (size_t i = 0; i < tensors.size(); i++) {
    const OpTensor& t = tensors[i];
    if (!t.output) continue;
    CheckResult r;
    r.part = "ops";
    r.name = op + " " + t.name;
    r.shape = shape;
    r.precision = kBf16 ? "bf16" : "fp32";
    r.error = rel_error_d(decode(got[0][i], t.kind, kBf16), t.want);
    // Activations in bf16 mode: the case's bf16 bound; everything else (fp32 mode, and fp32 statistics, parameter
    // gradients and losses in both modes): the fp32 bound.
    r.tolerance = t.exact                                         ? 0.0
                  : kBf16 && t.kind == OpTensor::Kind::activation ? t.bf16_tolerance
                  : t.fp32_tolerance > 0                          ? t.fp32_tolerance
                                                                  : kFp32Tolerance;
    r.deterministic = got[0][i] == got[1][i];
    r.ms = ms;
    r.pass = r.deterministic && r.error <= r.tolerance;  // NaN fails
    rows->push_back(r);
  }
  return Status::Ok();
}

template Status check_op<float>(const std::string&, const std::string&, std::vector<OpTensor>&, const OpLaunch&,
                                std::vector<CheckResult>*);
template Status check_op<gc::bf16>(const std::string&, const std::string&, std::vector<OpTensor>&, const OpLaunch&,
                                   std::vector<CheckResult>*);

}  // namespace golf::gpu_test
