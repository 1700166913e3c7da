// test_gemm_plan.cpp: the CUDA trainer's GEMM plan (trainer/cuda/gemm_plan.h) and Muon arithmetic
// (trainer/cuda/muon_math.h) on the host, where CI has no GPU:
// - the plan's model GEMMs are, call for call and in order, the gemms train_cpu::model_forward/model_backward issue
//   through linear_forward/linear_backward (recorded by matmul.h's test hook), on the same weight and gradient
//   tensors; the fused QKV product covers exactly the three c_q/c_k/c_v products and computes the same numbers;
// - the column-major operands GemmContext gives cuBLASLt (column_major_gemm), emulated with cuBLASLt's semantics,
//   compute the row-major product train_cpu::gemm computes, for every plan shape and padded strides;
// - the plan's FLOPs equal model_train_flops_per_token's GEMM part and the design note's Muon figure;
// - the Newton–Schulz GEMMs, run as cuBLASLt will run them (alpha/beta folded, C ≠ D, transposed flags for tall
//   matrices), reproduce train_cpu::newton_schulz5, and with bf16 rounding after each product stay inside the
//   tolerance the GPU self-test holds the bf16 NS to;
// - muon_math.h's coefficients, normalisation and step scale are train_cpu::muon_update's, bit for bit.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "cpu/matmul.h"     // defines: linear_gemm_hook_set, LinearGemmCall, threads_init
#include "cpu/model.h"      // defines: model_forward, model_backward, activations_init, model_train_flops_per_token
#include "cpu/muon.h"       // defines: newton_schulz5, muon_update, MuonScratch, kMuonNs*
#include "cuda/device_math.h"  // defines: bf16_round
#include "cuda/gemm_plan.h"    // defines: gemm_plan_build, GemmPlan, linear_*_shape, ns_gemm_shape
#include "cuda/muon_math.h"    // defines: kNs*, muon_inv_norm, muon_step_scale, ns_alpha, ns_beta

using namespace golf;
using namespace golf::train_cuda;

namespace {

void record(const train_cpu::LinearGemmCall& c, void* user) {
  static_cast<std::vector<train_cpu::LinearGemmCall>*>(user)->push_back(c);
}

ModelConfig small_config(int d, int layers, int heads, int kv_heads, int hidden, int vocab, bool tied) {
  ModelConfig c;
  c.model_dim = d;
  c.num_layers = layers;
  c.num_heads = heads;
  c.num_kv_heads = kv_heads;
  c.mlp_hidden = hidden;
  c.vocab_size = vocab;
  c.tie_embeddings = tied;
  c.num_encoder_layers = layers / 2;
  c.rope_dims = c.head_dim() - c.head_dim() % 2;
  c.max_seq_len = 64;
  return c;
}

// Deterministic random floats in [-1, 1).
void fill(float* x, size_t n, uint64_t seed) {
  for (size_t i = 0; i < n; i++) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    x[i] = (float)((seed >> 40) & 0xffffff) / 8388608.0f - 1.0f;
  }
}

// The plan's model GEMMs with the fused QKV product split back into the three linear_forward products it replaces.
std::vector<GemmStep> unfused(const GemmPlan& P) {
  std::vector<GemmStep> out;
  const int d = P.config.model_dim, kv = P.config.kv_dim();
  for (const GemmStep& s : P.model) {
    const bool fused_qkv = s.role == GemmRole::forward && s.weight.find("attn.c_q.") != std::string::npos &&
                           s.shape.N != d;
    if (!fused_qkv) {
      out.push_back(s);
      continue;
    }
    EXPECT_TRUE(P.qkv_fused);
    EXPECT_EQ(s.shape.N, d + 2 * kv);
    EXPECT_EQ(s.shape.ldc, d + 2 * kv);
    const std::string base = s.weight.substr(0, s.weight.find("c_q."));
    const int dims[3] = {d, kv, kv};
    const char* names[3] = {"c_q.weight", "c_k.weight", "c_v.weight"};
    for (int i = 0; i < 3; i++) {
      GemmStep t = s;
      t.weight = base + names[i];
      t.shape = linear_forward_shape(P.rows, d, dims[i]);
      out.push_back(t);
    }
  }
  return out;
}

