// cuda_session.cpp: CudaSession (cuda_session.h): creation (weights, buffers, RoPE tables, GEMM plans), the forward
// pass (forward_graph.h on CudaOps: the GPU twin of Session::forward_batch), scoring with the NLL on the device, and
// decoding.
#include "cuda_session.h"

#include <algorithm>
#include <cmath>
#include <new>

#include "rope_table.h"  // defines: rope_tables_fill (the runtime's tables, bit for bit)
#include "cuda/attention.h"  // defines: attention_check_shape
#include "cuda/qk_norm_rope.h"  // defines: kQkMaxHeadDim
#include "cuda_ops.h"  // defines: CudaOps
#include "forward_graph.h"
#include "nll.h"

namespace golf::runtime_cuda {
namespace {
using train_cuda::bf16;
using train_cuda::Precision;

// Rows (tokens, all sequences together) of one forward pass by default: many scoring windows per pass, with the
// fp32 logits (rows × vocab) held to about 1 GiB.
constexpr int kDefaultMaxRows = 65536;
constexpr size_t kLogitsBudgetBytes = size_t(1) << 30;
}  // namespace

CudaSession::~CudaSession() {
  if (stream_ != nullptr) {
    cudaStreamSynchronize(stream_);
    cudaStreamDestroy(stream_);
  }
}

Status CudaSession::create(const Model& model, const DeviceSessionOptions& options,
                           std::unique_ptr<InferenceSession>* out) {
  std::unique_ptr<CudaSession> s(new (std::nothrow) CudaSession(model));
  if (s == nullptr) return Status(StatusCode::out_of_memory, "cuda session: out of memory");
  GOLF_RETURN_IF_ERROR(s->init(options));
  *out = std::move(s);
  return Status::Ok();
}

Status CudaSession::init(const DeviceSessionOptions& o) {
  const ModelConfig& c = model_.config();
  device_index_ = o.device_index;
  precision_ = o.precision == DevicePrecision::bf16 ? Precision::bf16 : Precision::fp32;
  GOLF_CUDA_CHECK(cudaSetDevice(device_index_));
  GOLF_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));

  const train_cuda::AttentionShape probe{1, 1, c.num_heads, c.num_kv_heads, c.head_dim(),
                                         (float)(1.0 / std::sqrt((double)c.head_dim()))};
  Status shape_ok = train_cuda::attention_check_shape(probe);
  if (!shape_ok.ok())
    return Status(StatusCode::unsupported, "cuda: this model's attention shape is not covered by the GPU kernels: " +
                                               shape_ok.message());
  if (c.qk_norm && c.head_dim() > train_cuda::kQkMaxHeadDim)
    return Status(StatusCode::unsupported, "cuda: head_dim above " + std::to_string(train_cuda::kQkMaxHeadDim));

  n_ctx_ = o.n_ctx > 0 ? o.n_ctx : c.max_seq_len;
  if (o.n_ctx < 0 || n_ctx_ > (1 << 22))
    return Status(StatusCode::invalid_argument, "cuda session: n_ctx " + std::to_string(o.n_ctx) + " out of range");
  if (o.n_batch > 0) {
    max_rows_ = std::max(o.n_batch, n_ctx_);
  } else {
    const size_t by_logits = kLogitsBudgetBytes / ((size_t)c.vocab_size * 6);  // fp32 logits + the head's output
    max_rows_ = (int)std::min<size_t>(kDefaultMaxRows, std::max<size_t>(by_logits, 1));
    max_rows_ = std::max(n_ctx_, max_rows_ / n_ctx_ * n_ctx_);  // whole windows of n_ctx tokens
  }

  GOLF_RETURN_IF_ERROR(upload_weights(model_.file(), c, precision_, stream_, &arena_, &w_));

  const size_t N = (size_t)max_rows_, d = c.model_dim, kv = c.kv_dim(), hid = c.mlp_hidden, V = c.vocab_size;
  const size_t S = (size_t)c.num_skips();
  const size_t act = sizeof(float);  // bf16 sessions use half of each buffer
  GOLF_RETURN_IF_ERROR(arena_.alloc(N * d * act, "x", &x_));
  GOLF_RETURN_IF_ERROR(arena_.alloc(N * d * act, "x0", &x0_));
  GOLF_RETURN_IF_ERROR(arena_.alloc(N * d * act, "xn", &xn_));
  GOLF_RETURN_IF_ERROR(arena_.alloc(N * d * act, "q", &q_));
  GOLF_RETURN_IF_ERROR(arena_.alloc(N * kv * act, "k", &k_));
  GOLF_RETURN_IF_ERROR(arena_.alloc(N * kv * act, "v", &v_));
  GOLF_RETURN_IF_ERROR(arena_.alloc(N * d * act, "qk-norm rows", &y_));
  GOLF_RETURN_IF_ERROR(arena_.alloc(N * d * act, "attention output", &attn_));
  GOLF_RETURN_IF_ERROR(arena_.alloc(N * hid * act, "mlp hidden", &hidden_));
  GOLF_RETURN_IF_ERROR(arena_.alloc(N * d * act, "sublayer output", &sub_out_));
  GOLF_RETURN_IF_ERROR(arena_.alloc(std::max<size_t>(S, 1) * N * d * act, "skips", &skips_));
  GOLF_RETURN_IF_ERROR(arena_.alloc(N * V * (precision_ == Precision::bf16 ? 2 : 4), "head output", &logits_t_));
  GOLF_RETURN_IF_ERROR(arena_.alloc_n(N * V, "logits", &logits_));
  GOLF_RETURN_IF_ERROR(arena_.alloc_n(N * (size_t)c.num_heads, "rstd", &rstd_));
  GOLF_RETURN_IF_ERROR(arena_.alloc_n(N, "token ids", &ids_));
  GOLF_RETURN_IF_ERROR(arena_.alloc_n(N, "targets", &targets_));
  const size_t cache_bytes = (size_t)c.num_layers * n_ctx_ * kv * act;
  GOLF_RETURN_IF_ERROR(arena_.alloc(cache_bytes, "KV cache (keys)", &k_cache_));
  GOLF_RETURN_IF_ERROR(arena_.alloc(cache_bytes, "KV cache (values)", &v_cache_));
  GOLF_RETURN_IF_ERROR(arena_.alloc_n(N, "nll", &nll_));

  const int half = c.rope_dims / 2;
  if (half > 0) {
    std::vector<float> cs((size_t)n_ctx_ * half), sn((size_t)n_ctx_ * half);
    rope_tables_fill(cs.data(), sn.data(), n_ctx_, c.rope_dims, c.rope_base);
    GOLF_RETURN_IF_ERROR(arena_.alloc_n(cs.size(), "rope cos", &cos_));
    GOLF_RETURN_IF_ERROR(arena_.alloc_n(sn.size(), "rope sin", &sin_));
    GOLF_CUDA_CHECK(cudaMemcpyAsync(cos_, cs.data(), cs.size() * 4, cudaMemcpyHostToDevice, stream_));
    GOLF_CUDA_CHECK(cudaMemcpyAsync(sin_, sn.data(), sn.size() * 4, cudaMemcpyHostToDevice, stream_));
    GOLF_CUDA_CHECK(cudaStreamSynchronize(stream_));
  }
  void* workspace = nullptr;
  GOLF_RETURN_IF_ERROR(arena_.alloc(train_cuda::kGemmWorkspaceBytes, "cuBLASLt workspace", &workspace));
  return gemm_.init(precision_, {}, workspace, train_cuda::kGemmWorkspaceBytes);
}

