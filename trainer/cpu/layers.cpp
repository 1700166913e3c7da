// layers.cpp: embedding, RMSNorm, RoPE, q gain, residual mixing, scaled residuals, relu², softcapped cross-entropy.
#include "layers.h"

#include <cmath>
#include <cstring>

#include "model/fast_math.h"  // the runtime's: exp_nonpositive

namespace golf::train_cpu {

// Column-blocked loops use blocks of this many floats (one 64-byte line per 16): big enough for streaming rows,
// small enough that d = 256 still gives every thread of a small pool some blocks.
static constexpr int kColBlock = 32;

// ---- token embedding --------------------------------------------------------------------------------------------

void encoder_forward(float* out, const int32_t* ids, const float* tok_emb, int N, int d) {
#pragma omp parallel for schedule(static)
  for (int n = 0; n < N; n++) std::memcpy(out + (size_t)n * d, tok_emb + (size_t)ids[n] * d, d * sizeof(float));
}

void encoder_backward(float* dtok_emb, const float* dout, const int32_t* ids, int N, int d) {
  // Parallel over column blocks: two tokens with the same id never race, and the sum order is fixed.
  int nblocks = (d + kColBlock - 1) / kColBlock;
#pragma omp parallel for schedule(static)
  for (int cb = 0; cb < nblocks; cb++) {
    int c0 = cb * kColBlock, c1 = c0 + kColBlock < d ? c0 + kColBlock : d;
    for (int n = 0; n < N; n++) {
      float* dst = dtok_emb + (size_t)ids[n] * d;
      const float* src = dout + (size_t)n * d;
      for (int c = c0; c < c1; c++) dst[c] += src[c];
    }
  }
}

// ---- RMSNorm ------------------------------------------------------------------------------------------------------

void rms_norm_forward(float* out, float* rstd, const float* in, int rows, int cols, float eps) {
#pragma omp parallel for schedule(static)
  for (int r = 0; r < rows; r++) {
    const float* x = in + (size_t)r * cols;
    float* y = out + (size_t)r * cols;
    double ss = 0;  // double: the sum of squares is the only long reduction here, and it is cheap
    for (int c = 0; c < cols; c++) ss += (double)x[c] * x[c];
    float s = 1.0f / std::sqrt((float)(ss / cols) + eps);
    rstd[r] = s;
    for (int c = 0; c < cols; c++) y[c] = x[c] * s;
  }
}

void rms_norm_backward(float* din, const float* dout, const float* y, const float* rstd, int rows, int cols,
                       bool accumulate) {
  // y = x·s with s = (mean(x²)+eps)^(-1/2): dx_j = s·(dy_j − y_j·Σ_i dy_i·y_i / cols).
#pragma omp parallel for schedule(static)
  for (int r = 0; r < rows; r++) {
    const float* dy = dout + (size_t)r * cols;
    const float* yr = y + (size_t)r * cols;
    float* dx = din + (size_t)r * cols;
    double dot = 0;
    for (int c = 0; c < cols; c++) dot += (double)dy[c] * yr[c];
    float m = (float)(dot / cols), s = rstd[r];
    if (accumulate)
      for (int c = 0; c < cols; c++) dx[c] += s * (dy[c] - yr[c] * m);
    else
      for (int c = 0; c < cols; c++) dx[c] = s * (dy[c] - yr[c] * m);
  }
}

// ---- RoPE ---------------------------------------------------------------------------------------------------------

// sign +1: forward rotation; −1: its transpose (backward).
static void rope_apply(float* out, const float* in, const float* cos_t, const float* sin_t, int N, int T, int heads,
                       int hd, int rd, float sign) {
  int half = rd / 2;
#pragma omp parallel for schedule(static)
  for (int n = 0; n < N; n++) {
    const float* c = cos_t + (size_t)(n % T) * half;
    const float* s = sin_t + (size_t)(n % T) * half;
    for (int h = 0; h < heads; h++) {
      const float* x = in + ((size_t)n * heads + h) * hd;
      float* y = out + ((size_t)n * heads + h) * hd;
      for (int i = 0; i < half; i++) {
        float x1 = x[i], x2 = x[i + half], si = sign * s[i];
        y[i] = x1 * c[i] + x2 * si;
        y[i + half] = -x1 * si + x2 * c[i];
      }
      if (y != x)
        for (int i = rd; i < hd; i++) y[i] = x[i];
    }
  }
}

void rope_forward(float* out, const float* in, const float* cos_t, const float* sin_t, int N, int T, int heads, int hd,
                  int rd) {
  rope_apply(out, in, cos_t, sin_t, N, T, heads, hd, rd, 1.0f);
}

void rope_backward(float* din, const float* dout, const float* cos_t, const float* sin_t, int N, int T, int heads,
                   int hd, int rd) {
  rope_apply(din, dout, cos_t, sin_t, N, T, heads, hd, rd, -1.0f);
}

// ---- q gain -------------------------------------------------------------------------------------------------------

void head_gain_forward(float* out, const float* in, const float* gain, int N, int heads, int hd) {
#pragma omp parallel for schedule(static)
  for (int n = 0; n < N; n++)
    for (int h = 0; h < heads; h++) {
      size_t o = ((size_t)n * heads + h) * hd;
      for (int i = 0; i < hd; i++) out[o + i] = in[o + i] * gain[h];
    }
}

void head_gain_backward(float* din, float* dgain, const float* dout, const float* in, const float* gain, int N,
                        int heads, int hd) {
  // dgain[h]: parallel over heads, each summing its hd columns over all rows in a fixed order.
#pragma omp parallel for schedule(static)
  for (int h = 0; h < heads; h++) {
    double s = 0;
    for (int n = 0; n < N; n++) {
      size_t o = ((size_t)n * heads + h) * hd;
      for (int i = 0; i < hd; i++) s += (double)dout[o + i] * in[o + i];
    }
    dgain[h] += (float)s;
  }
  head_gain_forward(din, dout, gain, N, heads, hd);
}

// ---- residual mixing ---------------------------------------------------------------------------------------------

void resid_mix_forward(float* out, const float* x, const float* x0, const float* mix, int N, int d) {
#pragma omp parallel for schedule(static)
  for (int n = 0; n < N; n++) {
    size_t o = (size_t)n * d;
    for (int c = 0; c < d; c++) out[o + c] = mix[c] * x[o + c] + mix[d + c] * x0[o + c];
  }
}

void resid_mix_backward(float* dx, float* dx0, float* dmix, const float* dout, const float* x, const float* x0,
                        const float* mix, int N, int d) {
  colsum_mul_add(dmix, dout, x, N, d);
  colsum_mul_add(dmix + d, dout, x0, N, d);
#pragma omp parallel for schedule(static)
  for (int n = 0; n < N; n++) {
    size_t o = (size_t)n * d;
    for (int c = 0; c < d; c++) {
      float g = dout[o + c];
      dx0[o + c] += g * mix[d + c];
      dx[o + c] = g * mix[c];
    }
  }
}

// ---- scaled residual branch --------------------------------------------------------------------------------------

void scaled_add_forward(float* out, const float* x, const float* scale, const float* y, int N, int d) {
#pragma omp parallel for schedule(static)
  for (int n = 0; n < N; n++) {
    size_t o = (size_t)n * d;
    for (int c = 0; c < d; c++) out[o + c] = x[o + c] + scale[c] * y[o + c];
  }
}

void scaled_add_backward(float* dy, float* dscale, const float* dout, const float* y, const float* scale, int N, int d,
                         bool accumulate_dy) {
  colsum_mul_add(dscale, dout, y, N, d);
#pragma omp parallel for schedule(static)
  for (int n = 0; n < N; n++) {
    size_t o = (size_t)n * d;
    if (accumulate_dy)
      for (int c = 0; c < d; c++) dy[o + c] += dout[o + c] * scale[c];
    else
      for (int c = 0; c < d; c++) dy[o + c] = dout[o + c] * scale[c];
  }
}

// ---- activation ---------------------------------------------------------------------------------------------------

void activation_forward(float* out, const float* in, size_t n, float slope) {
#pragma omp parallel for simd schedule(static)
  for (size_t i = 0; i < n; i++) {
    float a = in[i] > 0.0f ? in[i] : slope * in[i];
    out[i] = a * a;
  }
}

void activation_backward(float* din, const float* dout, const float* in, size_t n, float slope) {
  // d/dx a(x)² = 2·a(x)·a'(x): 2x for x > 0, 2·slope²·x otherwise (0 for relu²).
  float neg = 2.0f * slope * slope;
#pragma omp parallel for simd schedule(static)
  for (size_t i = 0; i < n; i++) din[i] = dout[i] * (in[i] > 0.0f ? 2.0f * in[i] : neg * in[i]);
}

// ---- softcapped cross-entropy --------------------------------------------------------------------------------------

// One row: caps in place, returns logsumexp. Cloned per ISA so the exp/sum loop runs 16 wide where AVX-512 exists.
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
static float softcap_lse_row(float* z, int V, float cap) {
  if (cap > 0.0f) {
    float inv = 1.0f / cap;
    for (int v = 0; v < V; v++) z[v] = cap * std::tanh(z[v] * inv);
  }
  float m = z[0];
  for (int v = 1; v < V; v++) m = z[v] > m ? z[v] : m;
  float s = 0.0f;
#pragma omp simd reduction(+ : s)
  for (int v = 0; v < V; v++) s += exp_nonpositive(z[v] - m);
  return m + std::log(s);
}

__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
static void softcap_grad_row(float* z, int V, float lse, float cap, float dloss) {
  if (cap > 0.0f) {
    float inv = 1.0f / cap;
#pragma omp simd
    for (int v = 0; v < V; v++) {
      float u = z[v] * inv;
      z[v] = exp_nonpositive(z[v] - lse) * dloss * (1.0f - u * u);
    }
  } else {
#pragma omp simd
    for (int v = 0; v < V; v++) z[v] = exp_nonpositive(z[v] - lse) * dloss;
  }
}

void softcap_cross_entropy_forward(float* logits, float* lse, float* nll, double* loss, const int32_t* targets, int N,
                                   int V, float cap) {
#pragma omp parallel for schedule(static)
  for (int n = 0; n < N; n++) lse[n] = softcap_lse_row(logits + (size_t)n * V, V, cap);
  if (!targets) return;
  double sum = 0;
  for (int n = 0; n < N; n++) {
    float l = lse[n] - logits[(size_t)n * V + targets[n]];
    if (nll) nll[n] = l;
    sum += l;
  }
  if (loss) *loss = sum / N;
}

void softcap_cross_entropy_backward(float* logits, const float* lse, const int32_t* targets, int N, int V, float cap,
                                    float dloss) {
#pragma omp parallel for schedule(static)
  for (int n = 0; n < N; n++) {
    float* z = logits + (size_t)n * V;
    int t = targets[n];
    float zt = z[t];
    softcap_grad_row(z, V, lse[n], cap, dloss);
    // The one-hot term: −dloss·(1 − (z_t/cap)²) at the target.
    float u = cap > 0.0f ? zt / cap : 0.0f;
    z[t] -= dloss * (1.0f - u * u);
  }
}

// ---- helpers --------------------------------------------------------------------------------------------------------

void colsum_mul_add(float* acc, const float* a, const float* b, int rows, int cols) {
  int nblocks = (cols + kColBlock - 1) / kColBlock;
#pragma omp parallel for schedule(static)
  for (int cb = 0; cb < nblocks; cb++) {
    int c0 = cb * kColBlock, c1 = c0 + kColBlock < cols ? c0 + kColBlock : cols;
    double s[kColBlock] = {0};
    for (int r = 0; r < rows; r++) {
      const float* ar = a + (size_t)r * cols;
      const float* br = b + (size_t)r * cols;
      for (int c = c0; c < c1; c++) s[c - c0] += (double)ar[c] * br[c];
    }
    for (int c = c0; c < c1; c++) acc[c] += (float)s[c - c0];
  }
}

}  // namespace golf::train_cpu
