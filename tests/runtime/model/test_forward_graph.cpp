// test_forward_graph.cpp: the CUDA session's forward pass (runtime/cuda/forward_graph.h), run here with the CPU
// twins of its kernels (trainer/cpu: every CUDA op of the graph is checked against these twins by the GPU
// self-test's ops parts), equals the CPU runtime's Session in fp32 on quantized tiny models: the order and wiring of
// the GPU pass (skips, resid_mix, QK-norm + RoPE + gain, attention scale, head, softcap) checked without a GPU.
// The weights come from the file as the CUDA session takes them: format's dequantizer, whose device twin
// (format/cuda) tests/format/test_cuda_ref checks.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <map>
#include <random>
#include <memory>
#include <string>
#include <vector>

#include "cpu/attention.h"  // defines: train_cpu::attention_forward
#include "cpu/layers.h"     // defines: train_cpu::rms_norm_forward, ...
#include "cpu/matmul.h"     // defines: train_cpu::linear_forward, threads_init
#include "attention_past_math.h"  // defines: attention_past_row_lanes (runtime/cuda)
#include "forward_graph.h"  // defines: forward_graph (runtime/cuda)
#include "model.h"
#include "quant.h"          // defines: dequantize
#include "rope_table.h"     // defines: rope_tables_fill
#include "row_ops.h"        // defines: softcap_row
#include "session.h"
#include "tiny_model.h"