// Runs one forward and backward of the CPU model on `cfg` with the hook on, and checks the plan against the calls.
void check_plan_against_model(const ModelConfig& cfg, int B, int T) {
  SCOPED_TRACE("d=" + std::to_string(cfg.model_dim) + " layers=" + std::to_string(cfg.num_layers) +
               " tied=" + std::to_string(cfg.tie_embeddings));
  train_cpu::threads_init(1);
  train_cpu::ParamStore ps;
  ASSERT_TRUE(train_cpu::param_store_init(cfg, &ps).ok());
  fill(ps.params, ps.layout.total, 7);
  train_cpu::param_store_zero_grads(&ps);
  train_cpu::Activations acts;
  ASSERT_TRUE(train_cpu::activations_init(cfg, B, T, &acts).ok());
  std::vector<int32_t> ids(B * T), targets(B * T);
  for (int i = 0; i < B * T; i++) {
    ids[i] = (i * 7 + 3) % cfg.vocab_size;
    targets[i] = (i * 11 + 5) % cfg.vocab_size;
  }
  std::vector<train_cpu::LinearGemmCall> calls;
  train_cpu::linear_gemm_hook_set(record, &calls);
  double loss = 0;
  Status st = train_cpu::model_forward(ps, &acts, ids.data(), targets.data(), B, T, &loss);
  if (st.ok()) st = train_cpu::model_backward(&ps, &acts, 1.0f);
  train_cpu::linear_gemm_hook_set(nullptr, nullptr);
  ASSERT_TRUE(st.ok()) << st.message();

  GemmPlan P;
  ASSERT_TRUE(gemm_plan_build(cfg, B * T, 5, &P).ok());
  const std::vector<GemmStep> steps = unfused(P);
  ASSERT_EQ(steps.size(), calls.size());
  for (size_t i = 0; i < calls.size(); i++) {
    const train_cpu::LinearGemmCall& c = calls[i];
    const GemmShape& s = steps[i].shape;
    SCOPED_TRACE("gemm " + std::to_string(i) + ": " + steps[i].weight + " " + gemm_role_name(steps[i].role));
    EXPECT_EQ(s.trans_a, c.trans_a);
    EXPECT_EQ(s.trans_b, c.trans_b);
    EXPECT_EQ(s.M, c.M);
    EXPECT_EQ(s.N, c.N);
    EXPECT_EQ(s.K, c.K);
    EXPECT_EQ(s.lda, c.lda);
    EXPECT_EQ(s.ldb, c.ldb);
    EXPECT_EQ(s.ldc, c.ldc);
    EXPECT_EQ(s.alpha, c.alpha);
    EXPECT_EQ(s.beta, c.beta);
    // The tensor: the forward and dX read the weight as B, dW accumulates into its gradient as C.
    const train_cpu::ParamInfo* t = ps.layout.find(steps[i].weight);
    ASSERT_NE(t, nullptr) << steps[i].weight;
    switch (steps[i].role) {
      case GemmRole::forward:
      case GemmRole::backward_dx:
        EXPECT_EQ(c.B, ps.params + t->offset);
        EXPECT_EQ(s.out, GemmOut::activation);
        break;
      case GemmRole::backward_dw:
        EXPECT_EQ(c.C, ps.grads + t->offset);
        EXPECT_EQ(s.out, GemmOut::grad);
        break;
      default: ADD_FAILURE() << "a Newton-Schulz role among the model's GEMMs";
    }
  }
  // FLOPs: the GEMM part of model_train_flops_per_token (6 per weight per token) times the rows.
  const double attn = 3.0 * 2.0 * 2.0 * (T / 2.0) * cfg.head_dim() * cfg.num_heads * cfg.num_layers;
  const double gemm_per_token = train_cpu::model_train_flops_per_token(cfg, T) - attn;
  EXPECT_NEAR(P.model_flops(), gemm_per_token * B * T, 1e-9 * P.model_flops());
}

TEST(GemmPlan, MatchesTheCpuModelsLinearCalls) {
  // Tied head, fused QKV (every tensor a multiple of 16 floats).
  check_plan_against_model(small_config(64, 2, 2, 1, 128, 96, true), 2, 24);
  // Untied head, odd layer count, GQA 4:1.
  check_plan_against_model(small_config(32, 3, 4, 1, 64, 50, false), 1, 17);
  // d = 12, kv = 6: c_q (144 floats) is padded to 144, c_k (72) to 80, so c_v does not follow c_k: no fusion.
  ModelConfig odd = small_config(12, 2, 2, 1, 20, 30, true);
  GemmPlan P;
  ASSERT_TRUE(gemm_plan_build(odd, 10, 5, &P).ok());
  EXPECT_FALSE(P.qkv_fused);
  check_plan_against_model(odd, 2, 5);
}

