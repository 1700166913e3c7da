// attention.h: causal softmax attention of a few query vectors over one KV head of the cache, the inner kernel of
// the attention phase (session_forward.cpp). One implementation per instruction set (portable C++, AVX2 + FMA and
// AVX-512 intrinsics), chosen to follow the kernels' active path (kernel_paths.h).
//
// Cache layout of one KV head (what the kernels read):
//   keys    [n_ctx_pad / 16][head_dim][16]: positions in tiles of 16, transposed inside a tile so that one vector
//           load gives one dimension of 16 keys (scores of 16 keys per FMA);
//   values  [n_ctx_pad][head_dim]: one row per position.
#pragma once
#include <cstddef>

namespace golf {

constexpr int kAttnKeyTile = 16;  // positions per key tile
constexpr int kAttnMaxVecs = 4;   // query vectors per call

// Query vector i attends to keys [0, n_keys[i]) with softmax(q·k) (q already scaled by q_gain / √head_dim) and
// writes Σ p_j v_j to out[i] [head_dim].
struct AttentionTile {
  int n = 0;  // vectors, 1 .. kAttnMaxVecs
  const float* q[kAttnMaxVecs] = {};
  float* out[kAttnMaxVecs] = {};
  int n_keys[kAttnMaxVecs] = {};
};

struct AttentionKernels {
  const char* name;
  // keys/values: one KV head's cache (layout above). scratch: kAttnMaxVecs × ld floats, ld >= the keys rounded up to
  // a multiple of 16, 64-byte aligned.
  void (*attend)(const AttentionTile& tile, const float* keys, const float* values, int head_dim, float* scratch,
                 size_t ld);
};

// The kernels matching kernels::kernel_path_name() ("avx512vnni" -> AVX-512, "avx2" -> AVX2, else portable).
const AttentionKernels& attention_kernels();

const AttentionKernels* attention_kernels_portable();
const AttentionKernels* attention_kernels_avx2();    // null when not built (not x86-64)
const AttentionKernels* attention_kernels_avx512();  // null when not built

// Index of key dimension `dim` of position `pos` in a KV head's key cache.
inline size_t attn_key_index(int pos, int dim, int head_dim) {
  return ((size_t)(pos / kAttnKeyTile) * (size_t)head_dim + (size_t)dim) * kAttnKeyTile + (size_t)(pos % kAttnKeyTile);
}

}  // namespace golf
