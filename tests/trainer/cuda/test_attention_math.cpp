// test_attention_math.cpp: the CUDA attention kernels' arithmetic and index rules (trainer/cuda/attention_math.h)
// on the host, where CI has no GPU:
// - the causal tile ranges and masks cover every visible (query, key) pair exactly once and nothing else;
// - the tensor-core fragment arithmetic (swizzled tiles, ldmatrix lane addresses, accumulators reused as A
//   operands) reproduces matrix products when ldmatrix and mma.sync are emulated from the PTX ISA's layout tables;
// - an emulation of each kernel's tile loop (both tilings: 64 rows for bf16, 32 for fp32; the quads' partial row
//   sums; dK/dV owned per key tile, dQ per query tile) built from those functions reproduces
//   train_cpu::attention_forward/backward at 1e-5, and with the bf16 kernels' rounding points stays inside the
//   error budget the GPU self-test holds the bf16 kernels to.
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "cpu/attention.h"        // defines: train_cpu::attention_forward/backward, AttentionShape
#include "cuda/attention_math.h"  // defines: attn_*, ldsm_*, mma_c_*, bf16_round

using namespace golf::train_cuda;
using golf::train_cpu::AttentionShape;

namespace {

// ---- causal tile ranges ------------------------------------------------------------------------------------------

TEST(AttentionTiles, RangesCoverEveryVisiblePairAndMasksAreNeededExactlyWhereClaimed) {
  for (int tile : {32, 64})
    for (int T = 1; T <= 300; T++) {
      const int nt = attn_tiles(T, tile);
      ASSERT_EQ(nt, (T + tile - 1) / tile);
      for (int qt = 0; qt < nt; qt++)
        for (int kt = 0; kt < nt; kt++) {
          const int q0 = qt * tile, k0 = kt * tile;
          bool any_visible = false, all_visible = true;
          for (int i = q0; i < q0 + tile; i++)
            for (int j = k0; j < k0 + tile; j++) {
              const bool vis = attn_visible(i, j, T);
              ASSERT_EQ(vis, i < T && j <= i) << i << " " << j;
              any_visible |= vis;
              all_visible &= vis;
            }
          // The forward and dQ loops visit key tiles [0, end) of query tile qt; dK/dV visit query tiles
          // [begin, nt) of key tile kt. Both must be exactly the tile pairs holding a visible pair.
          ASSERT_EQ(kt < attn_key_tiles_end(q0, tile, tile, T), any_visible) << "T " << T << " qt " << qt;
          ASSERT_EQ(qt >= attn_query_tiles_begin(k0, tile), any_visible) << "T " << T << " kt " << kt;
          ASSERT_EQ(attn_tile_needs_mask(q0, tile, k0, tile, T), !all_visible) << "T " << T;
        }
    }
}

// ---- tensor-core fragments ---------------------------------------------------------------------------------------
// The layouts below are the PTX ISA's tables ("Matrix Fragments for mma.m16n8k16" with .bf16, and ldmatrix),
// written out here independently of attention_math.h, whose functions must agree with them.

using Pair = std::pair<double, double>;  // a 32-bit register holding two bf16: (low half, high half)

// A shared-memory tile of 64 rows × hd bf16 values, stored through attn_smem_offset.
struct SmemTile {
  int hd;
  std::vector<float> logical;  // (64, hd)
  std::vector<float> stored;   // the swizzled shared-memory image
  SmemTile(int hd_, std::mt19937* rng) : hd(hd_), logical(64 * hd_), stored(64 * hd_, NAN) {
    std::normal_distribution<float> g(0, 1);
    for (float& x : logical) x = bf16_round(g(*rng));
    for (int r = 0; r < 64; r++)
      for (int c = 0; c < hd; c++) stored[attn_smem_offset(r, c / 8, hd / 8) + c % 8] = logical[r * hd + c];
  }
  float at(int r, int c) const { return logical[r * hd + c]; }
};

// ldmatrix.x4: lane l gives the element offset `addr[l]` of row l%8 of matrix l/8; register i of lane l receives
// matrix i's (row l/4, cols 2(l%4), +1), or with .trans (rows 2(l%4), +1; col l/4).
void ldmatrix_x4(const std::vector<float>& smem, const int addr[32], bool trans, Pair out[32][4]) {
  for (int lane = 0; lane < 32; lane++)
    for (int i = 0; i < 4; i++) {
      const int g = lane / 4, t = lane % 4;
      auto m = [&](int r, int c) { return (double)smem[addr[8 * i + r] + c]; };
      out[lane][i] = trans ? Pair(m(2 * t, g), m(2 * t + 1, g)) : Pair(m(g, 2 * t), m(g, 2 * t + 1));
    }
}

// mma.m16n8k16 .row.col: A register i of lane (g, t) holds rows g + 8(i%2), cols 2t + 8(i/2) (+1); B register i
// holds k = 2t + 8i (+1), n = g; C register i holds row g + 8(i/2), col 2t + i%2.
void mma_16816(double c[32][4], const Pair a[32][4], const Pair b[32][2]) {
  double A[16][16], B[16][8];
  for (int lane = 0; lane < 32; lane++) {
    const int g = lane / 4, t = lane % 4;
    for (int i = 0; i < 4; i++) {
      A[g + 8 * (i % 2)][2 * t + 8 * (i / 2)] = a[lane][i].first;
      A[g + 8 * (i % 2)][2 * t + 8 * (i / 2) + 1] = a[lane][i].second;
    }
    for (int i = 0; i < 2; i++) {
      B[2 * t + 8 * i][g] = b[lane][i].first;
      B[2 * t + 8 * i + 1][g] = b[lane][i].second;
    }
  }
  for (int lane = 0; lane < 32; lane++)
    for (int i = 0; i < 4; i++) {
      const int row = lane / 4 + 8 * (i / 2), col = 2 * (lane % 4) + i % 2;
      for (int kk = 0; kk < 16; kk++) c[lane][i] += A[row][kk] * B[kk][col];
    }
}

TEST(AttentionFragments, SwizzleIsABijectionAndLdmatrixRowsHitEightBankGroups) {
  for (int chunks : {4, 8}) {
    std::vector<int> seen(64 * chunks, 0);
    for (int r = 0; r < 64; r++)
      for (int c = 0; c < chunks; c++) {
        const int off = attn_smem_offset(r, c, chunks);
        ASSERT_EQ(off % 8, 0);
        ASSERT_EQ(off / 8 / chunks, r) << "chunk left its row";
        seen[off / 8]++;
      }
    for (int n : seen) ASSERT_EQ(n, 1);
    // One ldmatrix matrix: 8 consecutive rows (from a multiple of 8), one logical chunk. The 16-byte units
    // (offset / 8 elements) mod 8 are the bank groups; all 8 must differ.
    for (int r0 = 0; r0 < 64; r0 += 8)
      for (int c = 0; c < chunks; c++) {
        std::vector<int> groups;
        for (int r = r0; r < r0 + 8; r++) groups.push_back(attn_smem_offset(r, c, chunks) / 8 % 8);
        std::sort(groups.begin(), groups.end());
        ASSERT_TRUE(std::unique(groups.begin(), groups.end()) == groups.end()) << "bank conflict, chunk " << c;
      }
  }
}

// The forward kernel's warp-level products, on emulated hardware: S = Q·Kᵀ through the "A" and "B" ldmatrix
// patterns, then O = S·V with S's accumulators reused as A operands and V through the transposed "A" pattern.
// The dK/dV and dQ kernels use the same three patterns and the same reuse (mma_a_tile_t, mma_c_tile).
TEST(AttentionFragments, EmulatedLdmatrixAndMmaReproduceTheWarpProducts) {
  std::mt19937 rng(7);
  for (int hd : {32, 64}) {
    SmemTile Q(hd, &rng), K(hd, &rng), V(hd, &rng);
    const int chunks = hd / 8;
    for (int warp = 0; warp < 4; warp++) {
      // qa[kk] = A operand of k-step kk of rows warp·16..+15.
      std::vector<std::array<std::array<Pair, 4>, 32>> qa(hd / 16);
      for (int kk = 0; kk < hd / 16; kk++) {
        int addr[32];
        for (int l = 0; l < 32; l++)
          addr[l] = attn_smem_offset(warp * 16 + ldsm_a_row(l), 2 * kk + ldsm_a_chunk(l), chunks);
        Pair out[32][4];
        ldmatrix_x4(Q.stored, addr, false, out);
        for (int l = 0; l < 32; l++)
          for (int i = 0; i < 4; i++) qa[kk][l][i] = out[l][i];
      }
      double s[8][32][4] = {};  // 8 n-tiles of 16×8
      for (int kk = 0; kk < hd / 16; kk++)
        for (int np = 0; np < 4; np++) {
          int addr[32];
          for (int l = 0; l < 32; l++)
            addr[l] = attn_smem_offset(16 * np + ldsm_b_row(l), 2 * kk + ldsm_b_chunk(l), chunks);
          Pair bf[32][4], a[32][4], b0[32][2], b1[32][2];
          ldmatrix_x4(K.stored, addr, false, bf);
          for (int l = 0; l < 32; l++) {
            for (int i = 0; i < 4; i++) a[l][i] = qa[kk][l][i];
            b0[l][0] = bf[l][0], b0[l][1] = bf[l][1], b1[l][0] = bf[l][2], b1[l][1] = bf[l][3];
          }
          mma_16816(s[2 * np], a, b0);
          mma_16816(s[2 * np + 1], a, b1);
        }
      for (int n = 0; n < 8; n++)
        for (int l = 0; l < 32; l++)
          for (int i = 0; i < 4; i++) {
            const int row = warp * 16 + mma_c_row(l, i), col = 8 * n + mma_c_col(l, i);
            double want = 0;
            for (int c = 0; c < hd; c++) want += (double)Q.at(row, c) * K.at(col, c);
            ASSERT_NEAR(s[n][l][i], want, 1e-9) << "S hd " << hd << " row " << row << " col " << col;
          }
      // O = S·V: S as bf16 A operands (rounded as pack_bf16x2 does), V rows as k.
      double o[8][32][4] = {};
      for (int kk = 0; kk < 4; kk++) {
        Pair a[32][4];
        for (int l = 0; l < 32; l++)
          for (int r = 0; r < 4; r++) {
            const double* src = s[attn_a_from_c_tile(kk, r)][l] + attn_a_from_c_reg(r);
            a[l][r] = Pair(bf16_round((float)src[0]), bf16_round((float)src[1]));
          }
        for (int np = 0; np < hd / 16; np++) {
          int addr[32];
          for (int l = 0; l < 32; l++)
            addr[l] = attn_smem_offset(16 * kk + ldsm_a_row(l), 2 * np + ldsm_a_chunk(l), chunks);
          Pair bf[32][4], b0[32][2], b1[32][2];
          ldmatrix_x4(V.stored, addr, true, bf);
          for (int l = 0; l < 32; l++)
            b0[l][0] = bf[l][0], b0[l][1] = bf[l][1], b1[l][0] = bf[l][2], b1[l][1] = bf[l][3];
          mma_16816(o[2 * np], a, b0);
          mma_16816(o[2 * np + 1], a, b1);
        }
      }
      for (int n = 0; n < hd / 8; n++)
        for (int l = 0; l < 32; l++)
          for (int i = 0; i < 4; i++) {
            const int row = mma_c_row(l, i), col = 8 * n + mma_c_col(l, i);  // row within the warp's 16
            double want = 0;
            for (int j = 0; j < 64; j++) {
              // S[row][j] lives in n-tile j/8 at the lane and register whose (row, col) it is.
              const int lane = 4 * (row % 8) + (j % 8) / 2, reg = 2 * (row / 8) + j % 2;
              want += (double)bf16_round((float)s[j / 8][lane][reg]) * V.at(j, col);
            }
            ASSERT_NEAR(o[n][l][i], want, 1e-9) << "O hd " << hd << " row " << row << " col " << col;
          }
    }
  }
}

// ---- the kernels' tile loops, emulated -----------------------------------------------------------------------------

// Which columns of a tile thread `part` of a row's quad owns, in the order it adds their probabilities into its
// share of the row sum: the tensor-core kernels (64-row tiles) hold columns by the mma accumulator layout, the fp32
// kernels (32-row tiles) hold columns part, part + 4, ...
struct Tiling {
  int tile;
  bool bf16;  // also apply the bf16 kernels' rounding points (P and dS as mma operands, the outputs)
  std::vector<int> owned(int part) const {
    std::vector<int> cols;
    if (tile == 64) {
      for (int n = 0; n < 8; n++)
        for (int e = 0; e < 2; e++) cols.push_back(8 * n + mma_c_col(part, e));
    } else {
      for (int i = 0; i < tile / 4; i++) cols.push_back(part + 4 * i);
    }
    return cols;
  }
  float round(float x) const { return bf16 ? bf16_round(x) : x; }
};

struct Problem {
  AttentionShape s;
  std::vector<float> q, k, v, dout;  // (B·T, H·hd), (B·T, KV·hd) ×2, (B·T, H·hd)
  int group() const { return s.H / s.KV; }
  // Row t of head h of batch b (zeros for padding rows t ≥ T, as the kernels' tile loads give).
  const float* row(const std::vector<float>& x, int heads, int b, int t, int h, const std::vector<float>& zeros) const {
    return t < s.T ? x.data() + ((size_t)b * s.T + t) * heads * s.hd + (size_t)h * s.hd : zeros.data();
  }
};

Problem make_problem(AttentionShape s, uint64_t seed, bool round_bf16) {
  Problem p;
  s.scale = 1.0f / std::sqrt((float)s.hd);
  p.s = s;
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0, 1);
  auto fill = [&](std::vector<float>* x, size_t n, float std) {
    x->resize(n);
    for (float& e : *x) e = round_bf16 ? bf16_round(std * g(rng)) : std * g(rng);
  };
  const size_t nq = (size_t)s.B * s.T * s.H * s.hd, nk = (size_t)s.B * s.T * s.KV * s.hd;
  fill(&p.q, nq, 1.5f);  // scores with a spread like a trained model's (q_gain > 1)
  fill(&p.k, nk, 1.0f);
  fill(&p.v, nk, 1.0f);
  fill(&p.dout, nq, 1.0f);
  return p;
}