TEST(GemmPlan, ForwardOnlyPlanMatchesAnEvaluationForward) {
  // A forward-only arena and no targets, as validation runs it: the plan without backward, call for call.
  const ModelConfig cfg = small_config(32, 3, 2, 1, 96, 40, true);
  train_cpu::threads_init(1);
  train_cpu::ParamStore ps;
  ASSERT_TRUE(train_cpu::param_store_init(cfg, &ps).ok());
  fill(ps.params, ps.layout.total, 9);
  train_cpu::Activations acts;
  ASSERT_TRUE(train_cpu::activations_init(cfg, 3, 11, &acts, false).ok());
  std::vector<int32_t> ids(33);
  for (int i = 0; i < 33; i++) ids[i] = (i * 5 + 1) % cfg.vocab_size;
  std::vector<train_cpu::LinearGemmCall> calls;
  train_cpu::linear_gemm_hook_set(record, &calls);
  Status st = train_cpu::model_forward(ps, &acts, ids.data(), nullptr, 3, 11, nullptr);
  train_cpu::linear_gemm_hook_set(nullptr, nullptr);
  ASSERT_TRUE(st.ok()) << st.message();
  GemmPlan P;
  ASSERT_TRUE(gemm_plan_build(cfg, 33, 0, &P, false).ok());
  EXPECT_TRUE(P.muon.empty());
  const std::vector<GemmStep> steps = unfused(P);
  ASSERT_EQ(steps.size(), calls.size());
  for (size_t i = 0; i < calls.size(); i++) {
    EXPECT_EQ(steps[i].role, GemmRole::forward);
    EXPECT_EQ(steps[i].shape.M, calls[i].M);
    EXPECT_EQ(steps[i].shape.N, calls[i].N);
    EXPECT_EQ(steps[i].shape.K, calls[i].K);
    EXPECT_EQ(steps[i].shape.ldc, calls[i].ldc);
    EXPECT_EQ(calls[i].B, ps.params + ps.layout.find(steps[i].weight)->offset) << steps[i].weight;
  }
}

TEST(GemmPlan, FusedQkvComputesTheThreeProjections) {
  const ModelConfig cfg = small_config(64, 1, 4, 2, 128, 64, true);
  ASSERT_TRUE(qkv_weights_contiguous(cfg));
  train_cpu::ParamStore ps;
  ASSERT_TRUE(train_cpu::param_store_init(cfg, &ps).ok());
  fill(ps.params, ps.layout.total, 3);
  const int N = 9, d = cfg.model_dim, kv = cfg.kv_dim(), W = d + 2 * kv;
  std::vector<float> x(N * d), q(N * d), k(N * kv), v(N * kv), fused(N * W);
  fill(x.data(), x.size(), 5);
  const train_cpu::BlockParams& b = ps.p.blocks[0];
  train_cpu::linear_forward(q.data(), x.data(), b.c_q, N, d, d);
  train_cpu::linear_forward(k.data(), x.data(), b.c_k, N, d, kv);
  train_cpu::linear_forward(v.data(), x.data(), b.c_v, N, d, kv);
  GemmPlan P;
  ASSERT_TRUE(gemm_plan_build(cfg, N, 0, &P).ok());
  const GemmShape& s = P.model[0].shape;  // the first GEMM of the step: the fused QKV
  ASSERT_EQ(s.N, W);
  // Run the plan's descriptor as the GPU will: B = c_q's address, N = q + 2kv rows of weights.
  train_cpu::gemm(s.trans_a, s.trans_b, s.M, s.N, s.K, s.alpha, x.data(), s.lda, b.c_q, s.ldb, s.beta, fused.data(),
                  s.ldc);
  double err = 0, ref = 0;
  for (int n = 0; n < N; n++) {
    for (int j = 0; j < W; j++) {
      float want = j < d ? q[n * d + j] : j < d + kv ? k[n * kv + j - d] : v[n * kv + j - d - kv];
      err += std::pow((double)fused[n * W + j] - want, 2);
      ref += (double)want * want;
    }
  }
  EXPECT_LE(std::sqrt(err / ref), 1e-6);
}

