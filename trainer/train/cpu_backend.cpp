// cpu_backend.cpp: the "cpu" TrainBackend (see cpu_backend.h): each call is the trainer/cpu code the loop used to
// call itself, in the same order, so runs are bit-identical to those before the backend interface existed.
#include "cpu_backend.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "checkpoint.h"     // defines: checkpoint_restore
#include "cpu/matmul.h"     // defines: threads_count
#include "cpu/model.h"      // defines: Activations, activations_init, activations_bytes, model_forward/backward
#include "cpu/optimizer.h"  // defines: OptimizerState, optimizer_init, optimizer_step, optimizer_state_refs
#include "cpu/params.h"     // defines: ParamStore, param_store_init
#include "text_format.h"    // defines: strprintf

namespace golf::train {

using train_cpu::ParamInfo;
using train_cpu::ParamLayout;
using train_cpu::ParamStore;

void ema_update(float* ema, const float* param, size_t n, float decay) {
  const float keep = decay, take = 1.0f - decay;
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < n; i++) ema[i] = keep * ema[i] + take * param[i];
}

MemoryReport cpu_backend_memory_plan(const BackendSetup& s) {
  MemoryReport r;
  r.where = "host";
  ParamLayout layout;
  if (!train_cpu::param_layout_build(s.model, &layout).ok()) return r;
  const size_t P = layout.total * sizeof(float);
  // Optimizer state as optimizer_init lays it out: Muon momentum, Adam m and v, each tensor padded to 16 floats;
  // plus one Muon scratch per thread (two matrices and two Gram squares of the largest Muon tensor).
  size_t muon = 0, adam = 0, max_numel = 1, max_side = 1;
  for (const ParamInfo& t : layout.tensors) {
    const size_t padded = (t.numel + 15) & ~size_t(15);
    if (t.group == train_cpu::ParamGroup::muon) {
      muon += padded;
      max_numel = std::max(max_numel, t.numel);
      max_side = std::max(max_side, (size_t)std::min(t.shape[0], t.shape[1]));
    } else {
      adam += padded;
    }
  }
  const size_t xs = (max_numel + 15) & ~size_t(15), as = (max_side * max_side + 15) & ~size_t(15);
  r.items.push_back({"weights", P});
  r.items.push_back({"grads", P});
  r.items.push_back({"optimizer", (muon + 2 * adam) * sizeof(float)});
  if (s.ema_decay > 0) r.items.push_back({"ema", P});
  r.items.push_back({"activations", train_cpu::activations_bytes(s.model, s.train_rows, s.seq_len, true)});
  r.items.push_back({"eval activations", train_cpu::activations_bytes(s.model, s.eval_rows, s.seq_len, false)});
  r.items.push_back({"workspace", (2 * xs + 2 * as) * sizeof(float) * (size_t)omp_get_max_threads()});
  return r;
}

namespace {

class CpuBackend final : public TrainBackend {
 public:
  explicit CpuBackend(const BackendSetup& setup) : setup_(setup) {}

  Status allocate() {
    GOLF_RETURN_IF_ERROR(train_cpu::param_store_init(setup_.model, &ps_));
    GOLF_RETURN_IF_ERROR(train_cpu::optimizer_init(ps_.layout, setup_.optimizer, &opt_));
    Status st = train_cpu::activations_init(setup_.model, setup_.train_rows, setup_.seq_len, &train_acts_, true);
    if (!st.ok()) {
      const int64_t tokens = (int64_t)setup_.train_rows * setup_.seq_len;
      return st.prefix("activations for a micro-batch of " + std::to_string(tokens) +
                       " tokens: raise --grad-accum to make it smaller: ");
    }
    GOLF_RETURN_IF_ERROR(
        train_cpu::activations_init(setup_.model, setup_.eval_rows, setup_.seq_len, &eval_acts_, false));
    if (world() > 1) {
      // Sharded Muon: this rank runs Newton-Schulz only for the matrices it owns (muon_shard_plan.h).
      GOLF_RETURN_IF_ERROR(train_cpu::muon_shard_plan_build(ps_.layout, world(), &shard_plan_));
      shard_slabs_.assign(shard_plan_.slab_floats * (size_t)world(), 0.0f);
    }
    if (ema_on()) {
      // Parameters only: the EMA weights are read by forwards, never differentiated.
      ema_.layout = ps_.layout;
      if (!ema_.param_mem.allocate(ps_.layout.total * sizeof(float)))
        return Status(StatusCode::out_of_memory, "EMA weights: cannot allocate " +
                                                     std::to_string(ps_.layout.total * sizeof(float)) + " bytes");
      ema_.params = (float*)ema_.param_mem.data();
      train_cpu::model_params_point(ema_.layout, ema_.params, &ema_.p);
    }
    return Status::Ok();
  }