// The forward kernels' loop: block (b, h, query tile); per row an online softmax over key tiles [0, end).
void emulate_forward(const Tiling& tl, const Problem& P, std::vector<float>* out, std::vector<float>* lse) {
  const AttentionShape& s = P.s;
  const int T = s.T, hd = s.hd, tile = tl.tile, nt = attn_tiles(T, tile);
  const float c = s.scale * kAttnLog2e;
  const std::vector<float> zeros(hd, 0.0f);
  out->assign((size_t)s.B * T * s.H * hd, NAN);
  lse->assign((size_t)s.B * s.H * T, NAN);
  for (int b = 0; b < s.B; b++)
    for (int h = 0; h < s.H; h++)
      for (int qt = 0; qt < nt; qt++) {
        const int q0 = qt * tile;
        for (int row = q0; row < q0 + tile; row++) {
          const float* qr = P.row(P.q, s.H, b, row, h, zeros);
          float m = -INFINITY, l[4] = {0, 0, 0, 0};
          std::vector<float> o(hd, 0.0f), sc(tile), p(tile);
          for (int kt = 0; kt < attn_key_tiles_end(q0, tile, tile, T); kt++) {
            const int k0 = kt * tile;
            const bool mask = attn_tile_needs_mask(q0, tile, k0, tile, T);
            float mx = -INFINITY;
            for (int j = 0; j < tile; j++) {
              const bool vis = attn_visible(row, k0 + j, T);
              ASSERT_TRUE(mask || vis) << "unmasked tile with an invisible pair";
              sc[j] =
                  mask && !vis ? -INFINITY : attn_dot(0.0f, qr, P.row(P.k, s.KV, b, k0 + j, h / P.group(), zeros), hd);
              mx = std::max(mx, sc[j]);
            }
            float base;
            const float alpha = attn_softmax_advance(&m, mx, c, &base);
            for (int part = 0; part < 4; part++) {
              l[part] *= alpha;
              for (int j : tl.owned(part)) {
                p[j] = attn_prob(sc[j], c, base);
                l[part] += p[j];
              }
            }
            for (int d = 0; d < hd; d++) {
              o[d] *= alpha;
              for (int j = 0; j < tile; j++)
                o[d] += tl.round(p[j]) * P.row(P.v, s.KV, b, k0 + j, h / P.group(), zeros)[d];
            }
          }
          for (float x : o) ASSERT_FALSE(std::isnan(x)) << "row " << row << " of T " << T;
          if (row >= T) continue;  // padding: computed (without NaN) but never stored
          const float lt = attn_quad_sum(l[0], l[1], l[2], l[3]), inv = attn_row_norm(lt);
          for (int d = 0; d < hd; d++)
            (*out)[((size_t)b * T + row) * s.H * hd + (size_t)h * hd + d] = tl.round(o[d] * inv);
          (*lse)[((size_t)b * s.H + h) * T + row] = attn_lse_finish(m, lt);
        }
      }
}