TEST(GemmPlan, BaselineFiguresAndDistinctShapes) {
  const ModelConfig cfg;  // the defaults are the challenge's baseline (9 × 512, MLP 1024, V 1024)
  GemmPlan P;
  ASSERT_TRUE(gemm_plan_build(cfg, 65536, 5, &P).ok());
  EXPECT_TRUE(P.qkv_fused);
  // Per layer: 4 forward products (QKV fused), 6 linear backwards of 2 products; the head: 1 + 2.
  EXPECT_EQ(P.model.size(), 9u * (4 + 12) + 3);
  EXPECT_NEAR(P.model_flops() / 1e12, 6.70, 0.01);  // the design note's 6.70 TFLOP of weight GEMMs
  EXPECT_NEAR(P.muon_flops() / 1e9, 208.3, 0.1);   // and its 208 GFLOP of Newton–Schulz per step
  const std::vector<GemmShape> shapes = P.distinct_shapes();
  for (size_t i = 0; i < shapes.size(); i++)
    for (size_t j = i + 1; j < shapes.size(); j++) EXPECT_FALSE(shapes[i].same_plan(shapes[j])) << i << " " << j;
  for (const GemmStep& s : P.model) {
    int found = 0;
    for (const GemmShape& d : shapes) found += d.same_plan(s.shape);
    EXPECT_EQ(found, 1) << s.shape.text();
  }
  // Every issue is counted once by the uses of the distinct shapes (the speed part's per-step totals).
  int model_uses = 0, muon_uses = 0;
  for (const GemmShape& d : shapes) {
    model_uses += P.model_uses(d);
    muon_uses += P.muon_uses(d);
    EXPECT_FALSE(P.first_use(d).empty());
  }
  EXPECT_EQ(model_uses, (int)P.model.size());
  EXPECT_EQ(muon_uses, 6 * 3 * 5 * cfg.num_layers);
  EXPECT_EQ(P.first_use(P.model[0].shape), "forward blocks.0.attn.c_q.weight");
  // Every Muon matrix of the layout has its three NS products, once per layer.
  train_cpu::ParamLayout L;
  ASSERT_TRUE(train_cpu::param_layout_build(cfg, &L).ok());
  int muon_tensors = 0;
  for (const train_cpu::ParamInfo& t : L.tensors) {
    if (t.group != train_cpu::ParamGroup::muon) continue;
    muon_tensors++;
    const std::string suffix = t.name.substr(t.name.find('.', 7) + 1);
    int matched = 0;
    for (const GemmStep& s : P.muon) {
      if (s.weight != "blocks.*." + suffix) continue;
      matched++;
      EXPECT_EQ(s.repeat, 5 * cfg.num_layers);
      EXPECT_EQ(s.shape.text(), ns_gemm_shape((int)t.shape[0], (int)t.shape[1], (int)s.role - (int)GemmRole::ns_gram).text());
    }
    EXPECT_EQ(matched, 3) << t.name;
  }
  EXPECT_EQ(muon_tensors, 6 * cfg.num_layers);
}

TEST(GemmPlan, RefusesBadInput) {
  GemmPlan P;
  EXPECT_FALSE(gemm_plan_build(ModelConfig{}, 0, 5, &P).ok());
  EXPECT_FALSE(gemm_plan_build(ModelConfig{}, 16, -1, &P).ok());
  ModelConfig bad;
  bad.num_heads = 7;  // 512 / 7 is not whole
  EXPECT_FALSE(gemm_plan_build(bad, 16, 5, &P).ok());
}

// ---- the column-major operands cuBLASLt is given -----------------------------------------------------------------

// cuBLASLt's semantics on the host: D (m, n) = alpha·op(first)·op(second) + beta·D, every matrix column-major
// (element (r, c) at r + c·ld) with the stored dims the layouts declare; the dims must agree with the ops.
void column_major_emulate(const ColumnMajorGemm& c, const float* first, const float* second, float alpha, float beta,
                          float* D) {
  ASSERT_EQ(c.first_rows, c.trans_first ? c.k : c.m);
  ASSERT_EQ(c.first_cols, c.trans_first ? c.m : c.k);
  ASSERT_EQ(c.second_rows, c.trans_second ? c.n : c.k);
  ASSERT_EQ(c.second_cols, c.trans_second ? c.k : c.n);
  ASSERT_EQ(c.d_rows, c.m);
  ASSERT_EQ(c.d_cols, c.n);
  ASSERT_GE(c.first_ld, c.first_rows);
  ASSERT_GE(c.second_ld, c.second_rows);
  ASSERT_GE(c.d_ld, c.d_rows);
  for (int i = 0; i < c.m; i++) {
    for (int j = 0; j < c.n; j++) {
      double acc = 0;
      for (int l = 0; l < c.k; l++) {
        float f = c.trans_first ? first[l + (size_t)i * c.first_ld] : first[i + (size_t)l * c.first_ld];
        float g = c.trans_second ? second[j + (size_t)l * c.second_ld] : second[l + (size_t)j * c.second_ld];
        acc += (double)f * g;
      }
      float& d = D[i + (size_t)j * c.d_ld];
      d = (float)(alpha * acc + (beta != 0.0f ? (double)beta * d : 0.0));
    }
  }
}

