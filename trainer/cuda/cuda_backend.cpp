// cuda_backend.cpp: the "cuda" TrainBackend: device setup and arena, the step (micro-batches, optimizer, EMA),
// evaluation in chunks of the training micro-batch, host mirrors for checkpoints and exports. Under several ranks
// (BackendSetup::comm also a DeviceCollectives, i.e. NCCL) the last micro-batch's backward starts each layer's
// gradient average as soon as the layer is done, and Muon is sharded as on the CPU (cpu/optimizer_sharded.cpp).
#include "cuda_backend.h"

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "adam.h"           // defines: adam_update_multi, AdamTensor
#include "params/init.h"    // defines: params_init
#include "cpu/optimizer.h"  // defines: OptimizerState, optimizer_init, optimizer_group_lr, muon_momentum_at
#include "params/param_io.h"  // defines: layout_tensor_refs, params_load_buffer
#include "cpu/params.h"     // defines: ParamStore, param_store_init
#include "device_collectives.h"  // defines: DeviceCollectives
#include "params/grad_bucket_plan.h"  // defines: GradBucketPlan, grad_bucket_plan_build
#include "params/muon_shard_plan.h"   // defines: MuonShardPlan, muon_shard_plan_build
#include "cuda_common.h"    // defines: GOLF_CUDA_CHECK, Precision, bf16
#include "gemm.h"           // defines: GemmContext
#include "memory_plan.h"    // defines: MemoryPlan, memory_plan_build, memory_plan_check, memory_plan_text
#include "model.h"          // defines: DeviceModel, device_model_init, model_forward, model_backward
#include "muon.h"           // defines: newton_schulz5, MuonNsScratch, muon_ns_scratch_bytes
#include "muon_momentum.h"  // defines: muon_nesterov, muon_normalize, muon_apply
#include "step_timing.h"    // defines: StepTiming
#include "weights.h"        // defines: ema_update, weights_to_bf16

namespace golf::train_cuda {

using train::BackendSetup;
using train::MemoryReport;
using train::StepBatch;
using train_cpu::ParamGroup;
using train_cpu::ParamInfo;

namespace {

// Losses of at most this many micro-batches stay on the device before the step's one read-back.
constexpr int kMaxMicro = 1024;

template <typename T>
class CudaBackend final : public train::TrainBackend {
 public:
  CudaBackend(const BackendSetup& setup, DeviceCollectives* dp) : setup_(setup), dp_(dp) {
    if (dp_) rank_ = setup.comm->rank(), world_ = setup.comm->world_size();
  }
  ~CudaBackend() override {
    for (cudaEvent_t e : bucket_ready_) cudaEventDestroy(e);
    if (slab_ready_) cudaEventDestroy(slab_ready_);
    if (stream_) cudaStreamDestroy(stream_);
    if (arena_) cudaFree(arena_);
  }

