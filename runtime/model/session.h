// session.h: golf::Session, the per-thread state of running a Model: the KV cache, the scratch memory of one batch
// and a thread pool. Everything is allocated by create(); decode() allocates nothing. Sessions of one Model may run
// on different threads at the same time; one Session is used by one thread at a time (request_cancel() excepted).
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "aligned_buffer.h"
#include "attention.h"
#include "inference_session.h"
#include "model.h"
#include "quant_matrix.h"
#include "row_ops.h"
#include "status.h"
#include "thread_pool.h"

namespace golf {

// More workers than any target machine has cores is a mistake (a typo such as 100000 would start that many threads);
// equal to golf::cli::kMaxThreads, the tools' --threads bound.
constexpr int kMaxSessionThreads = 1024;

struct SessionOptions {
  int n_threads = 0;    // 0: std::thread::hardware_concurrency(); at most kMaxSessionThreads
  int n_ctx = 0;        // positions the KV cache holds; 0: the config's max_seq_len
  // Tokens per forward pass (prompt processing); longer inputs run in several passes. 256: prompt speed as with
  // 512 on the baseline shape, while the activations a session holds are half (7 MB less; scripts/footprint.sh).
  int n_batch = 256;
  bool profile = false; // accumulate the time of each phase of the forward pass (see Session::profile)
};

// Time spent per phase of the forward pass, summed over calls while SessionOptions::profile is set.
struct SessionProfile {
  enum Phase { embed, block_input, qkv, qk_rope, attention, attn_proj, mlp_input, mlp_fc, mlp_proj, head, n_phases };
  double seconds[n_phases] = {};
  static const char* phase_name(int phase);
};

// The CPU backend of InferenceSession.
class Session : public InferenceSession {
 public:
  // Allocates everything the session will use (KV cache: layers × kv_dim × n_ctx × 8 bytes). The model must outlive
  // the session. invalid_argument for a negative or too large n_ctx / negative n_batch; out_of_memory.
  static Status create(const Model& model, const SessionOptions& options, std::unique_ptr<Session>* out);
  ~Session() override;

  // Forgets every position (the cache is reused from position 0).
  void reset() override { n_past_ = 0; }
  int n_past() const override { return n_past_; }
  int n_ctx() const override { return n_ctx_; }
  int n_batch() const override { return n_batch_; }
  int n_threads() const { return pool_->n_threads(); }
  const Model& model() const override { return model_; }

  // Appends tokens [n] at positions n_past() .. n_past() + n − 1, in forward passes of at most n_batch tokens, and
  // writes logits (after the softcap) to `logits`: [n][vocab] when all_logits, else [vocab] for the last token
  // only; logits may be null (no head computed). Checks everything first and changes nothing on error: a token id
  // outside [0, vocab) or n_past() + n > n_ctx() -> invalid_argument. A cancel request seen before a forward pass
  // -> cancelled, with n_past() back where it was.
  // Cancellation (InferenceSession::request_cancel) is checked before each forward pass (at most n_batch tokens),
  // so a long prompt stops within one pass.
  Status decode(const int32_t* tokens, int n, float* logits, bool all_logits) override;

  const SessionProfile& profile() const { return profile_; }
  void clear_profile() { profile_ = SessionProfile(); }

 private:
  explicit Session(const Model& model) : model_(model) {}
  Status allocate(const SessionOptions& options);
  // One forward pass of M <= n_batch tokens at positions n_past_ ..; logits of rows [head_row0, M) (or none).
  Status forward_batch(const int32_t* tokens, int M, float* logits, int head_row0);
  // Phases of the forward pass (session_forward.cpp).
  void embed_rows(const int32_t* tokens, int r0, int r1);
  void block_input_rows(int layer, int r0, int r1);
  void qk_rope_rows(int layer, int r0, int r1);
  void qk_rope_group(int layer, int row, int kv_head);  // q heads of the group, k and v of one row
  void attention_phase(int layer, int M, int r_begin);  // queries of rows [r_begin, M); keys of all M
  void mlp_input_rows(int layer, int r0, int r1);
  void head_input_rows(int r0, int r1);
  template <class Fn>
  void for_rows(int M, Fn&& fn);
  void quantize_row(const float* x, int cols, int row, int8_t* codes, float* scales, int32_t* sums);

  const Model& model_;
  std::unique_ptr<kernels::ThreadPool> pool_;
  const AttentionKernels* attn_kernels_ = nullptr;
  int n_ctx_ = 0, n_ctx_pad_ = 0, n_batch_ = 0;
  int n_past_ = 0;
  bool profile_on_ = false;
  SessionProfile profile_;
  RopeTables rope_;

  // Which inputs the kernels need quantized, per block (a layer of the group is quantized); the head's never is.
  struct BlockQuant {
    bool qkv = false, proj = false, fc = false, mlp_proj = false;
  };
  std::vector<BlockQuant> block_quant_;

  AlignedBuffer memory_;  // everything below points into it
  float* k_cache_ = nullptr;   // [layer][kv head][n_ctx_pad / 16][head_dim][16]
  float* v_cache_ = nullptr;   // [layer][kv head][n_ctx_pad][head_dim]
  float* x_ = nullptr;         // [n_batch][d] residual stream
  float* x0_ = nullptr;        // [n_batch][d] normalized embeddings
  float* xn_ = nullptr;        // [n_batch][d] normalized input of a sublayer
  float* qkv_ = nullptr;       // [n_batch][d + 2 kv]
  float* attn_ = nullptr;      // [n_batch][d] attention output (heads side by side)
  float* hidden_ = nullptr;    // [n_batch][mlp_hidden]
  float* sub_out_ = nullptr;   // [n_batch][d] output of the last projection
  float* skips_ = nullptr;     // [S][n_batch][d] encoder outputs the decoder adds back
  float* attn_scratch_ = nullptr;  // [n_threads][kAttnMaxVecs][n_ctx_pad]
  // Quantized activations (codes, 32-column block scales and code sums) of d-wide and hidden-wide rows.
  int8_t* codes_d_ = nullptr;
  float* scales_d_ = nullptr;
  int32_t* sums_d_ = nullptr;
  int8_t* codes_h_ = nullptr;
  float* scales_h_ = nullptr;
  int32_t* sums_h_ = nullptr;
};

}  // namespace golf