namespace {
using namespace golf;
using golf::runtime_cuda::GraphAttention;

// The graph's ops on the CPU twins of the CUDA kernels (the fused QK-norm kernel's twin is the composition
// rms_norm → rope → head_gain, as trainer/cuda/qk_norm_rope.h states).
struct CpuOps {
  std::vector<float> scratch, lse, tmp;
  Status encoder(float* out, const int32_t* ids, const float* emb, int N, int d) {
    train_cpu::encoder_forward(out, ids, emb, N, d);
    return Status::Ok();
  }
  Status rms_norm(float* out, float* rstd, const float* in, int rows, int cols, float eps) {
    train_cpu::rms_norm_forward(out, rstd, in, rows, cols, eps);
    return Status::Ok();
  }
  Status copy(float* dst, const float* src, size_t n) {
    std::memcpy(dst, src, n * sizeof(float));
    return Status::Ok();
  }
  Status scaled_add(float* out, const float* x, const float* scale, const float* y, int N, int d) {
    train_cpu::scaled_add_forward(out, x, scale, y, N, d);
    return Status::Ok();
  }
  Status resid_mix(float* out, const float* x, const float* x0, const float* mix, int N, int d) {
    train_cpu::resid_mix_forward(out, x, x0, mix, N, d);
    return Status::Ok();
  }
  Status linear(float* out, const float* in, const float* w, int N, int in_dim, int out_dim) {
    train_cpu::linear_forward(out, in, w, N, in_dim, out_dim);
    return Status::Ok();
  }
  Status rope(float* out, const float* in, const float* cos_t, const float* sin_t, int N, int T, int heads, int hd,
              int rd) {
    tmp.assign(in, in + (size_t)N * heads * hd);
    train_cpu::rope_forward(out, tmp.data(), cos_t, sin_t, N, T, heads, hd, rd);
    return Status::Ok();
  }
  Status head_gain(float* out, const float* in, const float* gain, int N, int heads, int hd) {
    train_cpu::head_gain_forward(out, in, gain, N, heads, hd);
    return Status::Ok();
  }
  Status qk_norm_rope(float* out, float* y, float* rstd, const float* in, const float* gain, const float* cos_t,
                      const float* sin_t, int N, int T, int heads, int hd, int rd, float eps) {
    train_cpu::rms_norm_forward(y, rstd, in, N * heads, hd, eps);
    train_cpu::rope_forward(out, y, cos_t, sin_t, N, T, heads, hd, rd);
    if (gain != nullptr) train_cpu::head_gain_forward(out, out, gain, N, heads, hd);
    return Status::Ok();
  }
  Status attention(float* out, const float* q, const float* k, const float* v, const GraphAttention& s) {
    const train_cpu::AttentionShape shape{s.B, s.T, s.H, s.KV, s.hd, s.scale};
    scratch.resize(train_cpu::attention_scratch_floats(s.T, 1));
    lse.resize((size_t)s.B * s.H * s.T);
    train_cpu::attention_forward(out, lse.data(), q, k, v, shape, scratch.data());
    return Status::Ok();
  }
  // The reference for cached decoding: query row i (position past + i) over cached keys 0 .. past + i, the softmax
  // in double (no CPU trainer twin exists: attention over a cache is inference only).
  Status attention_past(float* out, const float* q, const float* k, const float* v, int past,
                        const GraphAttention& s) {
    const int group = s.H / s.KV, qd = s.H * s.hd, kd = s.KV * s.hd;
    std::vector<double> p;
    for (int i = 0; i < s.T; i++)
      for (int h = 0; h < s.H; h++) {
        const int g = h / group, n_keys = past + i + 1;
        const float* qi = q + (size_t)i * qd + (size_t)h * s.hd;
        p.assign((size_t)n_keys, 0.0);
        double mx = -1e300, sum = 0;
        for (int j = 0; j < n_keys; j++) {
          double dot = 0;
          for (int e = 0; e < s.hd; e++) dot += (double)qi[e] * k[(size_t)j * kd + (size_t)g * s.hd + e];
          p[j] = dot * s.scale;
          mx = std::max(mx, p[j]);
        }
        for (int j = 0; j < n_keys; j++) sum += (p[j] = std::exp(p[j] - mx));
        for (int e = 0; e < s.hd; e++) {
          double acc = 0;
          for (int j = 0; j < n_keys; j++) acc += p[j] * v[(size_t)j * kd + (size_t)g * s.hd + e];
          out[(size_t)i * qd + (size_t)h * s.hd + e] = (float)(acc / sum);
        }
      }
    return Status::Ok();
  }
  Status activation(float* out, const float* in, size_t n, float slope) {
    train_cpu::activation_forward(out, in, n, slope);
    return Status::Ok();
  }
  Status softcap(float* out, const float* in, size_t n, float cap) {
    std::memcpy(out, in, n * sizeof(float));
    if (cap > 0) golf::softcap_row(out, (int)n, cap);
    return Status::Ok();
  }
};

// A tensor of the file in fp32, as the CUDA session uploads it.
const float* f32_of(const GolfFile& file, const std::string& name, std::map<std::string, std::vector<float>>* store) {
  const TensorInfo* t = file.find_tensor(name);
  EXPECT_NE(t, nullptr) << name;
  std::vector<float>& v = (*store)[name];
  v.resize(t->layout.count);
  EXPECT_TRUE(dequantize(t->dtype, t->layout, t->group_size, t->raw, v.data()).ok()) << name;
  return v.data();
}

void check_graph(const std::string& weights, bool tied, bool qk_norm) {
  golf_test::TinyModelSpec spec;
  spec.config = golf_test::tiny_config();
  spec.config.tie_embeddings = tied;
  spec.config.qk_norm = qk_norm;
  spec.config.num_layers = 4;
  spec.config.num_encoder_layers = 2;  // two skips
  spec.weights = weights;
  char path[] = "/tmp/golf_forward_graph_XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  ASSERT_TRUE(golf_test::write_tiny_model(spec, path).ok());
  ModelOptions mo;
  mo.compute = ComputeMode::f32;
  std::unique_ptr<Model> model;
  ASSERT_TRUE(Model::load_file(path, mo, &model).ok());
  std::remove(path);
  const ModelConfig& c = model->config();
  const GolfFile& file = model->file();

  std::map<std::string, std::vector<float>> store;
  runtime_cuda::GraphWeights<float> w;
  w.tok_emb = f32_of(file, "tok_emb.weight", &store);
  w.head = tied ? w.tok_emb : f32_of(file, "lm_head.weight", &store);
  w.skip_weights = c.num_skips() > 0 ? f32_of(file, "skip_weights", &store) : nullptr;
  for (int i = 0; i < c.num_layers; i++) {
    const std::string p = "blocks." + std::to_string(i) + ".";
    w.blocks.push_back({f32_of(file, p + "attn.c_q.weight", &store), f32_of(file, p + "attn.c_k.weight", &store),
                        f32_of(file, p + "attn.c_v.weight", &store), f32_of(file, p + "attn.proj.weight", &store),
                        f32_of(file, p + "mlp.fc.weight", &store), f32_of(file, p + "mlp.proj.weight", &store),
                        f32_of(file, p + "attn.q_gain", &store), f32_of(file, p + "attn_scale", &store),
                        f32_of(file, p + "mlp_scale", &store), f32_of(file, p + "resid_mix", &store)});
  }

  const int B = 3, T = 40, N = B * T, d = c.model_dim, V = c.vocab_size, half = c.rope_dims / 2;
  std::vector<int32_t> ids((size_t)N);
  for (int i = 0; i < N; i++) ids[i] = (int32_t)((i * 37 + 11) % V);
  std::vector<float> x(N * d), x0(N * d), xn(N * d), q(N * d), k(N * c.kv_dim()), v(N * c.kv_dim()), y(N * d),
      attn(N * d), hidden((size_t)N * c.mlp_hidden), sub(N * d), skips((size_t)std::max(1, c.num_skips()) * N * d),
      head_out((size_t)N * V), logits((size_t)N * V), rstd((size_t)N * c.num_heads), cs(T * half), sn(T * half);
  rope_tables_fill(cs.data(), sn.data(), T, c.rope_dims, c.rope_base);
  runtime_cuda::GraphBuffers<float> buf{x.data(),    x0.data(),       xn.data(),     q.data(),      k.data(),
                                        v.data(),    y.data(),        attn.data(),   hidden.data(), sub.data(),
                                        skips.data(), head_out.data(), logits.data(), rstd.data(),   ids.data(),
                                        cs.data(),   sn.data()};
  CpuOps ops;
  ASSERT_TRUE(runtime_cuda::forward_graph<float>(ops, c, w, buf, B, T).ok());

  SessionOptions so;
  so.n_threads = 1;
  so.n_ctx = T;  // >= the 16 positions of the cached-decoding check below
  std::unique_ptr<Session> session;
  ASSERT_TRUE(Session::create(*model, so, &session).ok());
  std::vector<float> want((size_t)N * V);
  ASSERT_TRUE(session->forward_sequences(ids.data(), B, T, want.data(), V).ok());
  double err = 0, ref = 0;
  for (size_t i = 0; i < want.size(); i++) {
    err += ((double)logits[i] - want[i]) * ((double)logits[i] - want[i]);
    ref += (double)want[i] * want[i];
  }
  EXPECT_LT(std::sqrt(err / ref), 1e-5) << weights << (tied ? " tied" : " untied") << (qk_norm ? "" : " no qk-norm");
  // A wiring mistake moves logits by O(1); fp32 summation order by ~1e-6.
  std::printf("%s %s%s: relative error of the logits %.3g\n", weights.c_str(), tied ? "tied" : "untied",
              qk_norm ? "" : " no-qk-norm", std::sqrt(err / ref));

  // Cached decoding (the CUDA session's generation path): a 10-token prompt, then 6 tokens one at a time, each
  // step's logits against the Session's decode (its own KV cache) at the same positions.
  const int n_ctx = 32, kvd = c.kv_dim();
  std::vector<float> kc((size_t)c.num_layers * n_ctx * kvd), vc(kc.size()), cs2(n_ctx * half), sn2(n_ctx * half);
  rope_tables_fill(cs2.data(), sn2.data(), n_ctx, c.rope_dims, c.rope_base);
  buf.cos_t = cs2.data();
  buf.sin_t = sn2.data();
  runtime_cuda::GraphCache<float> cache{kc.data(), vc.data(), n_ctx, 0};
  session->reset();
  std::vector<float> step_want((size_t)10 * V);
  double worst = 0;
  for (int step = 0, past = 0; step < 7; step++) {
    const int M = step == 0 ? 10 : 1;
    buf.ids = ids.data() + past;
    cache.past = past;
    ASSERT_TRUE(runtime_cuda::forward_graph<float>(ops, c, w, buf, 1, M, &cache).ok());
    ASSERT_TRUE(session->decode(ids.data() + past, M, step_want.data(), true).ok());
    double e2 = 0, r2 = 0;
    for (size_t i = 0; i < (size_t)M * V; i++) {
      e2 += ((double)logits[i] - step_want[i]) * ((double)logits[i] - step_want[i]);
      r2 += (double)step_want[i] * step_want[i];
    }
    worst = std::max(worst, std::sqrt(e2 / r2));
    past += M;
  }
  EXPECT_LT(worst, 1e-5) << "cached decoding";
  std::printf("  cached decoding: worst relative error of a step's logits %.3g\n", worst);
}

TEST(ForwardGraph, CpuTwinsEqualTheRuntimeSession) {
  train_cpu::threads_init(1);
  check_graph("q8", false, true);
  check_graph("q4", true, true);
  check_graph("f32", false, false);
}

}  // namespace

