// golf_train_cpu_parity.cpp: the C++ side of the CPU trainer's parity tests. test_parity.py writes weights and
// batches with tests/reference/golf_gpt.py, runs one of these commands, and compares what comes back:
//   grads   WEIGHTS BATCH OUT   loss, per-token NLL, logits and every gradient for one batch, and the NLL from a
//                               forward-only (eval) arena
//   accum   WEIGHTS BATCH OUT   the same gradients from 2 micro-batches of B/2 (loss_scale 1/2 each)
//   train   WEIGHTS BATCHES STEPS OUT   STEPS optimizer steps (lr_mul 1), losses and final parameters
//   resume  WEIGHTS BATCHES STEPS K     checks that saving params+optimizer after K steps, reloading into fresh
//                                       objects and continuing reproduces the uninterrupted losses bit for bit
//   init    CONFIG_JSON SEED OUT        parameters from params_init (for the init statistics check)
// Options (before the command): --threads N.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "cpu/matmul.h"
#include "cpu/model.h"
#include "cpu/optimizer.h"
#include "cpu/params.h"
#include "params/init.h"
#include "params/param_io.h"

using namespace golf;
using namespace golf::train_cpu;

static std::string fmt_double(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

struct Batch {
  TensorFile file;
  const int32_t* ids = nullptr;
  const int32_t* targets = nullptr;
  int S = 1, B = 0, T = 0;  // S: number of steps (3-D files) or 1
};

static Status batch_load(const std::string& path, Batch* b) {
  GOLF_RETURN_IF_ERROR(tensor_file_read(path, &b->file));
  b->ids = b->file.i32("ids");
  b->targets = b->file.i32("targets");
  const TensorFileEntry* e = b->file.find("ids");
  const TensorFileEntry* t = b->file.find("targets");
  if (!b->ids || !b->targets || e->shape != t->shape || e->shape.size() < 2 || e->shape.size() > 3)
    return Status(StatusCode::bad_format, path + ": needs I32 'ids' and 'targets' of shape (B, T) or (S, B, T)");
  size_t k = e->shape.size();
  b->S = k == 3 ? (int)e->shape[0] : 1;
  b->B = (int)e->shape[k - 2];
  b->T = (int)e->shape[k - 1];
  return Status::Ok();
}

static std::vector<TensorRef> grad_refs(const ParamStore& ps) { return layout_tensor_refs(ps.layout, ps.grads, "grad."); }

static Status cmd_grads(const std::string& wpath, const std::string& bpath, const std::string& out, bool accum) {
  ParamStore ps;
  GOLF_RETURN_IF_ERROR(param_store_load(wpath, &ps));
  Batch b;
  GOLF_RETURN_IF_ERROR(batch_load(bpath, &b));
  const ModelConfig& c = ps.layout.config;
  const int N = b.B * b.T;
  Activations a;
  GOLF_RETURN_IF_ERROR(activations_init(c, b.B, b.T, &a));
  param_store_zero_grads(&ps);
  std::vector<float> nll(N), logits((size_t)N * c.vocab_size);
  double loss = 0;
  std::map<std::string, std::string> meta;
  if (!accum) {
    GOLF_RETURN_IF_ERROR(model_forward(ps, &a, b.ids, b.targets, b.B, b.T, &loss, nll.data()));
    std::memcpy(logits.data(), a.logits, logits.size() * sizeof(float));
    GOLF_RETURN_IF_ERROR(model_backward(&ps, &a, 1.0f));
  } else {
    if (b.B % 2 != 0) return Status(StatusCode::invalid_argument, "accum needs an even batch");
    const int half = b.B / 2, Nh = half * b.T;
    for (int m = 0; m < 2; m++) {
      double l = 0;
      GOLF_RETURN_IF_ERROR(model_forward(ps, &a, b.ids + m * Nh, b.targets + m * Nh, half, b.T, &l, nll.data() + m * Nh));
      std::memcpy(logits.data() + (size_t)m * Nh * c.vocab_size, a.logits, (size_t)Nh * c.vocab_size * sizeof(float));
      GOLF_RETURN_IF_ERROR(model_backward(&ps, &a, 0.5f));
      loss += 0.5 * l;
    }
  }
  // The forward-only arena must give the same bits as the training arena.
  std::vector<float> eval_nll(N);
  if (!accum) {
    Activations ea;
    GOLF_RETURN_IF_ERROR(activations_init(c, b.B, b.T, &ea, /*training=*/false));
    double eval_loss = 0;
    GOLF_RETURN_IF_ERROR(model_forward(ps, &ea, b.ids, b.targets, b.B, b.T, &eval_loss, eval_nll.data()));
    if (model_backward(&ps, &ea, 1.0f).ok()) return Status(StatusCode::invalid_argument, "backward on an eval arena");
    meta["golf.eval_loss"] = fmt_double(eval_loss);
  }
  float lossf = (float)loss;
  std::vector<TensorRef> refs = grad_refs(ps);
  refs.push_back({"loss", TensorDtype::f32, {1}, &lossf});
  refs.push_back({"nll", TensorDtype::f32, {b.B, b.T}, nll.data()});
  if (!accum) refs.push_back({"eval_nll", TensorDtype::f32, {b.B, b.T}, eval_nll.data()});
  refs.push_back({"logits", TensorDtype::f32, {b.B, b.T, c.vocab_size}, logits.data()});
  meta["golf.loss"] = fmt_double(loss);
  return tensor_file_write(out, refs, meta);
}

// Runs steps [from, to) of training on the batches; appends losses.
static Status train_steps(ParamStore* ps, OptimizerState* opt, Activations* a, const Batch& b, int from, int to,
                          std::vector<double>* losses) {
  const int N = b.B * b.T;
  for (int s = from; s < to; s++) {
    const int bi = s % b.S;
    double loss = 0;
    param_store_zero_grads(ps);
    GOLF_RETURN_IF_ERROR(model_forward(*ps, a, b.ids + (size_t)bi * N, b.targets + (size_t)bi * N, b.B, b.T, &loss));
    GOLF_RETURN_IF_ERROR(model_backward(ps, a, 1.0f));
    GOLF_RETURN_IF_ERROR(optimizer_step(opt, ps, 1.0f, s));
    losses->push_back(loss);
  }
  return Status::Ok();
}

// A fresh training run: weights from wpath, the batch from bpath, activations and a new optimizer state.
struct TrainRun {
  ParamStore ps;
  Batch b;
  Activations a;
  OptimizerState opt;
};
static Status train_run_init(const std::string& wpath, const std::string& bpath, TrainRun* r) {
  GOLF_RETURN_IF_ERROR(param_store_load(wpath, &r->ps));
  GOLF_RETURN_IF_ERROR(batch_load(bpath, &r->b));
  GOLF_RETURN_IF_ERROR(activations_init(r->ps.layout.config, r->b.B, r->b.T, &r->a));
  return optimizer_init(r->ps.layout, OptimizerConfig(), &r->opt);
}

static Status cmd_train(const std::string& wpath, const std::string& bpath, int steps, const std::string& out) {
  TrainRun r;
  GOLF_RETURN_IF_ERROR(train_run_init(wpath, bpath, &r));
  ParamStore& ps = r.ps;
  std::vector<double> losses;
  GOLF_RETURN_IF_ERROR(train_steps(&ps, &r.opt, &r.a, r.b, 0, steps, &losses));
  std::vector<float> lf(losses.begin(), losses.end());
  std::string all;
  for (double l : losses) all += (all.empty() ? "" : ",") + fmt_double(l);
  std::vector<TensorRef> refs = layout_tensor_refs(ps.layout, ps.params, "param.");
  refs.push_back({"losses", TensorDtype::f32, {steps}, lf.data()});
  return tensor_file_write(out, refs, {{"golf.losses", all}});
}

static Status cmd_resume(const std::string& wpath, const std::string& bpath, int steps, int k, const std::string& tmp) {
  std::vector<double> straight, resumed;
  {
    TrainRun r;
    GOLF_RETURN_IF_ERROR(train_run_init(wpath, bpath, &r));
    GOLF_RETURN_IF_ERROR(train_steps(&r.ps, &r.opt, &r.a, r.b, 0, steps, &straight));
  }
  {
    TrainRun r;
    GOLF_RETURN_IF_ERROR(train_run_init(wpath, bpath, &r));
    GOLF_RETURN_IF_ERROR(train_steps(&r.ps, &r.opt, &r.a, r.b, 0, k, &resumed));
    std::vector<TensorRef> refs = layout_tensor_refs(r.ps.layout, r.ps.params);
    for (const TensorRef& t : optimizer_state_refs(r.opt)) refs.push_back(t);
    GOLF_RETURN_IF_ERROR(tensor_file_write(tmp, refs,
                                           {{"golf.config", model_config_to_json(r.ps.layout.config)},
                                            {"golf.adam_step", std::to_string(r.opt.adam_step)}}));
  }
  {
    ParamStore ps;
    GOLF_RETURN_IF_ERROR(param_store_load(tmp, &ps));
    TensorFile f;
    GOLF_RETURN_IF_ERROR(tensor_file_read(tmp, &f));
    OptimizerState opt;
    GOLF_RETURN_IF_ERROR(optimizer_init(ps.layout, OptimizerConfig(), &opt));
    GOLF_RETURN_IF_ERROR(optimizer_state_load(f, &opt));
    Batch b;
    GOLF_RETURN_IF_ERROR(batch_load(bpath, &b));
    Activations a;
    GOLF_RETURN_IF_ERROR(activations_init(ps.layout.config, b.B, b.T, &a));
    GOLF_RETURN_IF_ERROR(train_steps(&ps, &opt, &a, b, k, steps, &resumed));
  }
  bool same = straight.size() == resumed.size();
  for (size_t i = 0; same && i < straight.size(); i++) same = std::memcmp(&straight[i], &resumed[i], sizeof(double)) == 0;
  for (size_t i = 0; i < straight.size(); i++)
    std::printf("step %zu: straight %.9f resumed %.9f\n", i, straight[i], i < resumed.size() ? resumed[i] : -1.0);
  std::printf("resume after %d of %d steps bitwise identical: %s\n", k, steps, same ? "OK" : "NOT OK");
  return same ? Status::Ok() : Status(StatusCode::invalid_argument, "resumed run diverged from the straight run");
}

static Status cmd_init(const std::string& config_json, uint64_t seed, const std::string& out) {
  ModelConfig c;
  GOLF_RETURN_IF_ERROR(model_config_from_json(config_json, &c));
  ParamStore ps;
  GOLF_RETURN_IF_ERROR(param_store_init(c, &ps));
  params_init(&ps, seed);
  return params_save(out, ps);
}

static int usage() {
  std::fprintf(stderr,
               "usage: golf_train_cpu_parity [--threads N] grads|accum WEIGHTS BATCH OUT\n"
               "       golf_train_cpu_parity [--threads N] train WEIGHTS BATCHES STEPS OUT\n"
               "       golf_train_cpu_parity [--threads N] resume WEIGHTS BATCHES STEPS K TMPFILE\n"
               "       golf_train_cpu_parity init CONFIG_JSON SEED OUT\n");
  return 2;
}

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  int threads = 0;
  if (args.size() >= 2 && args[0] == "--threads") {
    threads = std::atoi(args[1].c_str());
    args.erase(args.begin(), args.begin() + 2);
  }
  threads_init(threads);
  if (args.empty()) return usage();
  const std::string& cmd = args[0];
  Status st;
  if ((cmd == "grads" || cmd == "accum") && args.size() == 4) st = cmd_grads(args[1], args[2], args[3], cmd == "accum");
  else if (cmd == "train" && args.size() == 5) st = cmd_train(args[1], args[2], std::atoi(args[3].c_str()), args[4]);
  else if (cmd == "resume" && args.size() == 6)
    st = cmd_resume(args[1], args[2], std::atoi(args[3].c_str()), std::atoi(args[4].c_str()), args[5]);
  else if (cmd == "init" && args.size() == 4) st = cmd_init(args[1], std::strtoull(args[2].c_str(), nullptr, 10), args[3]);
  else return usage();
  if (!st.ok()) {
    std::fprintf(stderr, "golf_train_cpu_parity: %s: %s\n", status_code_name(st.code()), st.message().c_str());
    return 1;
  }
  return 0;
}