// The backward kernels: D per row (chunks of 8, as attention.cu), dK/dV owned per (b, KV head, key tile) over the
// group's query heads and query tiles [begin, nt), dQ owned per (b, h, query tile) over key tiles [0, end). Every
// output row must be written exactly once.
void emulate_backward(const Tiling& tl, const Problem& P, const std::vector<float>& out, const std::vector<float>& lse,
                      std::vector<float>* dq, std::vector<float>* dk, std::vector<float>* dv) {
  const AttentionShape& s = P.s;
  const int T = s.T, hd = s.hd, tile = tl.tile, nt = attn_tiles(T, tile), G = P.group();
  const float c = s.scale * kAttnLog2e;
  const std::vector<float> zeros(hd, 0.0f);
  std::vector<float> D((size_t)s.B * s.H * T);
  for (int b = 0; b < s.B; b++)
    for (int t = 0; t < T; t++)
      for (int h = 0; h < s.H; h++) {
        const float* g = P.row(P.dout, s.H, b, t, h, zeros);
        const float* o = out.data() + ((size_t)b * T + t) * s.H * hd + (size_t)h * hd;
        float acc = 0.0f;
        for (int c8 = 0; c8 < hd; c8 += 8) acc = attn_dot(acc, g + c8, o + c8, 8);
        D[((size_t)b * s.H + h) * T + t] = acc;
      }
  auto stat = [&](const std::vector<float>& x, int b, int h, int t) {
    return t < T ? x[((size_t)b * s.H + h) * T + t] : 0.0f;
  };
  dk->assign((size_t)s.B * T * s.KV * hd, NAN);
  dv->assign(dk->size(), NAN);
  dq->assign((size_t)s.B * T * s.H * hd, NAN);
  std::vector<int> kv_writes((size_t)s.B * T * s.KV, 0), q_writes((size_t)s.B * T * s.H, 0);

  for (int b = 0; b < s.B; b++)
    for (int kh = 0; kh < s.KV; kh++)
      for (int kt = 0; kt < nt; kt++) {
        const int k0 = kt * tile;
        std::vector<float> dka((size_t)tile * hd, 0.0f), dva((size_t)tile * hd, 0.0f);
        for (int h = kh * G; h < (kh + 1) * G; h++)
          for (int qt = attn_query_tiles_begin(k0, tile); qt < nt; qt++) {
            const int q0 = qt * tile;
            const bool mask = attn_tile_needs_mask(q0, tile, k0, tile, T);
            for (int r = 0; r < tile; r++) {
              const int key = k0 + r;
              const float* kr = P.row(P.k, s.KV, b, key, kh, zeros);
              const float* vr = P.row(P.v, s.KV, b, key, kh, zeros);
              for (int query = q0; query < q0 + tile; query++) {
                const bool vis = attn_visible(query, key, T);
                ASSERT_TRUE(mask || vis);
                const float* qr = P.row(P.q, s.H, b, query, h, zeros);
                const float* gr = P.row(P.dout, s.H, b, query, h, zeros);
                const float p =
                    mask && !vis ? 0.0f : attn_prob_lse(attn_dot(0.0f, kr, qr, hd), c, stat(lse, b, h, query));
                const float ds = attn_dscore(p, attn_dot(0.0f, vr, gr, hd), stat(D, b, h, query));
                for (int d = 0; d < hd; d++) {
                  dva[(size_t)r * hd + d] += tl.round(p) * gr[d];
                  dka[(size_t)r * hd + d] += tl.round(ds) * qr[d];
                }
              }
            }
          }
        for (int r = 0; r < tile && k0 + r < T; r++) {
          kv_writes[((size_t)b * T + k0 + r) * s.KV + kh]++;
          for (int d = 0; d < hd; d++) {
            const size_t at = ((size_t)b * T + k0 + r) * s.KV * hd + (size_t)kh * hd + d;
            (*dk)[at] = tl.round(dka[(size_t)r * hd + d] * s.scale);
            (*dv)[at] = tl.round(dva[(size_t)r * hd + d]);
          }
        }
      }

  for (int b = 0; b < s.B; b++)
    for (int h = 0; h < s.H; h++)
      for (int qt = 0; qt < nt; qt++) {
        const int q0 = qt * tile;
        for (int row = q0; row < q0 + tile && row < T; row++) {
          const float* qr = P.row(P.q, s.H, b, row, h, zeros);
          const float* gr = P.row(P.dout, s.H, b, row, h, zeros);
          std::vector<float> acc(hd, 0.0f);
          for (int kt = 0; kt < attn_key_tiles_end(q0, tile, tile, T); kt++) {
            const int k0 = kt * tile;
            const bool mask = attn_tile_needs_mask(q0, tile, k0, tile, T);
            for (int key = k0; key < k0 + tile; key++) {
              const float* kr = P.row(P.k, s.KV, b, key, h / G, zeros);
              const float p = mask && !attn_visible(row, key, T)
                                  ? 0.0f
                                  : attn_prob_lse(attn_dot(0.0f, qr, kr, hd), c, stat(lse, b, h, row));
              const float ds =
                  attn_dscore(p, attn_dot(0.0f, gr, P.row(P.v, s.KV, b, key, h / G, zeros), hd), stat(D, b, h, row));
              for (int d = 0; d < hd; d++) acc[d] += tl.round(ds) * kr[d];
            }
          }
          q_writes[((size_t)b * T + row) * s.H + h]++;
          for (int d = 0; d < hd; d++)
            (*dq)[((size_t)b * T + row) * s.H * hd + (size_t)h * hd + d] = tl.round(acc[d] * s.scale);
        }
      }
  for (int n : kv_writes) ASSERT_EQ(n, 1) << "a dK/dV row not written exactly once";
  for (int n : q_writes) ASSERT_EQ(n, 1) << "a dQ row not written exactly once";
}