  Status setup(int device, Precision precision) {
    device_ = device;
    precision_ = precision;
    GOLF_CUDA_CHECK(cudaSetDevice(device));
    cudaDeviceProp prop{};
    GOLF_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
    device_name_ = prop.name;
    MemoryPlanInput in;
    in.model = setup_.model;
    in.rows = setup_.train_rows;
    in.T = setup_.seq_len;
    in.act_bytes = (int)sizeof(T);
    in.ema = ema_on();
    in.max_micro = kMaxMicro;
    in.world = world_;
    GOLF_RETURN_IF_ERROR(memory_plan_build(in, &plan_));
    size_t free_bytes = 0, total_bytes = 0;
    GOLF_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
    free_at_plan_ = free_bytes;
    GOLF_RETURN_IF_ERROR(memory_plan_check(plan_, free_bytes, total_bytes, setup_.force_memory));
    cudaError_t e = cudaMalloc(&arena_, plan_.total);
    if (e != cudaSuccess) {
      cudaGetLastError();  // clear the sticky allocation error
      arena_ = nullptr;
      return Status(StatusCode::out_of_memory, memory_plan_oom_message(plan_, free_bytes, total_bytes));
    }
    GOLF_CUDA_CHECK(cudaMemset(arena_, 0, plan_.total));
    GOLF_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
    GOLF_RETURN_IF_ERROR(timing_.init());
    // cuBLASLt: one plan per shape of the step, in the arena's workspace.
    const MemoryRegion* ws = plan_.find("gemm.workspace");
    const int tokens = setup_.train_rows * setup_.seq_len;
    GOLF_RETURN_IF_ERROR(gemm_.init(
        precision, device_model_gemm_shapes(setup_.model, tokens, setup_.optimizer.muon_backend_steps), at(*ws),
        ws->bytes));
    GOLF_RETURN_IF_ERROR(device_model_init(plan_, arena_, &gemm_, &model_));
    // Muon's Newton–Schulz scratch: the plan's formula must be muon.h's.
    const MemoryRegion* ns = plan_.find("muon.ns_scratch");
    if (muon_ns_scratch_bytes(precision, plan_.muon_max_numel, plan_.muon_max_side) > ns->bytes)
      return Status(StatusCode::invalid_argument, "cuda backend: the memory plan's Newton-Schulz scratch is too small");
    muon_ns_scratch_point(at(*ns), precision, plan_.muon_max_numel, plan_.muon_max_side, &ns_);
    if (muon_scratch_doubles(plan_.muon_max_numel) * sizeof(double) > plan_.find("muon.sumsq")->bytes)
      return Status(StatusCode::invalid_argument, "cuda backend: the memory plan's Muon norm scratch is too small");
    momentum_ = static_cast<float*>(at(*plan_.find("muon.momentum")));
    adam_m_ = static_cast<float*>(at(*plan_.find("adam.m")));
    adam_v_ = static_cast<float*>(at(*plan_.find("adam.v")));
    muon_u_ = static_cast<float*>(at(*plan_.find("muon.u")));
    muon_sumsq_ = static_cast<double*>(at(*plan_.find("muon.sumsq")));
    if (ema_on()) ema_ = static_cast<float*>(at(*plan_.find("ema")));
    if (sizeof(T) == 2) wcopy_ = static_cast<bf16*>(at(*plan_.find("weights.bf16")));
    // Host mirrors: the parameters (init, checkpoints), the optimizer state in train_cpu's layout (checkpoint refs).
    GOLF_RETURN_IF_ERROR(train_cpu::param_store_init(setup_.model, &host_));
    GOLF_RETURN_IF_ERROR(train_cpu::optimizer_init(host_.layout, setup_.optimizer, &host_opt_));
    if (host_opt_.muon_total != plan_.muon_floats || host_opt_.adam_total != plan_.adam_floats)
      return Status(StatusCode::invalid_argument, "cuda backend: optimizer state layout differs from the CPU's");
    if (ema_on()) host_ema_.assign(host_.layout.total, 0.0f);
    if (world_ > 1) GOLF_RETURN_IF_ERROR(setup_data_parallel());
    // The arena's memset and the constant tables went through the legacy default stream, which a non-blocking
    // stream does not wait for: finish them before the first work on stream_.
    GOLF_CUDA_CHECK(cudaDeviceSynchronize());
    return Status::Ok();
  }

  std::string name() const override { return "cuda"; }
  std::string describe() const override {
    std::string d = "cuda:" + std::to_string(device_) + " " + device_name_ + ", " + precision_name(precision_) +
                     ", cuBLASLt";
    if (world_ > 1)
      d += ", data parallel over " + std::to_string(world_) + " ranks (" + std::to_string(buckets_.buckets.size()) +
           " gradient buckets), Muon sharded";
    return d;
  }
  const train_cpu::ParamLayout& layout() const override { return host_.layout; }
  std::string score_device() const override { return "cuda:" + std::to_string(device_); }
  bool step_phases(train::StepPhases* out) const override {
    *out = phases_;
    return phases_.step >= 0;
  }
  MemoryReport memory() const override {
    MemoryReport r;
    r.where = "cuda:" + std::to_string(device_) + " (" + device_name_ + ")";
    for (const std::string& g : plan_.groups()) r.items.push_back({g, plan_.group_bytes(g)});
    r.available = free_at_plan_;
    return r;
  }