TEST(GemmPlan, ColumnMajorOperandsComputeTheRowMajorProduct) {
  train_cpu::threads_init(1);
  std::vector<GemmShape> shapes;
  GemmPlan P;
  ASSERT_TRUE(gemm_plan_build(small_config(24, 2, 2, 1, 40, 30, true), 13, 5, &P).ok());
  shapes = P.distinct_shapes();
  ASSERT_GE(shapes.size(), 10u);
  // Padded row strides in all four transpose combinations.
  for (int t = 0; t < 4; t++) {
    GemmShape s;
    s.trans_a = t & 1;
    s.trans_b = t & 2;
    s.M = 7, s.N = 5, s.K = 9;
    s.lda = (s.trans_a ? s.M : s.K) + 3;
    s.ldb = (s.trans_b ? s.K : s.N) + 2;
    s.ldc = s.N + 4;
    s.alpha = 0.75f;
    s.beta = t == 3 ? 0.0f : -1.5f;
    shapes.push_back(s);
  }
  uint64_t seed = 11;
  for (const GemmShape& s : shapes) {
    SCOPED_TRACE(s.text());
    std::vector<float> A((size_t)(s.trans_a ? s.K : s.M) * s.lda), B((size_t)(s.trans_b ? s.N : s.K) * s.ldb),
        C((size_t)s.M * s.ldc);
    fill(A.data(), A.size(), ++seed);
    fill(B.data(), B.size(), ++seed);
    fill(C.data(), C.size(), ++seed);
    std::vector<float> want = C, got = C;
    train_cpu::gemm(s.trans_a, s.trans_b, s.M, s.N, s.K, s.alpha, A.data(), s.lda, B.data(), s.ldb, s.beta, want.data(),
                    s.ldc);
    column_major_emulate(column_major_gemm(s), B.data(), A.data(), s.alpha, s.beta, got.data());
    double err = 0, ref = 0;
    for (size_t i = 0; i < want.size(); i++) {
      err += std::pow((double)got[i] - want[i], 2);
      ref += (double)want[i] * want[i];
    }
    EXPECT_LE(std::sqrt(err / ref), 1e-6);
  }
}

// ---- Newton–Schulz as the GPU runs it ------------------------------------------------------------------------------

// D = alpha·op(A)·op(B) + beta·C, row-major, with C and D separate (cuBLASLt's C ≠ D); double accumulation.
// `round` models bf16 operands and output (the GPU's bf16 NS): the result is rounded once, after the fp32 sum.
void host_gemm(const GemmShape& s, const float* A, const float* B, const float* C, float* D, bool round) {
  for (int i = 0; i < s.M; i++) {
    for (int j = 0; j < s.N; j++) {
      double acc = 0;
      for (int k = 0; k < s.K; k++) {
        float a = s.trans_a ? A[(size_t)k * s.lda + i] : A[(size_t)i * s.lda + k];
        float b = s.trans_b ? B[(size_t)j * s.ldb + k] : B[(size_t)k * s.ldb + j];
        acc += (double)a * b;
      }
      float r = (float)(s.alpha * acc + (s.beta != 0.0f ? (double)s.beta * C[(size_t)i * s.ldc + j] : 0.0));
      D[(size_t)i * s.ldc + j] = round ? bf16_round(r) : r;
    }
  }
}

