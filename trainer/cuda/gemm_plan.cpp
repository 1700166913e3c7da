// gemm_plan.cpp: the GEMM list of one training step (gemm_plan.h), walked in trainer/cpu/model.cpp's order.
#include "gemm_plan.h"

#include <cstdio>

#include "cpu/params.h"  // defines: param_layout_build (the flat layout the QKV fusion relies on)
#include "muon_math.h"   // defines: ns_alpha, ns_beta, ns_tall, kNs*

namespace golf::train_cuda {

const char* gemm_out_name(GemmOut o) { return o == GemmOut::grad ? "grad" : "activation"; }

const char* gemm_role_name(GemmRole r) {
  switch (r) {
    case GemmRole::forward: return "forward";
    case GemmRole::backward_dx: return "dX";
    case GemmRole::backward_dw: return "dW";
    case GemmRole::ns_gram: return "NS gram";
    case GemmRole::ns_poly: return "NS poly";
    case GemmRole::ns_update: return "NS update";
  }
  return "?";
}

bool GemmShape::same_plan(const GemmShape& o) const {
  return trans_a == o.trans_a && trans_b == o.trans_b && M == o.M && N == o.N && K == o.K && lda == o.lda &&
         ldb == o.ldb && ldc == o.ldc && (beta != 0.0f) == (o.beta != 0.0f) && out == o.out;
}

std::string GemmShape::text() const {
  char buf[160];
  std::snprintf(buf, sizeof buf, "M=%d N=%d K=%d %c%c lda=%d ldb=%d ldc=%d beta=%g out=%s", M, N, K,
                trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', lda, ldb, ldc, (double)beta, gemm_out_name(out));
  return buf;
}

ColumnMajorGemm column_major_gemm(const GemmShape& s) {
  ColumnMajorGemm c;
  c.trans_first = s.trans_b;
  c.trans_second = s.trans_a;
  c.m = s.N;
  c.n = s.M;
  c.k = s.K;
  // Our B, row-major (K, N) with stride ldb, is column-major (N, K): op N gives (m, k). Transposed, it is stored
  // row-major (N, K), i.e. column-major (K, N), and op T gives (m, k).
  c.first_rows = s.trans_b ? s.K : s.N;
  c.first_cols = s.trans_b ? s.N : s.K;
  c.first_ld = s.ldb;
  // Our A, row-major (M, K), is column-major (K, M) = (k, n); transposed, stored (K, M) row-major = (M, K) = (n, k).
  c.second_rows = s.trans_a ? s.M : s.K;
  c.second_cols = s.trans_a ? s.K : s.M;
  c.second_ld = s.lda;
  c.d_rows = s.N;
  c.d_cols = s.M;
  c.d_ld = s.ldc;
  return c;
}

double GemmPlan::model_flops() const {
  double f = 0;
  for (const GemmStep& s : model) f += s.shape.flops() * s.repeat;
  return f;
}

double GemmPlan::muon_flops() const {
  double f = 0;
  for (const GemmStep& s : muon) f += s.shape.flops() * s.repeat;
  return f;
}

std::vector<GemmShape> GemmPlan::distinct_shapes() const {
  std::vector<GemmShape> out;
  for (const std::vector<GemmStep>* list : {&model, &muon}) {
    for (const GemmStep& s : *list) {
      bool seen = false;
      for (const GemmShape& d : out) seen = seen || d.same_plan(s.shape);
      if (!seen) out.push_back(s.shape);
    }
  }
  return out;
}

std::string GemmPlan::first_use(const GemmShape& shape) const {
  for (const std::vector<GemmStep>* list : {&model, &muon})
    for (const GemmStep& s : *list)
      if (s.shape.same_plan(shape)) return std::string(gemm_role_name(s.role)) + " " + s.weight;
  return "";
}

static int uses_in(const std::vector<GemmStep>& list, const GemmShape& shape) {
  int n = 0;
  for (const GemmStep& s : list)
    if (s.shape.same_plan(shape)) n += s.repeat;
  return n;
}
int GemmPlan::model_uses(const GemmShape& shape) const { return uses_in(model, shape); }
int GemmPlan::muon_uses(const GemmShape& shape) const { return uses_in(muon, shape); }

bool qkv_weights_contiguous(const ModelConfig& cfg) {
  train_cpu::ParamLayout L;
  if (!train_cpu::param_layout_build(cfg, &L).ok()) return false;
  for (int l = 0; l < cfg.num_layers; l++) {
    const std::string b = "blocks." + std::to_string(l) + ".attn.";
    const train_cpu::ParamInfo* q = L.find(b + "c_q.weight");
    const train_cpu::ParamInfo* k = L.find(b + "c_k.weight");
    const train_cpu::ParamInfo* v = L.find(b + "c_v.weight");
    if (!q || !k || !v || k->offset != q->offset + q->numel || v->offset != k->offset + k->numel) return false;
  }
  return true;
}

// train_cpu::linear_forward: gemm(N, T, N, out_dim, in_dim, 1, in, in_dim, W, in_dim, 0, out, out_dim).
GemmShape linear_forward_shape(int N, int in_dim, int out_dim) {
  GemmShape s;
  s.trans_a = false;
  s.trans_b = true;
  s.M = N;
  s.N = out_dim;
  s.K = in_dim;
  s.lda = in_dim;
  s.ldb = in_dim;
  s.ldc = out_dim;
  return s;
}

// train_cpu::linear_backward, din: gemm(N, N, N, in_dim, out_dim, 1, dout, out_dim, W, in_dim, acc, din, in_dim).
GemmShape linear_backward_dx_shape(int N, int in_dim, int out_dim, bool accumulate_din) {
  GemmShape s;
  s.M = N;
  s.N = in_dim;
  s.K = out_dim;
  s.lda = out_dim;
  s.ldb = in_dim;
  s.ldc = in_dim;
  s.beta = accumulate_din ? 1.0f : 0.0f;
  return s;
}

// train_cpu::linear_backward, dW: gemm(T, N, out_dim, in_dim, N, 1, dout, out_dim, in, in_dim, 1, dW, in_dim).
GemmShape linear_backward_dw_shape(int N, int in_dim, int out_dim) {
  GemmShape s;
  s.trans_a = true;
  s.M = out_dim;
  s.N = in_dim;
  s.K = N;
  s.lda = out_dim;
  s.ldb = in_dim;
  s.ldc = in_dim;
  s.beta = 1.0f;
  s.out = GemmOut::grad;
  return s;
}

GemmShape ns_gemm_shape(int rows, int cols, int which) {
  const bool tall = ns_tall(rows, cols);
  const int m = tall ? cols : rows;  // side of A and B
  GemmShape s;
  s.alpha = ns_alpha(which);
  s.beta = ns_beta(which);
  if (which == kNsGram) {
    // Wide: A = X·Xᵀ, X (rows, cols) as both operands. Tall: A = Xᵀ·X.
    s.trans_a = tall;
    s.trans_b = !tall;
    s.M = s.N = m;
    s.K = tall ? rows : cols;
    s.lda = s.ldb = cols;
    s.ldc = m;
  } else if (which == kNsPoly) {
    s.M = s.N = s.K = m;  // A·A (A symmetric), C = A, D = B
    s.lda = s.ldb = s.ldc = m;
  } else {
    // Wide: X' (rows, cols) = B (rows, rows)·X. Tall: X' = X·B (cols, cols). C = X, D = X'.
    s.M = rows;
    s.N = cols;
    s.K = m;
    s.lda = tall ? cols : m;
    s.ldb = tall ? m : cols;
    s.ldc = cols;
  }
  return s;
}

Status gemm_plan_build(const ModelConfig& cfg, int rows, int ns_steps, GemmPlan* out, bool backward) {
  GOLF_RETURN_IF_ERROR(cfg.validate());
  if (rows < 1 || ns_steps < 0)
    return Status(StatusCode::invalid_argument, "gemm plan: rows must be >= 1 and Newton-Schulz steps >= 0");
  GemmPlan P;
  P.config = cfg;
  P.rows = rows;
  P.ns_steps = ns_steps;
  P.qkv_fused = qkv_weights_contiguous(cfg);
  const int N = rows, d = cfg.model_dim, kv = cfg.kv_dim(), hid = cfg.mlp_hidden, V = cfg.vocab_size;
  auto name = [](int l, const char* t) { return "blocks." + std::to_string(l) + "." + t; };
  auto fwd = [&](const std::string& w, int l, int in_dim, int out_dim) {
    P.model.push_back({w, GemmRole::forward, l, linear_forward_shape(N, in_dim, out_dim), 1});
  };
  // One linear_backward: dX (when wanted), then dW, as train_cpu::linear_backward issues them.
  auto bwd = [&](const std::string& w, int l, int in_dim, int out_dim, bool acc) {
    P.model.push_back({w, GemmRole::backward_dx, l, linear_backward_dx_shape(N, in_dim, out_dim, acc), 1});
    P.model.push_back({w, GemmRole::backward_dw, l, linear_backward_dw_shape(N, in_dim, out_dim), 1});
  };
  // Forward (model.cpp block_forward, then the head).
  for (int l = 0; l < cfg.num_layers; l++) {
    if (P.qkv_fused) {
      fwd(name(l, "attn.c_q.weight"), l, d, d + 2 * kv);  // out (N, q+2kv) = xn1 · [c_q; c_k; c_v]ᵀ
    } else {
      fwd(name(l, "attn.c_q.weight"), l, d, d);
      fwd(name(l, "attn.c_k.weight"), l, d, kv);
      fwd(name(l, "attn.c_v.weight"), l, d, kv);
    }
    fwd(name(l, "attn.proj.weight"), l, d, d);
    fwd(name(l, "mlp.fc.weight"), l, d, hid);
    fwd(name(l, "mlp.proj.weight"), l, hid, d);
  }
  const std::string head = cfg.tie_embeddings ? "tok_emb.weight" : "lm_head.weight";
  fwd(head, -1, d, V);
  // Backward (model_backward: the head, then block_backward from the last block down). The q, k, v gradients
  // come from three kernels (attention, QK-norm/RoPE) as separate buffers, so their products stay three, with dX
  // accumulated by beta = 1 as the CPU does.
  if (backward) bwd(head, -1, d, V, false);
  for (int l = backward ? cfg.num_layers - 1 : -1; l >= 0; l--) {
    bwd(name(l, "mlp.proj.weight"), l, hid, d, false);
    bwd(name(l, "mlp.fc.weight"), l, d, hid, false);
    bwd(name(l, "attn.proj.weight"), l, d, d, false);
    bwd(name(l, "attn.c_q.weight"), l, d, d, false);
    bwd(name(l, "attn.c_k.weight"), l, d, kv, true);
    bwd(name(l, "attn.c_v.weight"), l, d, kv, true);
  }
  // Muon: every block matrix (params.cpp param_group_route), grouped by shape; each is ns_steps × 3 products.
  struct MuonShape {
    const char* tensor;
    int rows, cols;
  };
  const MuonShape shapes[] = {{"attn.c_q.weight", d, d}, {"attn.c_k.weight", kv, d}, {"attn.c_v.weight", kv, d},
                              {"attn.proj.weight", d, d}, {"mlp.fc.weight", hid, d}, {"mlp.proj.weight", d, hid}};
  const GemmRole roles[3] = {GemmRole::ns_gram, GemmRole::ns_poly, GemmRole::ns_update};
  if (ns_steps > 0) {
    for (const MuonShape& m : shapes) {
      for (int which = 0; which < 3; which++) {
        GemmStep s{std::string("blocks.*.") + m.tensor, roles[which], -1, ns_gemm_shape(m.rows, m.cols, which),
                   ns_steps * cfg.num_layers};
        P.muon.push_back(s);
      }
    }
  }
  *out = std::move(P);
  return Status::Ok();
}

}  // namespace golf::train_cuda