  Status init_params(uint64_t seed, const train_cpu::InitOptions& init) override {
    train_cpu::params_init(&host_, seed, init);
    if (setup_.comm) GOLF_RETURN_IF_ERROR(setup_.comm->broadcast(host_.params, host_.layout.total * sizeof(float), 0));
    GOLF_RETURN_IF_ERROR(upload(model_.params, host_.params, host_.layout.total));
    GOLF_CUDA_CHECK(cudaMemsetAsync(momentum_, 0, plan_.muon_floats * sizeof(float), stream_));
    GOLF_CUDA_CHECK(cudaMemsetAsync(adam_m_, 0, plan_.adam_floats * sizeof(float), stream_));
    GOLF_CUDA_CHECK(cudaMemsetAsync(adam_v_, 0, plan_.adam_floats * sizeof(float), stream_));
    adam_step_ = 0;
    if (ema_on())
      GOLF_CUDA_CHECK(cudaMemcpyAsync(ema_, model_.params, host_.layout.total * sizeof(float),
                                      cudaMemcpyDeviceToDevice, stream_));
    GOLF_RETURN_IF_ERROR(refresh_weights());
    GOLF_CUDA_CHECK(cudaStreamSynchronize(stream_));
    return Status::Ok();
  }

  Status train_step(const StepBatch& batch, double lr_mul, int64_t step, double* loss,
                    bool (*should_stop)()) override {
    if (batch.rows != setup_.train_rows || batch.T != setup_.seq_len || batch.micro < 1 || batch.micro > kMaxMicro)
      return Status(StatusCode::invalid_argument,
                    "train_step (cuda): the batch must be " + std::to_string(setup_.train_rows) + " x " +
                        std::to_string(setup_.seq_len) + " per micro-batch, 1.." + std::to_string(kMaxMicro) +
                        " micro-batches (the GEMMs are planned for that shape)");
    if (setup_.grad_clip_norm > 0)
      return Status(StatusCode::unsupported, "train_step (cuda): gradient clipping is not implemented on the GPU yet");
    const size_t total = host_.layout.total, micro_tokens = (size_t)batch.rows * batch.T;
    GOLF_RETURN_IF_ERROR(timing_.begin(stream_));
    GOLF_CUDA_CHECK(cudaMemsetAsync(model_.grads, 0, total * sizeof(float), stream_));
    for (int m = 0; m < batch.micro; m++) {
      if (m > 0 && should_stop && should_stop()) {
        GOLF_CUDA_CHECK(cudaStreamSynchronize(stream_));
        return Status(StatusCode::cancelled, "train_step: stopped between micro-batches");
      }
      GOLF_RETURN_IF_ERROR(model_forward(&model_, batch.x + m * micro_tokens, batch.y + m * micro_tokens, batch.rows,
                                         batch.T, model_.losses + m, nullptr, 1.0f / (float)batch.micro, stream_));
      if (world_ > 1 && m == batch.micro - 1) {
        // The last micro-batch completes the gradients: each layer's average starts as soon as its backward is done.
        GOLF_RETURN_IF_ERROR(model_backward(&model_, stream_, [this](int l) { return all_reduce_bucket(layer_bucket_[l]); }));
        for (size_t b = 0; b < buckets_.buckets.size(); b++)
          if (buckets_.buckets[b].layer < 0) GOLF_RETURN_IF_ERROR(all_reduce_bucket((int)b));
        GOLF_RETURN_IF_ERROR(timing_.mark(StepTiming::backward_done, stream_));
        GOLF_RETURN_IF_ERROR(dp_->join(stream_));
      } else {
        GOLF_RETURN_IF_ERROR(model_backward(&model_, stream_));
      }
    }
    GOLF_RETURN_IF_ERROR(timing_.mark(StepTiming::backward_done, stream_));  // one GPU: nothing to join
    GOLF_RETURN_IF_ERROR(timing_.mark(StepTiming::joined, stream_));
    GOLF_RETURN_IF_ERROR(optimizer_step((float)lr_mul, step));
    GOLF_RETURN_IF_ERROR(timing_.mark(StepTiming::optimized, stream_));
    if (ema_on()) {
      // As the CPU backend: until ema_start_step steps are done the EMA follows the parameters, then averages them.
      if (step + 1 <= setup_.ema_start_step)
        GOLF_CUDA_CHECK(cudaMemcpyAsync(ema_, model_.params, total * sizeof(float), cudaMemcpyDeviceToDevice, stream_));
      else
        GOLF_RETURN_IF_ERROR(ema_update(ema_, model_.params, total, setup_.ema_decay, stream_));
    }
    GOLF_RETURN_IF_ERROR(timing_.mark(StepTiming::end, stream_));
    // The step's one host synchronisation: the micro-batches' losses.
    std::vector<double> losses(batch.micro);
    GOLF_CUDA_CHECK(cudaMemcpyAsync(losses.data(), model_.losses, batch.micro * sizeof(double),
                                    cudaMemcpyDeviceToHost, stream_));
    GOLF_CUDA_CHECK(cudaStreamSynchronize(stream_));
    GOLF_RETURN_IF_ERROR(timing_.read(&phases_));
    double sum = 0;
    for (double l : losses) sum += l;  // in micro-batch order, as the CPU backend
    if (world_ > 1) GOLF_RETURN_IF_ERROR(setup_.comm->all_reduce_sum(&sum, 1));
    *loss = sum / ((double)batch.micro * world_);
    return Status::Ok();
  }