// The products of a pass of N rows, planned once per N (cuBLASLt's heuristic runs here, never inside a pass).
Status CudaSession::plan_gemms(int N) {
  if (std::find(planned_rows_.begin(), planned_rows_.end(), N) != planned_rows_.end()) return Status::Ok();
  const ModelConfig& c = model_.config();
  const int d = c.model_dim, kv = c.kv_dim(), hid = c.mlp_hidden, V = c.vocab_size;
  for (auto io : {std::pair<int, int>{d, d}, {d, kv}, {d, hid}, {hid, d}, {d, V}})
    GOLF_RETURN_IF_ERROR(gemm_.add(train_cuda::linear_forward_shape(N, io.first, io.second)));
  planned_rows_.push_back(N);
  return Status::Ok();
}

namespace {
template <typename T>
GraphWeights<T> graph_weights(const DeviceWeights& w) {
  GraphWeights<T> g;
  g.tok_emb = w.tok_emb.f32;
  g.head = w.head.get<T>();
  g.skip_weights = w.skip_weights;
  for (const DeviceBlock& b : w.blocks)
    g.blocks.push_back({b.c_q.get<T>(), b.c_k.get<T>(), b.c_v.get<T>(), b.attn_proj.get<T>(), b.fc.get<T>(),
                        b.mlp_proj.get<T>(), b.q_gain, b.attn_scale, b.mlp_scale, b.resid_mix});
  return g;
}
}  // namespace

template <typename T>
Status CudaSession::forward(int B, int T_, int past) {
  GraphBuffers<T> buf;
  buf.x = (T*)x_;
  buf.x0 = (T*)x0_;
  buf.xn = (T*)xn_;
  buf.q = (T*)q_;
  buf.k = (T*)k_;
  buf.v = (T*)v_;
  buf.y = (T*)y_;
  buf.attn = (T*)attn_;
  buf.hidden = (T*)hidden_;
  buf.sub = (T*)sub_out_;
  buf.skips = (T*)skips_;
  buf.head_out = (T*)logits_t_;
  buf.logits = logits_;
  buf.rstd = rstd_;
  buf.ids = ids_;
  buf.cos_t = cos_;
  buf.sin_t = sin_;
  CudaOps<T> ops{gemm_, stream_};
  const GraphCache<T> cache{(T*)k_cache_, (T*)v_cache_, n_ctx_, past};
  return forward_graph<T>(ops, model_.config(), graph_weights<T>(w_), buf, B, T_, past >= 0 ? &cache : nullptr);
}

