// device_weights.cpp: dequantization of the file's tensors onto the device (device_weights.h). Host code: the
// kernels are format/cuda's dequantizer and the trainer's bf16 copy.
#include "device_weights.h"

#include <cuda_runtime_api.h>

#include "dequant.h"  // defines: dequantize_int8_rows_cuda (format/cuda)
#include "quant.h"    // defines: dequantize, codes_from_raw
#include "cuda/weights.h"  // defines: weights_to_bf16 (trainer/cuda)

namespace golf::runtime_cuda {

DeviceArena::~DeviceArena() {
  for (void* p : blocks_) cudaFree(p);
}

Status DeviceArena::alloc(size_t bytes, const std::string& what, void** out) {
  void* p = nullptr;
  const size_t n = train_cuda::align_up(bytes == 0 ? 1 : bytes);
  cudaError_t e = cudaMalloc(&p, n);
  if (e != cudaSuccess) {
    cudaGetLastError();  // clear the sticky-free error state of a failed allocation
    size_t free_b = 0, total_b = 0;
    cudaMemGetInfo(&free_b, &total_b);
    return Status(StatusCode::out_of_memory, "cuda: cannot allocate " + std::to_string(n) + " bytes for " + what +
                                                 " (" + std::to_string(free_b) + " of " + std::to_string(total_b) +
                                                 " bytes free): " + cudaGetErrorString(e));
  }
  blocks_.push_back(p);
  bytes_ += (int64_t)n;
  *out = p;
  return Status::Ok();
}

namespace {

const TensorInfo* find(const GolfFile& file, const std::string& name, Status* st) {
  const TensorInfo* t = file.find_tensor(name);
  if (t == nullptr || t->raw == nullptr) *st = Status(StatusCode::bad_format, "cuda: missing tensor '" + name + "'");
  return t;
}

// The tensor decoded to fp32 into dst (device, layout.count floats): quantized through the device dequantizer,
// floats through format's dequantize on the host.
Status upload_f32(const TensorInfo& t, float* dst, cudaStream_t stream, DeviceArena* arena) {
  const size_t count = t.layout.count;
  if (dtype_is_quantized(t.dtype)) {
    const int64_t rows = (int64_t)t.layout.rows, cols = (int64_t)t.layout.cols;
    std::vector<int8_t> codes(count);
    codes_from_raw(t.dtype, t.layout, t.group_size, t.raw, codes.data());
    const size_t n_scales = (size_t)t.layout.scale_count;
    int8_t* d_codes = nullptr;
    uint16_t* d_scales = nullptr;
    // Staging buffers stay in the arena until the session ends: a few MB for a 16 MB model, and no free that
    // could race the asynchronous copies.
    GOLF_RETURN_IF_ERROR(arena->alloc_n(count, t.name + " codes", &d_codes));
    GOLF_RETURN_IF_ERROR(arena->alloc_n(n_scales, t.name + " scales", &d_scales));
    GOLF_CUDA_CHECK(cudaMemcpyAsync(d_codes, codes.data(), count, cudaMemcpyHostToDevice, stream));
    GOLF_CUDA_CHECK(cudaMemcpyAsync(d_scales, t.raw + t.layout.scales_offset, n_scales * sizeof(uint16_t),
                                    cudaMemcpyHostToDevice, stream));
    const int e = dequantize_int8_rows_cuda(d_codes, d_scales, rows, cols, (int)t.group_size, dst, stream);
    if (e != 0) GOLF_CUDA_CHECK((cudaError_t)e);
    GOLF_CUDA_CHECK(cudaStreamSynchronize(stream));  // `codes` is freed on return
    return Status::Ok();
  }
  std::vector<float> host(count);
  Status st = dequantize(t.dtype, t.layout, t.group_size, t.raw, host.data());
  if (!st.ok()) return st.prefix("tensor '" + t.name + "': ");
  GOLF_CUDA_CHECK(cudaMemcpyAsync(dst, host.data(), count * sizeof(float), cudaMemcpyHostToDevice, stream));
  GOLF_CUDA_CHECK(cudaStreamSynchronize(stream));
  return Status::Ok();
}

Status upload_matrix(const GolfFile& file, const std::string& name, train_cuda::Precision precision,
                     cudaStream_t stream, DeviceArena* arena, DeviceMatrix* out) {
  Status st;
  const TensorInfo* t = find(file, name, &st);
  if (t == nullptr) return st;
  out->rows = (int)t->dims[0];
  out->cols = (int)t->dims[1];
  GOLF_RETURN_IF_ERROR(arena->alloc_n(t->layout.count, name, &out->f32));
  GOLF_RETURN_IF_ERROR(upload_f32(*t, out->f32, stream, arena));
  if (precision == train_cuda::Precision::bf16) {
    GOLF_RETURN_IF_ERROR(arena->alloc_n(t->layout.count, name + " (bf16)", &out->b16));
    GOLF_RETURN_IF_ERROR(train_cuda::weights_to_bf16(out->b16, out->f32, t->layout.count, stream));
  }
  return Status::Ok();
}

Status upload_vector(const GolfFile& file, const std::string& name, cudaStream_t stream, DeviceArena* arena,
                     float** out) {
  Status st;
  const TensorInfo* t = find(file, name, &st);
  if (t == nullptr) return st;
  GOLF_RETURN_IF_ERROR(arena->alloc_n(t->layout.count, name, out));
  return upload_f32(*t, *out, stream, arena);
}

}  // namespace

Status upload_weights(const GolfFile& file, const ModelConfig& c, train_cuda::Precision precision,
                      cudaStream_t stream, DeviceArena* arena, DeviceWeights* w) {
  GOLF_RETURN_IF_ERROR(upload_matrix(file, "tok_emb.weight", precision, stream, arena, &w->tok_emb));
  if (c.tie_embeddings)
    w->head = w->tok_emb;
  else
    GOLF_RETURN_IF_ERROR(upload_matrix(file, "lm_head.weight", precision, stream, arena, &w->head));
  if (c.num_skips() > 0) GOLF_RETURN_IF_ERROR(upload_vector(file, "skip_weights", stream, arena, &w->skip_weights));
  w->blocks.resize(c.num_layers);
  for (int i = 0; i < c.num_layers; i++) {
    DeviceBlock& b = w->blocks[i];
    const std::string p = "blocks." + std::to_string(i) + ".";
    GOLF_RETURN_IF_ERROR(upload_matrix(file, p + "attn.c_q.weight", precision, stream, arena, &b.c_q));
    GOLF_RETURN_IF_ERROR(upload_matrix(file, p + "attn.c_k.weight", precision, stream, arena, &b.c_k));
    GOLF_RETURN_IF_ERROR(upload_matrix(file, p + "attn.c_v.weight", precision, stream, arena, &b.c_v));
    GOLF_RETURN_IF_ERROR(upload_matrix(file, p + "attn.proj.weight", precision, stream, arena, &b.attn_proj));
    GOLF_RETURN_IF_ERROR(upload_matrix(file, p + "mlp.fc.weight", precision, stream, arena, &b.fc));
    GOLF_RETURN_IF_ERROR(upload_matrix(file, p + "mlp.proj.weight", precision, stream, arena, &b.mlp_proj));
    GOLF_RETURN_IF_ERROR(upload_vector(file, p + "attn.q_gain", stream, arena, &b.q_gain));
    GOLF_RETURN_IF_ERROR(upload_vector(file, p + "attn_scale", stream, arena, &b.attn_scale));
    GOLF_RETURN_IF_ERROR(upload_vector(file, p + "mlp_scale", stream, arena, &b.mlp_scale));
    GOLF_RETURN_IF_ERROR(upload_vector(file, p + "resid_mix", stream, arena, &b.resid_mix));
  }
  GOLF_CUDA_CHECK(cudaStreamSynchronize(stream));
  return Status::Ok();
}

}  // namespace golf::runtime_cuda