  Status eval_nll(const int32_t* ids, const int32_t* targets, int B, int T_, float* nll, bool use_ema) override {
    if (T_ != setup_.seq_len || B < 1)
      return Status(StatusCode::invalid_argument, "eval_nll (cuda): sequences must be " +
                                                      std::to_string(setup_.seq_len) + " tokens (the planned GEMMs)");
    const bool ema = use_ema && ema_on();
    if (ema) GOLF_RETURN_IF_ERROR(point_weights(ema_));
    // Chunks of the training micro-batch (the shape the GEMMs are planned for); the last one padded with token 0.
    const int rows = setup_.train_rows;
    std::vector<int32_t> xi((size_t)rows * T_, 0), yi((size_t)rows * T_, 0);
    Status st;
    for (int b = 0; b < B && st.ok(); b += rows) {
      const int n = std::min(rows, B - b);
      std::memcpy(xi.data(), ids + (size_t)b * T_, (size_t)n * T_ * sizeof(int32_t));
      std::memcpy(yi.data(), targets + (size_t)b * T_, (size_t)n * T_ * sizeof(int32_t));
      std::fill(xi.begin() + (size_t)n * T_, xi.end(), 0);
      std::fill(yi.begin() + (size_t)n * T_, yi.end(), 0);
      st = model_forward(&model_, xi.data(), yi.data(), rows, T_, nullptr, model_.nll, 0.0f, stream_);
      if (!st.ok()) break;
      cudaError_t e = cudaMemcpyAsync(nll + (size_t)b * T_, model_.nll, (size_t)n * T_ * sizeof(float),
                                      cudaMemcpyDeviceToHost, stream_);
      if (e == cudaSuccess) e = cudaStreamSynchronize(stream_);
      if (e != cudaSuccess) st = cuda_error_status(e, "eval_nll read-back", __FILE__, __LINE__);
    }
    if (ema) GOLF_RETURN_IF_ERROR(point_weights(master()));
    return st;
  }

  Status params_to_host(float* dst, bool ema) override {
    const float* src = ema && ema_on() ? ema_ : master();
    GOLF_CUDA_CHECK(cudaMemcpyAsync(dst, src, host_.layout.total * sizeof(float), cudaMemcpyDeviceToHost, stream_));
    GOLF_CUDA_CHECK(cudaStreamSynchronize(stream_));
    return Status::Ok();
  }