  std::string name() const override { return "cpu"; }
  std::string describe() const override {
    std::string d = strprintf("cpu, fp32, %d threads", train_cpu::threads_count());
    if (world() > 1) d += strprintf(", Muon sharded over %d ranks", world());
    return d;
  }
  const ParamLayout& layout() const override { return ps_.layout; }
  MemoryReport memory() const override {
    MemoryReport r = cpu_backend_memory_plan(setup_);
    r.available = host_memory_available();
    return r;
  }

  Status init_params(uint64_t seed, const train_cpu::InitOptions& init) override {
    train_cpu::params_init(&ps_, seed, init);
    // Every rank initializes identically from the seed; the broadcast makes that a guarantee, not an assumption.
    if (setup_.comm) GOLF_RETURN_IF_ERROR(setup_.comm->broadcast(ps_.params, ps_.layout.total * sizeof(float), 0));
    // The optimizer state of a fresh optimizer_init (its buffers start zeroed).
    std::memset(opt_.muon_momentum, 0, opt_.muon_total * sizeof(float));
    std::memset(opt_.adam_m, 0, opt_.adam_total * sizeof(float));
    std::memset(opt_.adam_v, 0, opt_.adam_total * sizeof(float));
    opt_.adam_step = 0;
    if (ema_on()) std::memcpy(ema_.params, ps_.params, ps_.layout.total * sizeof(float));
    return Status::Ok();
  }

  Status train_step(const StepBatch& batch, double lr_mul, int64_t step, double* loss,
                    bool (*should_stop)()) override {
    if (batch.rows > setup_.train_rows || batch.T != setup_.seq_len || batch.micro < 1)
      return Status(StatusCode::invalid_argument, "train_step: the batch does not match the backend's setup");
    train_cpu::param_store_zero_grads(&ps_);
    const size_t micro_tokens = (size_t)batch.rows * batch.T;
    double loss_sum = 0;
    for (int micro = 0; micro < batch.micro; micro++) {
      if (micro > 0 && should_stop && should_stop())
        return Status(StatusCode::cancelled, "train_step: stopped between micro-batches");
      double micro_loss = 0;
      GOLF_RETURN_IF_ERROR(train_cpu::model_forward(ps_, &train_acts_, batch.x + micro * micro_tokens,
                                                    batch.y + micro * micro_tokens, batch.rows, batch.T,
                                                    &micro_loss));
      GOLF_RETURN_IF_ERROR(train_cpu::model_backward(&ps_, &train_acts_, 1.0f / (float)batch.micro));
      loss_sum += micro_loss;
    }
    const int world = setup_.comm ? setup_.comm->world_size() : 1;
    if (world > 1) {
      GOLF_RETURN_IF_ERROR(setup_.comm->all_reduce_avg(ps_.grads, ps_.layout.total));
      GOLF_RETURN_IF_ERROR(setup_.comm->all_reduce_sum(&loss_sum, 1));
    }
    *loss = loss_sum / ((double)batch.micro * world);
    if (setup_.grad_clip_norm > 0) {
      // torch.nn.utils.clip_grad_norm_: scale by max_norm / (norm + 1e-6) when that is below 1.
      double sq = 0;
      for (size_t i = 0; i < ps_.layout.total; i++) sq += (double)ps_.grads[i] * ps_.grads[i];
      const double coef = setup_.grad_clip_norm / (std::sqrt(sq) + 1e-6);
      if (coef < 1.0) {
        for (size_t i = 0; i < ps_.layout.total; i++) ps_.grads[i] *= (float)coef;
      }
    }
    if (world > 1)
      GOLF_RETURN_IF_ERROR(train_cpu::optimizer_step_sharded(
          &opt_, &ps_, (float)lr_mul, step, shard_plan_, setup_.comm->rank(), shard_slabs_.data(),
          [this](float* slabs, size_t slab_floats) {
            return setup_.comm->all_gather(slabs, slab_floats * sizeof(float));
          }));
    else
      GOLF_RETURN_IF_ERROR(train_cpu::optimizer_step(&opt_, &ps_, (float)lr_mul, step));
    if (ema_on()) {
      // Until ema_start_step steps are done the EMA follows the parameters; then it averages them.
      if (step + 1 <= setup_.ema_start_step)
        std::memcpy(ema_.params, ps_.params, ps_.layout.total * sizeof(float));
      else
        ema_update(ema_.params, ps_.params, ps_.layout.total, setup_.ema_decay);
    }
    return Status::Ok();
  }

