// session.cpp: Session::create (thread pool, KV cache and scratch memory carved from one allocation, RoPE tables)
// and Session::decode (argument checks, then forward passes of at most n_batch tokens).
#include "session.h"

#include <algorithm>
#include <new>
#include <string>
#include <thread>

namespace golf {
namespace {

constexpr int64_t kMaxCtx = 1 << 22;

// Lays out 64-byte aligned regions in one buffer: a first pass counts, a second hands out pointers.
class Carver {
 public:
  explicit Carver(uint8_t* base) : base_(base) {}
  template <class T>
  void take(T** out, uint64_t count) {
    uint64_t bytes = (count * sizeof(T) + 63) / 64 * 64;
    if (base_ != nullptr) *out = reinterpret_cast<T*>(base_ + size_);
    size_ += bytes;
  }
  uint64_t size() const { return size_; }

 private:
  uint8_t* base_;
  uint64_t size_ = 0;
};

}  // namespace

const char* SessionProfile::phase_name(int phase) {
  static const char* const names[n_phases] = {"embed",     "block_input", "qkv",    "qk_rope",  "attention",
                                              "attn_proj", "mlp_input",   "mlp_fc", "mlp_proj", "head"};
  return phase >= 0 && phase < n_phases ? names[phase] : "?";
}

Session::~Session() = default;

Status Session::create(const Model& model, const SessionOptions& options, std::unique_ptr<Session>* out) {
  if (out == nullptr) return Status(StatusCode::invalid_argument, "Session::create: null out");
  std::unique_ptr<Session> s(new (std::nothrow) Session(model));
  if (s == nullptr) return Status(StatusCode::out_of_memory, "Session::create: out of memory");
  GOLF_RETURN_IF_ERROR(s->allocate(options));
  *out = std::move(s);
  return Status::Ok();
}

Status Session::allocate(const SessionOptions& o) {
  const ModelConfig& c = model_.config();
  const ModelWeights& W = model_.weights();
  if (o.n_threads < 0 || o.n_threads > kMaxSessionThreads)
    return Status(StatusCode::invalid_argument, "Session: n_threads " + std::to_string(o.n_threads) +
                                                    " out of range [0, " + std::to_string(kMaxSessionThreads) + "]");
  int n_threads = o.n_threads > 0 ? o.n_threads : (int)std::thread::hardware_concurrency();
  if (n_threads < 1) n_threads = 1;
  const int64_t n_ctx = o.n_ctx > 0 ? o.n_ctx : c.max_seq_len;
  if (o.n_ctx < 0 || n_ctx > kMaxCtx)
    return Status(StatusCode::invalid_argument, "Session: n_ctx " + std::to_string(o.n_ctx) + " out of range [0, " +
                                                    std::to_string(kMaxCtx) + "]");
  if (o.n_batch < 0) return Status(StatusCode::invalid_argument, "Session: n_batch must be >= 0");
  n_ctx_ = (int)n_ctx;
  n_ctx_pad_ = (n_ctx_ + kAttnKeyTile - 1) / kAttnKeyTile * kAttnKeyTile;
  n_batch_ = std::min(o.n_batch > 0 ? o.n_batch : SessionOptions().n_batch, n_ctx_);
  profile_on_ = o.profile;

  pool_.reset(new (std::nothrow) kernels::ThreadPool(n_threads));
  if (pool_ == nullptr) return Status(StatusCode::out_of_memory, "Session: cannot create the thread pool");
  attn_kernels_ = &attention_kernels();
  GOLF_RETURN_IF_ERROR(rope_.init(n_ctx_, c.rope_dims, c.rope_base));

  block_quant_.resize(c.num_layers);
  for (int i = 0; i < c.num_layers; i++) {
    const BlockWeights& b = W.blocks[i];
    block_quant_[i].qkv = b.c_q.needs_int8_input() || b.c_k.needs_int8_input() || b.c_v.needs_int8_input();
    block_quant_[i].proj = b.attn_proj.needs_int8_input();
    block_quant_[i].fc = b.fc.needs_int8_input();
    block_quant_[i].mlp_proj = b.mlp_proj.needs_int8_input();
  }

  const uint64_t d = c.model_dim, hd = c.head_dim(), kvd = c.kv_dim(), hid = c.mlp_hidden, B = n_batch_;
  const uint64_t kv_floats = (uint64_t)c.num_layers * c.num_kv_heads * (uint64_t)n_ctx_pad_ * hd;
  auto carve = [&](Carver& cv) {
    cv.take(&k_cache_, kv_floats);
    cv.take(&v_cache_, kv_floats);
    cv.take(&x_, B * d);
    cv.take(&x0_, B * d);
    cv.take(&xn_, B * d);
    cv.take(&qkv_, B * (d + 2 * kvd));
    cv.take(&attn_, B * d);
    cv.take(&hidden_, B * hid);
    cv.take(&sub_out_, B * d);
    cv.take(&skips_, (uint64_t)c.num_skips() * B * d);
    cv.take(&attn_scratch_, (uint64_t)pool_->n_threads() * kAttnMaxVecs * (uint64_t)n_ctx_pad_);
    // Codes are only read for quantized layers, whose input width is a multiple of 32.
    cv.take(&codes_d_, B * d);
    cv.take(&scales_d_, B * (d / 32 + 1));
    cv.take(&sums_d_, B * (d / 32 + 1));
    cv.take(&codes_h_, B * hid);
    cv.take(&scales_h_, B * (hid / 32 + 1));
    cv.take(&sums_h_, B * (hid / 32 + 1));
  };
  Carver count(nullptr);
  carve(count);
  if (count.size() > ((uint64_t)1 << 40) || !memory_.allocate((size_t)count.size()))
    return Status(StatusCode::out_of_memory, "Session: cannot allocate " + std::to_string(count.size()) +
                                                 " bytes (KV cache and scratch; lower n_ctx or n_batch)");
  Carver place(memory_.data());
  carve(place);
  return Status::Ok();
}

Status Session::decode(const int32_t* tokens, int n, float* logits, bool all_logits) {
  if (n < 0) return Status(StatusCode::invalid_argument, "decode: negative token count");
  if (n == 0) return Status::Ok();
  if (tokens == nullptr) return Status(StatusCode::invalid_argument, "decode: null tokens");
  const int V = model_.config().vocab_size;
  for (int i = 0; i < n; i++)
    if (tokens[i] < 0 || tokens[i] >= V)
      return Status(StatusCode::invalid_argument, "decode: token " + std::to_string(i) + " has id " +
                                                      std::to_string(tokens[i]) + ", outside the vocabulary [0, " +
                                                      std::to_string(V) + ")");
  if (n > n_ctx_ - n_past_)
    return Status(StatusCode::invalid_argument, "decode: context full: " + std::to_string(n_past_) +
                                                    " positions used + " + std::to_string(n) + " new > n_ctx " +
                                                    std::to_string(n_ctx_));
  const int n_past_before = n_past_;
  for (int start = 0; start < n; start += n_batch_) {
    if (cancel_requested()) {
      n_past_ = n_past_before;
      return Status(StatusCode::cancelled, "decode: cancelled");
    }
    const int M = std::min(n_batch_, n - start);
    float* out = nullptr;
    int head_row0 = M;
    if (logits != nullptr && all_logits) {
      out = logits + (size_t)start * V;
      head_row0 = 0;
    } else if (logits != nullptr && start + M == n) {
      out = logits;
      head_row0 = M - 1;
    }
    GOLF_RETURN_IF_ERROR(forward_batch(tokens + start, M, out, head_row0));
    n_past_ += M;
  }
  return Status::Ok();
}

}  // namespace golf