  Status checkpoint_gather() override {
    // Only the owners keep their matrices' momentum current: each sends its own to every rank (rank 0 writes it),
    // and the device copy is replaced by the gathered one, which checkpoint_refs reads.
    if (world_ == 1) return Status::Ok();
    GOLF_RETURN_IF_ERROR(download(host_opt_.muon_momentum, momentum_, plan_.muon_floats));
    for (size_t i = 0; i < host_.layout.tensors.size(); i++) {
      if (shards_.owner[i] < 0) continue;
      GOLF_RETURN_IF_ERROR(setup_.comm->broadcast(host_opt_.muon_momentum + host_opt_.state_offset[i],
                                                  host_.layout.tensors[i].numel * sizeof(float), shards_.owner[i]));
    }
    return upload(momentum_, host_opt_.muon_momentum, plan_.muon_floats);
  }

  Status checkpoint_refs(std::vector<train_cpu::TensorRef>* refs,
                         std::map<std::string, std::string>* metadata) override {
    GOLF_RETURN_IF_ERROR(download(host_.params, master(), host_.layout.total));
    GOLF_RETURN_IF_ERROR(download(host_opt_.muon_momentum, momentum_, plan_.muon_floats));
    GOLF_RETURN_IF_ERROR(download(host_opt_.adam_m, adam_m_, plan_.adam_floats));
    GOLF_RETURN_IF_ERROR(download(host_opt_.adam_v, adam_v_, plan_.adam_floats));
    host_opt_.adam_step = adam_step_;
    *refs = train_cpu::layout_tensor_refs(host_.layout, host_.params, "param.");
    for (const train_cpu::TensorRef& r : train_cpu::optimizer_state_refs(host_opt_)) refs->push_back(r);
    if (ema_on()) {
      GOLF_RETURN_IF_ERROR(download(host_ema_.data(), ema_, host_.layout.total));
      for (const train_cpu::TensorRef& r : train_cpu::layout_tensor_refs(host_.layout, host_ema_.data(), "ema."))
        refs->push_back(r);
    }
    (*metadata)["golf.adam_step"] = std::to_string(adam_step_);
    (*metadata)["golf.backend"] = "cuda";
    (*metadata)["golf.precision"] = precision_name(precision_);
    return Status::Ok();
  }

  Status checkpoint_load(const train_cpu::TensorFile& file) override {
    GOLF_RETURN_IF_ERROR(train_cpu::params_load_buffer(file, host_.layout, host_.params, "param."));
    GOLF_RETURN_IF_ERROR(train_cpu::optimizer_state_load(file, &host_opt_));
    if (ema_on()) {
      if (!file.find("ema." + host_.layout.tensors[0].name))
        return Status(StatusCode::invalid_argument,
                      "the checkpoint holds no EMA weights (ema.*): it was written with --ema-decay 0");
      GOLF_RETURN_IF_ERROR(train_cpu::params_load_buffer(file, host_.layout, host_ema_.data(), "ema."));
      GOLF_RETURN_IF_ERROR(upload(ema_, host_ema_.data(), host_.layout.total));
    }
    GOLF_RETURN_IF_ERROR(upload(master(), host_.params, host_.layout.total));
    GOLF_RETURN_IF_ERROR(upload(momentum_, host_opt_.muon_momentum, plan_.muon_floats));
    GOLF_RETURN_IF_ERROR(upload(adam_m_, host_opt_.adam_m, plan_.adam_floats));
    GOLF_RETURN_IF_ERROR(upload(adam_v_, host_opt_.adam_v, plan_.adam_floats));
    adam_step_ = host_opt_.adam_step;
    GOLF_RETURN_IF_ERROR(refresh_weights());
    GOLF_CUDA_CHECK(cudaStreamSynchronize(stream_));
    return Status::Ok();
  }

 private:
  bool ema_on() const { return setup_.ema_decay > 0; }
  void* at(const MemoryRegion& r) const { return static_cast<char*>(arena_) + r.offset; }
  float* master() const { return static_cast<float*>(at(*plan_.find("weights.master"))); }