struct Reference {
  std::vector<float> out, lse, dq, dk, dv;
};

double sum_squares(const std::vector<float>& x) {
  double a = 0;
  for (float e : x) a += (double)e * e;
  return a;
}

// ‖got − want‖ / max(‖want‖, floor_rms·√n). dq and dk take a floor of a tenth of dv's rms: where they are zero in
// exact arithmetic (T = 1: one key, probability 1) both sides hold only rounding noise, and a plain relative error
// would compare noise with noise; elsewhere their rms is well above the floor (0.25-0.75 here against ~0.05).
double rel_error(const std::vector<float>& got, const std::vector<float>& want, double floor_rms = 0) {
  double num = 0;
  for (size_t i = 0; i < got.size(); i++) num += ((double)got[i] - want[i]) * ((double)got[i] - want[i]);
  const double den = std::max(std::sqrt(sum_squares(want)), floor_rms * std::sqrt((double)want.size()));
  return std::isfinite(num) ? std::sqrt(num) / std::max(den, 1e-30) : INFINITY;
}
double grad_floor(const Reference& R) { return 0.1 * std::sqrt(sum_squares(R.dv) / R.dv.size()); }

// train_cpu on the problem; the backward gets `out_for_backward` (the forward's output, rounded to bf16 when the
// kernels under test keep activations in bf16).
Reference cpu_reference(const Problem& P, bool round_out) {
  const AttentionShape& s = P.s;
  Reference R;
  std::vector<float> scratch(golf::train_cpu::attention_scratch_floats(s.T, omp_get_max_threads()));
  R.out.resize(P.q.size());
  R.lse.resize((size_t)s.B * s.H * s.T);
  golf::train_cpu::attention_forward(R.out.data(), R.lse.data(), P.q.data(), P.k.data(), P.v.data(), s, scratch.data());
  std::vector<float> out_b = R.out;
  if (round_out)
    for (float& x : out_b) x = bf16_round(x);
  R.dq.resize(P.q.size());
  R.dk.resize(P.k.size());
  R.dv.resize(P.k.size());
  golf::train_cpu::attention_backward(R.dq.data(), R.dk.data(), R.dv.data(), P.dout.data(), out_b.data(), P.q.data(),
                                      P.k.data(), P.v.data(), R.lse.data(), s, scratch.data());
  return R;
}

