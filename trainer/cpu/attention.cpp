// attention.cpp: blocked causal GQA attention; sgemm (single-threaded, inside an OpenMP loop over batch × heads)
// for the score and value products, hand-written masked softmax.
#include "attention.h"

#include <omp.h>

#include <cmath>
#include <cstring>

#include "model/fast_math.h"  // the runtime's: exp_nonpositive
#include "matmul.h"     // defines: gemm

namespace golf::train_cpu {

size_t attention_scratch_floats(int T_max, int threads) {
  return (size_t)threads * 2 * kAttnBlock * (size_t)T_max;  // per thread: scores/probs and their gradient
}

// Row t of a block: scores s[0..t] → probabilities (0 beyond t); returns logsumexp.
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
static float softmax_causal_row(float* s, int valid, int ncols) {
  float m = s[0];
  for (int j = 1; j < valid; j++) m = s[j] > m ? s[j] : m;
  float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
  for (int j = 0; j < valid; j++) {
    float e = exp_nonpositive(s[j] - m);
    s[j] = e;
    sum += e;
  }
  float inv = 1.0f / sum;
#pragma omp simd
  for (int j = 0; j < valid; j++) s[j] *= inv;
  for (int j = valid; j < ncols; j++) s[j] = 0.0f;
  return m + std::log(sum);
}

// Backward row: p from recomputed scores and lse, then ds = p·(dp − D) in place of dp.
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
static void softmax_causal_grad_row(float* s, float* dp, int valid, int ncols, float lse, float D) {
#pragma omp simd
  for (int j = 0; j < valid; j++) {
    float p = exp_nonpositive(s[j] - lse);
    s[j] = p;
    dp[j] = p * (dp[j] - D);
  }
  for (int j = valid; j < ncols; j++) {
    s[j] = 0.0f;
    dp[j] = 0.0f;
  }
}

void attention_forward(float* out, float* lse, const float* q, const float* k, const float* v, const AttentionShape& s,
                       float* scratch) {
  const int T = s.T, hd = s.hd, group = s.H / s.KV;
  const int ldq = s.H * hd, ldk = s.KV * hd;
#pragma omp parallel for schedule(dynamic, 1)
  for (int item = 0; item < s.B * s.H; item++) {
    const int b = item / s.H, h = item % s.H, kh = h / group;
    float* S = scratch + (size_t)omp_get_thread_num() * 2 * kAttnBlock * T;  // (kAttnBlock, T)
    const float* Q = q + (size_t)b * T * ldq + h * hd;    // (T, hd), stride ldq
    const float* K = k + (size_t)b * T * ldk + kh * hd;   // (T, hd), stride ldk
    const float* V = v + (size_t)b * T * ldk + kh * hd;   // (T, hd), stride ldk
    float* O = out + (size_t)b * T * ldq + h * hd;        // (T, hd), stride ldq
    float* L = lse + ((size_t)b * s.H + h) * T;           // (T)
    for (int r0 = 0; r0 < T; r0 += kAttnBlock) {
      const int r1 = r0 + kAttnBlock < T ? r0 + kAttnBlock : T, rb = r1 - r0, nc = r1;
      // S (rb, nc) = scale · Q[r0:r1] K[0:nc]ᵀ
      gemm(false, true, rb, nc, hd, s.scale, Q + (size_t)r0 * ldq, ldq, K, ldk, 0.0f, S, nc, false);
      for (int i = 0; i < rb; i++) L[r0 + i] = softmax_causal_row(S + (size_t)i * nc, r0 + i + 1, nc);
      // O[r0:r1] (rb, hd) = P (rb, nc) V[0:nc]
      gemm(false, false, rb, hd, nc, 1.0f, S, nc, V, ldk, 0.0f, O + (size_t)r0 * ldq, ldq, false);
    }
  }
}

void attention_backward(float* dq, float* dk, float* dv, const float* dout, const float* out, const float* q,
                        const float* k, const float* v, const float* lse, const AttentionShape& s, float* scratch) {
  const int T = s.T, hd = s.hd, group = s.H / s.KV;
  const int ldq = s.H * hd, ldk = s.KV * hd;
  // One item per (batch, KV head): the `group` query heads sharing a KV head accumulate into the same dK/dV, so
  // they stay on one thread and no two threads touch the same dK/dV rows.
#pragma omp parallel for schedule(dynamic, 1)
  for (int item = 0; item < s.B * s.KV; item++) {
    const int b = item / s.KV, kh = item % s.KV;
    float* P = scratch + (size_t)omp_get_thread_num() * 2 * kAttnBlock * T;  // (kAttnBlock, T)
    float* dP = P + (size_t)kAttnBlock * T;                                    // (kAttnBlock, T)
    const float* K = k + (size_t)b * T * ldk + kh * hd;  // (T, hd), stride ldk
    const float* V = v + (size_t)b * T * ldk + kh * hd;
    float* dK = dk + (size_t)b * T * ldk + kh * hd;
    float* dV = dv + (size_t)b * T * ldk + kh * hd;
    for (int t = 0; t < T; t++) {
      std::memset(dK + (size_t)t * ldk, 0, hd * sizeof(float));
      std::memset(dV + (size_t)t * ldk, 0, hd * sizeof(float));
    }
    for (int h = kh * group; h < (kh + 1) * group; h++) {
      const float* Q = q + (size_t)b * T * ldq + h * hd;
      const float* O = out + (size_t)b * T * ldq + h * hd;
      const float* dO = dout + (size_t)b * T * ldq + h * hd;
      float* dQ = dq + (size_t)b * T * ldq + h * hd;
      const float* L = lse + ((size_t)b * s.H + h) * T;
      for (int r0 = 0; r0 < T; r0 += kAttnBlock) {
        const int r1 = r0 + kAttnBlock < T ? r0 + kAttnBlock : T, rb = r1 - r0, nc = r1;
        gemm(false, true, rb, nc, hd, s.scale, Q + (size_t)r0 * ldq, ldq, K, ldk, 0.0f, P, nc, false);
        // dP (rb, nc) = dO[r0:r1] V[0:nc]ᵀ
        gemm(false, true, rb, nc, hd, 1.0f, dO + (size_t)r0 * ldq, ldq, V, ldk, 0.0f, dP, nc, false);
        for (int i = 0; i < rb; i++) {
          const float* o = O + (size_t)(r0 + i) * ldq;
          const float* g = dO + (size_t)(r0 + i) * ldq;
          float D = 0.0f;  // D = Σ dO·O = Σ_j p_j·dp_j, the softmax backward's row term
          for (int c = 0; c < hd; c++) D += g[c] * o[c];
          softmax_causal_grad_row(P + (size_t)i * nc, dP + (size_t)i * nc, r0 + i + 1, nc, L[r0 + i], D);
        }
        // dV[0:nc] += Pᵀ dO[r0:r1]; dQ[r0:r1] = scale · dS K[0:nc]; dK[0:nc] += scale · dSᵀ Q[r0:r1]
        gemm(true, false, nc, hd, rb, 1.0f, P, nc, dO + (size_t)r0 * ldq, ldq, 1.0f, dV, ldk, false);
        gemm(false, false, rb, hd, nc, s.scale, dP, nc, K, ldk, 0.0f, dQ + (size_t)r0 * ldq, ldq, false);
        gemm(true, false, nc, hd, rb, s.scale, dP, nc, Q + (size_t)r0 * ldq, ldq, 1.0f, dK, ldk, false);
      }
    }
  }
}

}  // namespace golf::train_cpu