  Status upload(float* dst, const float* src, size_t n) {
    GOLF_CUDA_CHECK(cudaMemcpyAsync(dst, src, n * sizeof(float), cudaMemcpyHostToDevice, stream_));
    GOLF_CUDA_CHECK(cudaStreamSynchronize(stream_));  // src is the caller's host memory
    return Status::Ok();
  }
  Status download(float* dst, const float* src, size_t n) {
    GOLF_CUDA_CHECK(cudaMemcpyAsync(dst, src, n * sizeof(float), cudaMemcpyDeviceToHost, stream_));
    GOLF_CUDA_CHECK(cudaStreamSynchronize(stream_));
    return Status::Ok();
  }

  // The GEMMs' weights from the fp32 weights the model points at (bf16: the rounded copy; fp32: the weights).
  Status refresh_weights() {
    if constexpr (sizeof(T) == 2) return weights_to_bf16(wcopy_, model_.params, host_.layout.total, stream_);
    return Status::Ok();
  }
  // The model reads `weights` (the master, or the EMA for an evaluation) from now on.
  Status point_weights(float* weights) {
    model_.params = weights;
    train_cpu::model_params_point(host_.layout, weights, &model_.p);
    if constexpr (sizeof(T) == 4) model_.weights = reinterpret_cast<const T*>(weights);
    return refresh_weights();
  }