// NS5 from the plan's three descriptors, on buffers X, X', A, B as muon.cu lays them out.
std::vector<float> ns_from_plan(std::vector<float> X, int rows, int cols, int steps, bool round) {
  const int m = std::min(rows, cols);
  std::vector<float> Xn(X.size()), A((size_t)m * m), Bm((size_t)m * m);
  if (round)
    for (float& e : X) e = bf16_round(e);
  const GemmShape g = ns_gemm_shape(rows, cols, kNsGram), p = ns_gemm_shape(rows, cols, kNsPoly),
                  u = ns_gemm_shape(rows, cols, kNsUpdate);
  const bool tall = ns_tall(rows, cols);
  for (int it = 0; it < steps; it++) {
    host_gemm(g, X.data(), X.data(), nullptr, A.data(), round);
    host_gemm(p, A.data(), A.data(), A.data(), Bm.data(), round);
    if (tall)
      host_gemm(u, X.data(), Bm.data(), X.data(), Xn.data(), round);
    else
      host_gemm(u, Bm.data(), X.data(), X.data(), Xn.data(), round);
    std::swap(X, Xn);
  }
  return X;
}

double rel(const std::vector<float>& got, const float* want) {
  double e = 0, r = 0;
  for (size_t i = 0; i < got.size(); i++) {
    e += std::pow((double)got[i] - want[i], 2);
    r += (double)want[i] * want[i];
  }
  return std::sqrt(e / r);
}

TEST(MuonMath, NewtonSchulzFromThePlanMatchesTheCpu) {
  train_cpu::threads_init(1);
  // Wide, tall, square, and the odd sizes the self-test uses.
  const int shapes[][2] = {{16, 40}, {40, 16}, {24, 24}, {33, 70}, {70, 33}, {1, 9}};
  for (const auto& sh : shapes) {
    const int rows = sh[0], cols = sh[1];
    SCOPED_TRACE(std::to_string(rows) + "x" + std::to_string(cols));
    train_cpu::MuonScratch s;
    ASSERT_TRUE(train_cpu::muon_scratch_init(&s, (size_t)rows * cols, std::min(rows, cols)).ok());
    std::vector<float> g((size_t)rows * cols);
    fill(g.data(), g.size(), rows * 131 + cols);
    double ss = 0;
    for (float e : g) ss += (double)e * e;
    const float inv = muon_inv_norm(ss);
    for (float& e : g) e *= inv;
    std::memcpy(s.x, g.data(), g.size() * sizeof(float));
    const float* want = train_cpu::newton_schulz5(rows, cols, 5, &s);
    EXPECT_LE(rel(ns_from_plan(g, rows, cols, 5, false), want), 1e-5);
    // bf16 operands and outputs (the GPU's default NS): within kNsBf16Tolerance of the fp32 result.
    EXPECT_LE(rel(ns_from_plan(g, rows, cols, 5, true), want), kNsBf16Tolerance);
  }
}

TEST(MuonMath, CoefficientsNormAndScaleAreTheCpus) {
  EXPECT_EQ(kNsA, train_cpu::kMuonNsA);
  EXPECT_EQ(kNsB, train_cpu::kMuonNsB);
  EXPECT_EQ(kNsC, train_cpu::kMuonNsC);
  EXPECT_EQ(kMuonNormEps, train_cpu::kMuonNormEps);
  EXPECT_EQ(ns_alpha(kNsPoly), kNsC);
  EXPECT_EQ(ns_beta(kNsPoly), kNsB);
  EXPECT_EQ(ns_beta(kNsUpdate), kNsA);
  // muon_update with zero momentum and no NS step: param = −scale·(g·inv), so both factors are visible in the bits.
  train_cpu::threads_init(1);
  const int shapes[][2] = {{8, 24}, {24, 8}, {13, 13}, {50, 7}};
  for (const auto& sh : shapes) {
    const int rows = sh[0], cols = sh[1];
    const size_t n = (size_t)rows * cols;
    train_cpu::MuonScratch s;
    ASSERT_TRUE(train_cpu::muon_scratch_init(&s, n, std::min(rows, cols)).ok());
    std::vector<float> g(n), param(n, 0.0f), buf(n, 0.0f);
    fill(g.data(), n, rows + 1000 * cols);
    const float lr = 0.037f;
    train_cpu::muon_update(param.data(), buf.data(), g.data(), rows, cols, lr, 0.0f, 0, &s);
    double ss = 0;
    for (float e : g) ss += (double)e * e;
    const float inv = muon_inv_norm(ss), step = muon_step_scale(lr, rows, cols);
    for (size_t i = 0; i < n; i++) ASSERT_EQ(param[i], 0.0f - step * (g[i] * inv)) << rows << "x" << cols << " " << i;
  }
}

}  // namespace