Status CudaSession::run(const int32_t* ids, int B, int T, int row0, float* logits, int past) {
  const int N = B * T;
  if (N > max_rows_ || T > n_ctx_ || (past >= 0 && (B != 1 || past + T > n_ctx_)))
    return Status(StatusCode::invalid_argument, "cuda session: " + std::to_string(B) + " sequences of " +
                                                    std::to_string(T) + " tokens exceed the pass (" +
                                                    std::to_string(max_rows_) + " tokens, n_ctx " +
                                                    std::to_string(n_ctx_) + ")");
  GOLF_CUDA_CHECK(cudaSetDevice(device_index_));
  GOLF_RETURN_IF_ERROR(plan_gemms(N));
  GOLF_CUDA_CHECK(cudaMemcpyAsync(ids_, ids, (size_t)N * sizeof(int32_t), cudaMemcpyHostToDevice, stream_));
  if (precision_ == Precision::bf16)
    GOLF_RETURN_IF_ERROR(forward<bf16>(B, T, past));
  else
    GOLF_RETURN_IF_ERROR(forward<float>(B, T, past));
  if (logits != nullptr && row0 < N) {
    const size_t V = (size_t)model_.config().vocab_size;
    GOLF_CUDA_CHECK(cudaMemcpyAsync(logits, logits_ + (size_t)row0 * V, (size_t)(N - row0) * V * sizeof(float),
                                    cudaMemcpyDeviceToHost, stream_));
  }
  GOLF_CUDA_CHECK(cudaStreamSynchronize(stream_));
  return Status::Ok();
}

Status CudaSession::check_ids(const int32_t* ids, int n) const {
  const int V = model_.config().vocab_size;
  for (int i = 0; i < n; i++)
    if (ids[i] < 0 || ids[i] >= V)
      return Status(StatusCode::invalid_argument, "cuda session: token id " + std::to_string(ids[i]) +
                                                      " outside the vocabulary [0, " + std::to_string(V) + ")");
  return Status::Ok();
}

Status CudaSession::forward_sequences(const int32_t* ids, int B, int T, float* logits, int vocab) {
  n_past_ = 0;
  if (vocab != model_.config().vocab_size)
    return Status(StatusCode::invalid_argument, "cuda session: vocab mismatch");
  GOLF_RETURN_IF_ERROR(check_ids(ids, B * T));
  if (cancel_requested()) return Status(StatusCode::cancelled, "forward: cancelled");
  return run(ids, B, T, 0, logits);
}

Status CudaSession::forward_nll(const int32_t* ids, const int32_t* targets, int B, int T, double* nll) {
  n_past_ = 0;
  const int N = B * T;
  GOLF_RETURN_IF_ERROR(check_ids(ids, N));
  for (int i = 0; i < N; i++)
    if (targets[i] >= model_.config().vocab_size)
      return Status(StatusCode::invalid_argument, "cuda session: target id outside the vocabulary");
  if (cancel_requested()) return Status(StatusCode::cancelled, "forward: cancelled");
  GOLF_RETURN_IF_ERROR(run(ids, B, T, N, nullptr));  // N <= max_rows_ checked there
  GOLF_CUDA_CHECK(cudaMemcpyAsync(targets_, targets, (size_t)N * sizeof(int32_t), cudaMemcpyHostToDevice, stream_));
  GOLF_RETURN_IF_ERROR(nll_rows(nll_, logits_, targets_, N, model_.config().vocab_size, stream_));
  GOLF_CUDA_CHECK(cudaMemcpyAsync(nll, nll_, (size_t)N * sizeof(double), cudaMemcpyDeviceToHost, stream_));
  GOLF_CUDA_CHECK(cudaStreamSynchronize(stream_));
  return Status::Ok();
}

Status CudaSession::decode(const int32_t* tokens, int n, float* logits, bool all_logits) {
  if (n < 0) return Status(StatusCode::invalid_argument, "decode: negative token count");
  if (n == 0) return Status::Ok();
  if (tokens == nullptr) return Status(StatusCode::invalid_argument, "decode: null tokens");
  const int V = model_.config().vocab_size;  // the CPU Session's message, word for word
  for (int i = 0; i < n; i++)
    if (tokens[i] < 0 || tokens[i] >= V)
      return Status(StatusCode::invalid_argument, "decode: token " + std::to_string(i) + " has id " +
                                                      std::to_string(tokens[i]) + ", outside the vocabulary [0, " +
                                                      std::to_string(V) + ")");
  const int past = n_past();
  if (n > n_ctx_ - past)
    return Status(StatusCode::invalid_argument, "decode: context full: " + std::to_string(past) +
                                                    " positions used + " + std::to_string(n) + " new > n_ctx " +
                                                    std::to_string(n_ctx_));
  if (cancel_requested()) return Status(StatusCode::cancelled, "decode: cancelled");
  // The new tokens only, at positions past .. past + n − 1, their k and v into the cache.
  const int row0 = logits == nullptr ? n : (all_logits ? 0 : n - 1);
  GOLF_RETURN_IF_ERROR(run(tokens, 1, n, row0, logits, past));
  n_past_ = past + n;
  return Status::Ok();
}

}  // namespace golf::runtime_cuda