std::vector<AttentionShape> shapes() {
  // B, T, H, KV, hd: single token, partial tiles on both tilings, exact tiles, GQA 1, 2, 4, both head dims.
  return {{1, 1, 8, 4, 64},  {2, 63, 8, 4, 64},  {1, 64, 8, 8, 64}, {2, 150, 4, 1, 64},
          {1, 65, 4, 2, 32}, {1, 200, 2, 1, 32}, {3, 33, 2, 2, 32}};
}

std::string name(const AttentionShape& s) {
  return "B" + std::to_string(s.B) + " T" + std::to_string(s.T) + " H" + std::to_string(s.H) + " KV" +
         std::to_string(s.KV) + " hd" + std::to_string(s.hd);
}

TEST(AttentionEmulation, Fp32TileLoopsMatchTheCpuTwin) {
  for (const AttentionShape& shape : shapes())
    for (int tile : {32, 64}) {
      const Problem P = make_problem(shape, 11, false);
      const Reference R = cpu_reference(P, false);
      const Tiling tl{tile, false};
      std::vector<float> out, lse, dq, dk, dv;
      emulate_forward(tl, P, &out, &lse);
      emulate_backward(tl, P, R.out, R.lse, &dq, &dk, &dv);
      const std::string what = name(P.s) + " tile " + std::to_string(tile);
      EXPECT_LE(rel_error(out, R.out), 1e-5) << what;
      EXPECT_LE(rel_error(lse, R.lse), 1e-5) << what;
      EXPECT_LE(rel_error(dq, R.dq, grad_floor(R)), 1e-5) << what;
      EXPECT_LE(rel_error(dk, R.dk, grad_floor(R)), 1e-5) << what;
      EXPECT_LE(rel_error(dv, R.dv), 1e-5) << what;
    }
}