namespace {

// attention_past.cu's arithmetic in its lane order (attention_past_math.h) against the double-precision reference
// above, for caches shorter than, equal to and longer than a warp's 32 lanes, GQA, head dims 32 and 64.
template <int HD>
void check_past_lanes() {
  std::mt19937 rng(HD);
  std::normal_distribution<float> g(0.0f, 1.0f);
  const int H = 4, KV = 2, past_max = 150;
  for (int n_keys : {1, 5, 31, 32, 33, 64, 150}) {
    const int past = n_keys - 1;  // one query at position past: it sees n_keys keys
    std::vector<float> q(H * HD), k((size_t)past_max * KV * HD), v(k.size()), want(H * HD), got(H * HD);
    for (float& x : q) x = g(rng);
    for (float& x : k) x = g(rng);
    for (float& x : v) x = g(rng);
    const float scale = 1.0f / std::sqrt((float)HD);
    CpuOps ref;
    ASSERT_TRUE(ref.attention_past(want.data(), q.data(), k.data(), v.data(), past, {1, 1, H, KV, HD, scale}).ok());
    for (int h = 0; h < H; h++) {
      const int kvh = h / (H / KV);
      runtime_cuda::attention_past_row_lanes<float, HD>(q.data() + h * HD, k.data() + kvh * HD, v.data() + kvh * HD,
                                                         (size_t)KV * HD, n_keys, scale, got.data() + h * HD);
    }
    for (int i = 0; i < H * HD; i++) EXPECT_NEAR(got[i], want[i], 2e-5) << "hd " << HD << " keys " << n_keys;
  }
}

TEST(ForwardGraph, AttentionPastLanesEqualTheReference) {
  check_past_lanes<32>();
  check_past_lanes<64>();
}

}  // namespace