  Status eval_nll(const int32_t* ids, const int32_t* targets, int B, int T, float* nll, bool use_ema) override {
    double loss = 0;
    return train_cpu::model_forward(use_ema && ema_on() ? ema_ : ps_, &eval_acts_, ids, targets, B, T, &loss, nll);
  }

  Status params_to_host(float* dst, bool ema) override {
    std::memcpy(dst, ema && ema_on() ? ema_.params : ps_.params, ps_.layout.total * sizeof(float));
    return Status::Ok();
  }

  Status checkpoint_refs(std::vector<train_cpu::TensorRef>* refs,
                         std::map<std::string, std::string>* metadata) override {
    *refs = train_cpu::layout_tensor_refs(ps_.layout, ps_.params, "param.");
    for (const train_cpu::TensorRef& r : train_cpu::optimizer_state_refs(opt_)) refs->push_back(r);
    if (ema_on()) {
      for (const train_cpu::TensorRef& r : train_cpu::layout_tensor_refs(ps_.layout, ema_.params, "ema."))
        refs->push_back(r);
    }
    (*metadata)["golf.adam_step"] = std::to_string(opt_.adam_step);
    (*metadata)["golf.backend"] = "cpu";
    (*metadata)["golf.precision"] = "fp32";
    return Status::Ok();
  }

  Status checkpoint_gather() override {
    // Only owners keep their matrices' momentum current; each sends it to the others (rank 0 writes the file).
    if (world() == 1) return Status::Ok();
    for (size_t i = 0; i < ps_.layout.tensors.size(); i++) {
      if (shard_plan_.owner[i] < 0) continue;
      GOLF_RETURN_IF_ERROR(setup_.comm->broadcast(opt_.muon_momentum + opt_.state_offset[i],
                                                  ps_.layout.tensors[i].numel * sizeof(float), shard_plan_.owner[i]));
    }
    return Status::Ok();
  }

  Status checkpoint_load(const train_cpu::TensorFile& file) override {
    GOLF_RETURN_IF_ERROR(checkpoint_restore(file, &ps_, &opt_));
    if (ema_on()) {
      if (!file.find("ema." + ps_.layout.tensors[0].name)) {
        return Status(StatusCode::invalid_argument,
                      "the checkpoint holds no EMA weights (ema.*): it was written with --ema-decay 0");
      }
      GOLF_RETURN_IF_ERROR(train_cpu::params_load_buffer(file, ps_.layout, ema_.params, "ema."));
    }
    return Status::Ok();
  }

 private:
  bool ema_on() const { return setup_.ema_decay > 0; }
  int world() const { return setup_.comm ? setup_.comm->world_size() : 1; }

  BackendSetup setup_;
  ParamStore ps_;
  train_cpu::OptimizerState opt_;
  train_cpu::Activations train_acts_, eval_acts_;
  ParamStore ema_;  // the EMA weights (params and their views only; no gradients)
  train_cpu::MuonShardPlan shard_plan_;  // world > 1: which rank owns each Muon matrix
  std::vector<float> shard_slabs_;       // (world, slab_floats) the all-gathered Muon directions
};

}  // namespace

Status make_cpu_backend(const BackendSetup& setup, std::unique_ptr<TrainBackend>* out) {
  auto b = std::make_unique<CpuBackend>(setup);
  GOLF_RETURN_IF_ERROR(b->allocate());
  *out = std::move(b);
  return Status::Ok();
}

}  // namespace golf::train