  // Data parallelism: the gradient buckets with an event each, the Muon shards and their slabs in the arena.
  Status setup_data_parallel() {
    GOLF_RETURN_IF_ERROR(train_cpu::grad_bucket_plan_build(host_.layout, &buckets_));
    layer_bucket_.assign((size_t)setup_.model.num_layers, -1);
    for (size_t b = 0; b < buckets_.buckets.size(); b++) {
      const int l = buckets_.buckets[b].layer;
      if (l >= 0 && l < setup_.model.num_layers) layer_bucket_[(size_t)l] = (int)b;
    }
    for (int b : layer_bucket_)
      if (b < 0) return Status(StatusCode::invalid_argument, "cuda backend: a layer has no gradient bucket");
    bucket_ready_.assign(buckets_.buckets.size(), nullptr);
    for (cudaEvent_t& e : bucket_ready_) GOLF_CUDA_CHECK(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
    GOLF_CUDA_CHECK(cudaEventCreateWithFlags(&slab_ready_, cudaEventDisableTiming));
    GOLF_RETURN_IF_ERROR(train_cpu::muon_shard_plan_build(host_.layout, world_, &shards_));
    const MemoryRegion* slabs = plan_.find("muon.slabs");
    if (!slabs || shards_.slab_floats != plan_.muon_slab_elems)
      return Status(StatusCode::invalid_argument, "cuda backend: the memory plan's Muon slabs differ from the shards");
    slabs_ = static_cast<T*>(at(*slabs));
    return Status::Ok();
  }

  // Bucket b's average over the ranks, queued on the communicator's stream after what stream_ has done so far.
  Status all_reduce_bucket(int b) {
    GOLF_RETURN_IF_ERROR(timing_.mark(StepTiming::first_bucket, stream_));
    GOLF_CUDA_CHECK(cudaEventRecord(bucket_ready_[(size_t)b], stream_));
    return dp_->all_reduce_avg_bucket(model_.grads, buckets_.buckets[(size_t)b], bucket_ready_[(size_t)b]);
  }

  // One Muon matrix's direction X (T, rows x cols, in the Newton–Schulz scratch) from its gradient and momentum.
  Status muon_direction(size_t i, float mu, T** X) {
    const ParamInfo& t = host_.layout.tensors[i];
    GOLF_RETURN_IF_ERROR(muon_nesterov(muon_u_, momentum_ + host_opt_.state_offset[i], model_.grads + t.offset,
                                       t.numel, mu, muon_sumsq_, stream_));
    GOLF_RETURN_IF_ERROR(muon_normalize(static_cast<T*>(ns_.x), muon_u_, t.numel, muon_sumsq_, stream_));
    return newton_schulz5((int)t.shape[0], (int)t.shape[1], setup_.optimizer.muon_backend_steps, &ns_, X, gemm_,
                          stream_);
  }

  // Sharded Muon (muon_shard_plan.h): this rank's matrices into its slab, one in-place all-gather of the slabs,
  // then every rank applies every matrix's update, so all ranks keep equal parameters.
  Status muon_step_sharded(float lr_mul, float mu) {
    const train_cpu::OptimizerConfig& oc = setup_.optimizer;
    const size_t slab = plan_.muon_slab_elems;
    T* mine = slabs_ + (size_t)rank_ * slab;
    for (size_t i : shards_.owned[(size_t)rank_]) {
      T* X = nullptr;
      GOLF_RETURN_IF_ERROR(muon_direction(i, mu, &X));
      GOLF_CUDA_CHECK(cudaMemcpyAsync(mine + shards_.slab_offset[i], X, host_.layout.tensors[i].numel * sizeof(T),
                                      cudaMemcpyDeviceToDevice, stream_));
    }
    GOLF_CUDA_CHECK(cudaEventRecord(slab_ready_, stream_));
    GOLF_RETURN_IF_ERROR(timing_.mark(StepTiming::muon_ready, stream_));
    GOLF_RETURN_IF_ERROR(dp_->all_gather_bytes(mine, slabs_, slab * sizeof(T), slab_ready_));
    GOLF_RETURN_IF_ERROR(dp_->join(stream_));
    for (size_t i = 0; i < host_.layout.tensors.size(); i++) {
      const ParamInfo& t = host_.layout.tensors[i];
      if (t.group != ParamGroup::muon) continue;
      const float lr = train_cpu::optimizer_group_lr(oc, t.group, setup_.model.tie_embeddings) * lr_mul;
      const T* X = slabs_ + (size_t)shards_.owner[i] * slab + shards_.slab_offset[i];
      GOLF_RETURN_IF_ERROR(muon_apply(master() + t.offset, X, (int)t.shape[0], (int)t.shape[1], lr, stream_));
    }
    return Status::Ok();
  }

  // train_cpu::optimizer_step on the device: Muon per matrix (layout order; each matrix's arithmetic is the
  // same whatever the order; sharded over the ranks when there are several), then one multi-tensor Adam launch,
  // then the bf16 copy of the updated weights.
  Status optimizer_step(float lr_mul, int64_t step) {
    const train_cpu::OptimizerConfig& oc = setup_.optimizer;
    const bool tied = setup_.model.tie_embeddings;
    const float mu = train_cpu::muon_momentum_at(oc, step);
    adam_step_++;
    float* params = master();
    if (world_ > 1) GOLF_RETURN_IF_ERROR(muon_step_sharded(lr_mul, mu));
    std::vector<AdamTensor> adam;
    for (size_t i = 0; i < host_.layout.tensors.size(); i++) {
      const ParamInfo& t = host_.layout.tensors[i];
      const float lr = train_cpu::optimizer_group_lr(oc, t.group, tied) * lr_mul;
      const size_t so = host_opt_.state_offset[i];
      if (t.group == ParamGroup::muon) {
        if (world_ > 1) continue;  // done above
        T* X = nullptr;
        GOLF_RETURN_IF_ERROR(muon_direction(i, mu, &X));
        GOLF_RETURN_IF_ERROR(muon_apply(params + t.offset, X, (int)t.shape[0], (int)t.shape[1], lr, stream_));
      } else {
        AdamTensor a;
        a.p = params + t.offset;
        a.m = adam_m_ + so;
        a.v = adam_v_ + so;
        a.g = model_.grads + t.offset;
        a.n = t.numel;
        a.lr = lr;
        adam.push_back(a);
      }
    }
    GOLF_RETURN_IF_ERROR(
        adam_update_multi(adam.data(), (int)adam.size(), oc.beta1, oc.beta2, oc.adam_eps, adam_step_, stream_));
    return refresh_weights();
  }

  BackendSetup setup_;
  DeviceCollectives* dp_ = nullptr;  // world > 1: the device collectives (NCCL); not owned
  int rank_ = 0, world_ = 1;
  int device_ = 0;
  Precision precision_ = Precision::bf16;
  std::string device_name_;
  MemoryPlan plan_;
  size_t free_at_plan_ = 0;
  void* arena_ = nullptr;
  cudaStream_t stream_ = nullptr;
  GemmContext gemm_;
  DeviceModel<T> model_;
  MuonNsScratch ns_;
  float *momentum_ = nullptr, *adam_m_ = nullptr, *adam_v_ = nullptr, *muon_u_ = nullptr, *ema_ = nullptr;
  double* muon_sumsq_ = nullptr;
  bf16* wcopy_ = nullptr;
  int64_t adam_step_ = 0;
  train_cpu::ParamStore host_;
  train_cpu::OptimizerState host_opt_;
  std::vector<float> host_ema_;
  // Data parallelism (world > 1).
  train_cpu::GradBucketPlan buckets_;
  std::vector<int> layer_bucket_;            // per block: its bucket's index
  std::vector<cudaEvent_t> bucket_ready_;    // per bucket: its gradients are final on stream_
  train_cpu::MuonShardPlan shards_;
  T* slabs_ = nullptr;                       // (world, muon_slab_elems) Muon updates, from the arena
  cudaEvent_t slab_ready_ = nullptr;
  StepTiming timing_;           // the phase marks of each step
  train::StepPhases phases_;    // the last step's, read after its synchronisation
};

Status parse_device(const std::string& text, int* device) {
  if (text.empty()) {
    *device = 0;
    return Status::Ok();
  }
  const std::string prefix = "cuda:";
  if (text.rfind(prefix, 0) == 0 && text.size() > prefix.size() && text.size() < prefix.size() + 4 &&
      text.find_first_not_of("0123456789", prefix.size()) == std::string::npos) {
    *device = std::stoi(text.substr(prefix.size()));
    return Status::Ok();
  }
  return Status(StatusCode::invalid_argument, "--device " + text + ": expected cuda:N");
}

template <typename T>
Status make_typed(const BackendSetup& setup, DeviceCollectives* dp, int device, Precision p,
                  std::unique_ptr<train::TrainBackend>* out) {
  auto b = std::make_unique<CudaBackend<T>>(setup, dp);
  GOLF_RETURN_IF_ERROR(b->setup(device, p));
  *out = std::move(b);
  return Status::Ok();
}

}  // namespace

Status make_cuda_backend(const BackendSetup& setup, std::unique_ptr<train::TrainBackend>* out) {
  DeviceCollectives* dp = nullptr;
  if (setup.comm && setup.comm->world_size() > 1) {
    dp = dynamic_cast<DeviceCollectives*>(setup.comm);
    if (!dp)
      return Status(StatusCode::unsupported,
                    "--backend cuda over " + std::to_string(setup.comm->world_size()) + " ranks needs the NCCL "
                    "communicator, and this one is " + setup.comm->describe() + ": launch with golf-train --gpus N, "
                    "torchrun-style variables, or mpirun with --comm auto");
  }
  Precision p;
  GOLF_RETURN_IF_ERROR(precision_parse(setup.precision, &p));
  int device = 0;
  GOLF_RETURN_IF_ERROR(parse_device(setup.device, &device));
  // Each rank of several drives its local GPU, which the communicator already selected; a --device stored by a
  // one-GPU run that is resumed on several does not apply to them.
  if (dp) device = dp->device();
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess || count == 0)
    return Status(StatusCode::unsupported, std::string("--backend cuda: no usable GPU (") +
                                               (e != cudaSuccess ? cudaGetErrorString(e) : "no device") +
                                               "); use --backend cpu");
  if (device >= count)
    return Status(StatusCode::invalid_argument, "--device cuda:" + std::to_string(device) + ": this machine has " +
                                                    std::to_string(count) + " GPU(s)");
  if (p == Precision::fp32) return make_typed<float>(setup, dp, device, p, out);
  return make_typed<bf16>(setup, dp, device, p, out);
}

}  // namespace golf::train_cuda