// The bf16 kernels round P and dS to bf16 as mma operands, and their outputs; the GPU self-test compares them with
// the fp32 CPU twin run on the same bf16-rounded inputs. Their rounding alone must stay inside the budget, with
// room for the mma's own accumulation order.
TEST(AttentionEmulation, Bf16RoundingPointsStayInsideTheSelfTestBudget) {
  for (const AttentionShape& shape : shapes()) {
    const Problem P = make_problem(shape, 12, true);
    const Reference R = cpu_reference(P, true);
    const Tiling tl{64, true};
    std::vector<float> out, lse, dq, dk, dv, out_b = R.out;
    for (float& x : out_b) x = bf16_round(x);
    emulate_forward(tl, P, &out, &lse);
    emulate_backward(tl, P, out_b, R.lse, &dq, &dk, &dv);
    const double e[5] = {rel_error(out, R.out), rel_error(lse, R.lse), rel_error(dq, R.dq, grad_floor(R)),
                         rel_error(dk, R.dk, grad_floor(R)), rel_error(dv, R.dv)};
    std::printf("bf16 emulation %-24s out %.2e lse %.2e dq %.2e dk %.2e dv %.2e\n", name(P.s).c_str(), e[0], e[1], e[2],
                e[3], e[4]);
    EXPECT_LE(e[0], kAttnBf16Budget.out / 2) << name(P.s);
    EXPECT_LE(e[1], kAttnBf16Budget.lse / 2) << name(P.s);
    EXPECT_LE(e[2], kAttnBf16Budget.grad / 2) << name(P.s);
    EXPECT_LE(e[3], kAttnBf16Budget.grad / 2) << name(P.s);
    EXPECT_LE(e[4], kAttnBf16Budget.grad / 2) << name(P.s);
  }
}

}  // namespace
