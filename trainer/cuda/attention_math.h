// attention_math.h: the arithmetic and the index rules of the attention kernels, written once as GOLF_HD functions:
// the kernels (attention_bf16.cu, attention_fp32.cu, attention.cu) call them on the device, and
// tests/trainer/cuda/test_attention_math.cpp runs them on the host in CI, where a host emulation of each kernel's
// tile loop must reproduce train_cpu::attention_forward/backward, and an emulation of ldmatrix and mma.sync checks
// the fragment index arithmetic. Includes only device_math.h (no CUDA header).
//
// Units: a raw score is q·k (unscaled). Softmax exponents are kept in log2 units, s·scale·log2(e), so the kernels
// use exp2; lse is stored in natural units as the CPU twin stores it.
#pragma once
#include "device_math.h"  // defines: GOLF_HD

namespace golf::train_cuda {

constexpr float kAttnLog2e = 1.44269504088896341f;
constexpr float kAttnLn2 = 0.693147180559945309f;

// ---- causal tiles ----------------------------------------------------------------------------------------------

// Query `query` sees key `key` iff key ≤ query; rows ≥ T are the padding of a partial tile and see nothing.
GOLF_HD bool attn_visible(int query, int key, int T) { return key <= query && query < T; }

// Whether some pair of the tile [q0, q0 + rows) × [k0, k0 + cols) is not visible, so the kernel must test each
// pair: the tile reaches above the diagonal, or holds padding query rows. Keys ≥ T need no test of their own: for a
// real query they lie above the diagonal.
GOLF_HD bool attn_tile_needs_mask(int q0, int rows, int k0, int cols, int T) {
  return k0 + cols - 1 > q0 || q0 + rows > T;
}

// Tiles of `rows` covering [0, T).
GOLF_HD int attn_tiles(int T, int rows) { return (T + rows - 1) / rows; }
// The query tile starting at q0 reads key tiles [0, attn_key_tiles_end): up to the one holding its last real query.
GOLF_HD int attn_key_tiles_end(int q0, int rows, int cols, int T) {
  const int last = (q0 + rows < T ? q0 + rows : T) - 1;
  return last / cols + 1;
}
// The key tile starting at k0 is read by query tiles [attn_query_tiles_begin, attn_tiles(T, rows)): queries < k0
// see none of its keys.
GOLF_HD int attn_query_tiles_begin(int k0, int rows) { return k0 / rows; }

// ---- online softmax (forward) ----------------------------------------------------------------------------------

// One query row's running state: m = the running maximum of its scaled scores in log2 units (−inf before any
// visible key); each thread that holds part of the row keeps its own share l of Σ 2^(s − m), and the shares are
// added by attn_quad_sum at the end.
//
// Folds a tile into the row: tile_max = the maximum raw score of the row's visible keys in this tile (−inf when it
// has none; the kernels give invisible keys the score −inf). Returns α, the factor by which the row's l and output
// accumulators must be rescaled; *base is the exponent offset of this tile's probabilities (attn_prob). A row that
// has seen no visible key uses base 0, so its masked scores give exp2(−inf) = 0 and never NaN.
GOLF_HD float attn_softmax_advance(float* m, float tile_max, float scale_log2, float* base) {
  const float scaled = tile_max * scale_log2;
  const float m_new = *m > scaled ? *m : scaled;
  *base = m_new == -INFINITY ? 0.0f : m_new;
  const float alpha = exp2f(*m - *base);  // 0 while *m is −inf
  *m = m_new;
  return alpha;
}

// The (unnormalised) probability of a raw score in the current tile: 2^(s·scale·log2 e − base) ∈ [0, 1].
GOLF_HD float attn_prob(float score, float scale_log2, float base) { return exp2f(score * scale_log2 - base); }

// The quad's four shares of l, added in the order of the kernels' shuffles (xor 1, then xor 2); every lane of the
// quad gets these bits, as float addition commutes exactly.
GOLF_HD float attn_quad_sum(float l0, float l1, float l2, float l3) { return (l0 + l1) + (l2 + l3); }

// The end of a row: its output accumulators are multiplied by 1 / l; its natural logsumexp is (m + log2 l)·ln 2.
GOLF_HD float attn_row_norm(float l) { return 1.0f / l; }
GOLF_HD float attn_lse_finish(float m, float l) { return (m + log2f(l)) * kAttnLn2; }

// ---- backward --------------------------------------------------------------------------------------------------

// p recomputed from a raw score and the forward's natural lse.
GOLF_HD float attn_prob_lse(float score, float scale_log2, float lse) {
  return exp2f(score * scale_log2 - lse * kAttnLog2e);
}
// The softmax backward: dS = p·(dP − D), with D = Σ_c dO·O of the query row (= Σ_j p_j·dP_j).
GOLF_HD float attn_dscore(float p, float dp, float D) { return p * (dp - D); }
// acc + Σ_i a_i·b_i in index order: the D term (in chunks of 8, continuing acc) and the fp32 kernels' dot products.
GOLF_HD float attn_dot(float acc, const float* a, const float* b, int n) {
  for (int i = 0; i < n; i++) acc += a[i] * b[i];
  return acc;
}

// ---- tensor-core fragments (mma.sync m16n8k16, ldmatrix.x4), attention_bf16.cu -------------------------------

// Shared-memory tiles hold rows of HD bf16 as `chunks` = HD/8 16-byte chunks (4 or 8). Chunk c of row r is stored
// at chunk c ^ f(r), with f(r) cycling through 0..chunks−1 every 8 / chunks rows, so the 8 rows one ldmatrix
// matrix reads (consecutive rows, one logical chunk) fall in 8 different 16-byte bank groups: no bank conflicts.
// Returns the element offset of the chunk.
GOLF_HD int attn_smem_offset(int row, int chunk, int chunks) {
  return (row * chunks + (chunk ^ ((row / (8 / chunks)) % chunks))) * 8;
}

// The row (within 16 rows) and chunk (within a 16-column step) whose 16 bytes lane supplies to ldmatrix.x4:
// - "A" pattern: matrices (rows 0-7, cols 0-7), (8-15, 0-7), (0-7, 8-15), (8-15, 8-15); gives the A operand of a
//   16×16 step from row-major rows, and with .trans the B operands of two n-tiles (n-tile 0: regs 0-1, n-tile 1:
//   regs 2-3) from rows indexed by k, i.e. V[key][d] for P·V.
// - "B" pattern: matrices (rows 0-7, cols 0-7), (0-7, 8-15), (8-15, 0-7), (8-15, 8-15); gives without .trans the B
//   operands of two n-tiles from rows indexed by n, i.e. K[key][d] for Q·Kᵀ.
GOLF_HD int ldsm_a_row(int lane) { return lane & 15; }
GOLF_HD int ldsm_a_chunk(int lane) { return lane >> 4; }
GOLF_HD int ldsm_b_row(int lane) { return (lane & 7) + ((lane >> 4) << 3); }
GOLF_HD int ldsm_b_chunk(int lane) { return (lane >> 3) & 1; }

// The m16n8 accumulator: lane holds c[i] at row lane/4 + 8·(i/2), column 2·(lane%4) + i%2 of its 16×8 tile.
GOLF_HD int mma_c_row(int lane, int i) { return (lane >> 2) + 8 * (i >> 1); }
GOLF_HD int mma_c_col(int lane, int i) { return 2 * (lane & 3) + (i & 1); }
// Accumulators reused as the A operand of the next product (P·V, Pᵀ·dO, dSᵀ·Q, dS·K): A register r of k-step kk
// packs c[2·(r%2)] and c[2·(r%2) + 1] of n-tile attn_a_from_c_tile(kk, r).
GOLF_HD int attn_a_from_c_tile(int kk, int r) { return 2 * kk + (r >> 1); }
GOLF_HD int attn_a_from_c_reg(int r) { return 2 * (r & 1); }

// ---- the bf16 kernels' error budget ------------------------------------------------------------------------------

// Relative Frobenius error per output of the bf16 kernels against the fp32 CPU twin run on the same bf16-rounded
// inputs (and, for the backward, the bf16-rounded forward output). Its sources: P and dS are rounded to bf16 as
// mma operands, and out, dq, dk, dv are stored as bf16 (2^-9 relative each); lse stays fp32 throughout. The GPU
// self-test holds the kernels to it; the host emulation of those rounding points (tests/trainer/cuda) must stay
// within half of it, leaving the rest for the order of the mma's fp32 accumulation.
struct AttnErrorBudget {
  double out, lse, grad;
};
constexpr AttnErrorBudget kAttnBf16Budget{1e-2, 1e-5, 1e-2};

}  // namespace golf::train_cuda
