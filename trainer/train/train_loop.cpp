// train_loop.cpp: the training loop of train_gpt.py (challenge.md §1.5) over a TrainBackend: each iteration first
// validates (every val_loss_every steps and at the end), then checkpoints (on cadence, at the end, on a signal),
// then takes one optimizer step of grad_accum micro-batches with the gradients averaged over ranks.
// A stop signal in a single process is also polled inside validations and between micro-batches: the interrupted
// validation or step is dropped, and the checkpoint is that of the step's start.
//
// Time: training_time_ms counts only the steps. It advances at the end of each step, by the time since the
// previous step ended (or since the last validation/checkpoint finished), and is agreed across ranks with an
// all-reduce MAX together with the stop flags, so every rank computes the same lr_mul and stops at the same step.
// lr_mul of step s uses the training time after step s - 1 (train_gpt.py reads the clock a few microseconds later).
#include <cmath>
#include <csignal>

#include "checkpoint.h"    // defines: checkpoint_write, CheckpointMeta
#include "cpu/matmul.h"    // defines: threads_count
#include "schedule.h"      // defines: lr_multiplier
#include "stop_signal.h"   // defines: stop_signal_received
#include "text_format.h"   // defines: strprintf
#include "train_run.h"

namespace golf::train {

namespace {

// The stop flag as the backend and validation poll it. Only a single process stops inside a step or a validation:
// ranks would see a signal at different moments, and one leaving a step early would wait forever in the others'
// all-reduce; with ranks, the flag is agreed between steps (train_loop).
bool stop_requested() { return stop_signal_received() != 0; }
bool (*stop_poll(const TrainRun* run))() { return run->comm->world_size() == 1 ? stop_requested : nullptr; }

// One optimizer step: grad_accum micro-batches from the loader, then the backend's step (forward/backward of each,
// gradient average across ranks, clipping, the update). *loss = mean training loss over the micro-batches and
// ranks. Cancelled (a stop request between micro-batches): nothing changed, the loader is put back.
Status train_step(TrainRun* run, int64_t step, double lr_mul, double* loss, bool (*should_stop)()) {
  const TrainOptions& o = run->options;
  const data::BatchRequest req{o.train_batch_tokens, o.seq_len, run->grad_accum, run->comm->rank(),
                               run->comm->world_size()};
  const data::LoaderState before = run->loader->state();
  for (int micro = 0; micro < run->grad_accum; micro++) {
    GOLF_RETURN_IF_ERROR(run->loader->next_batch(req, run->batch_x.data() + micro * run->local_tokens,
                                                 run->batch_y.data() + micro * run->local_tokens));
  }
  StepBatch batch;
  batch.x = run->batch_x.data();
  batch.y = run->batch_y.data();
  batch.micro = run->grad_accum;
  batch.rows = (int)(run->local_tokens / o.seq_len);
  batch.T = o.seq_len;
  Status st = run->backend->train_step(batch, lr_mul, step, loss, should_stop);
  if (st.code() == StatusCode::cancelled) GOLF_RETURN_IF_ERROR(run->loader->restore(before));
  return st;
}

// train_gpt.py's warm-up: steps that run and are then undone (the model, optimizer and loader go back to their
// initial state). There it triggers torch.compile; here it only warms caches, and defaults to 0.
Status warmup(TrainRun* run) {
  for (int i = 0; i < run->options.warmup_steps; i++) {
    double loss = 0;
    GOLF_RETURN_IF_ERROR(train_step(run, i, 1.0, &loss, nullptr));
    run->log.line(strprintf("warmup_step:%d/%d", i + 1, run->options.warmup_steps));
  }
  GOLF_RETURN_IF_ERROR(run->backend->init_params(run->options.seed, init_options_from_options(run->options)));
  return run->loader->restore(run->initial_loader_state);
}

Status validate(TrainRun* run, bool final, ValResult* out) {
  const int64_t n = final ? run->val_tokens_full : run->val_tokens_periodic;
  GOLF_RETURN_IF_ERROR(run_validation(run->backend.get(), use_ema(run->options), run->val_tokens.data(), n,
                                      run->options.seq_len, run->val_rows, *run->byte_counter, run->comm,
                                      stop_poll(run), out));
  const TrainOptions& o = run->options;
  const double step_avg = run->training_time_ms / (double)std::max<int64_t>(run->step, 1);
  run->log.line(strprintf("step:%lld/%lld val_loss:%.4f val_bpb:%.4f train_time:%.0fms step_avg:%.2fms "
                          "val_tokens:%lld val_time:%.1fs",
                          (long long)run->step, (long long)o.iterations, out->val_loss, out->val_bpb,
                          run->training_time_ms, step_avg, (long long)(n - 1), out->seconds));
  run->log.event(JsonLine()
                     .add("event", "val")
                     .add("step", run->step)
                     .add("val_loss", out->val_loss)
                     .add("val_bpb", out->val_bpb)
                     .add("val_targets", out->targets)
                     .add("val_bytes", out->bytes)
                     .add("final", (int64_t)final)
                     .add("train_time_ms", run->training_time_ms)
                     .add("val_seconds", out->seconds));
  return Status::Ok();
}

Status write_checkpoint(TrainRun* run, const char* reason, std::string* path) {
  const double t0 = now_seconds();
  GOLF_RETURN_IF_ERROR(run->backend->checkpoint_gather());
  if (run->comm->rank() == 0) {
    CheckpointMeta meta;
    meta.step = run->step;
    meta.training_time_ms = run->training_time_ms;
    meta.tokens_seen = run->tokens_seen;
    meta.loader = run->loader->state();
    meta.seed = run->options.seed;
    meta.options = options_to_map(run->options);
    meta.data_fingerprint = run->data.fingerprint();
    meta.tokenizer_sha256 = run->tokenizer_sha256;
    meta.world_size = run->comm->world_size();
    meta.threads = train_cpu::threads_count();
    std::vector<train_cpu::TensorRef> state;
    std::map<std::string, std::string> state_metadata;
    GOLF_RETURN_IF_ERROR(run->backend->checkpoint_refs(&state, &state_metadata));
    GOLF_RETURN_IF_ERROR(checkpoint_write(checkpoint_dir(run->options), run->backend->layout().config, state,
                                          state_metadata, meta, run->options.keep_checkpoints, path));
    run->log.line(strprintf("checkpoint: step %lld (%s) -> %s (%.2fs)", (long long)run->step, reason, path->c_str(),
                            now_seconds() - t0));
    run->log.event(JsonLine()
                       .add("event", "checkpoint")
                       .add("step", run->step)
                       .add("reason", reason)
                       .add("path", *path)
                       .add("seconds", now_seconds() - t0));
  }
  return Status::Ok();
}

// The device's per-phase line under a logged step (a backend that measures them): where the step's time goes and
// how much of the gradient all-reduce the backward hid.
void log_step_phases(TrainRun* run, const StepPhases& ph) {
  std::string text = strprintf("phases step:%lld forward+backward %.2fms", (long long)run->step, ph.forward_backward);
  if (ph.allreduce_window >= 0)
    text += strprintf(", all-reduce %.2fms from the first bucket (%.2fms behind the backward, %.2fms exposed)",
                      ph.allreduce_window, ph.allreduce_window - ph.allreduce_exposed, ph.allreduce_exposed);
  if (ph.newton_schulz >= 0) text += strprintf(", newton-schulz %.2fms", ph.newton_schulz);
  text += strprintf(", optimizer %.2fms, ema %.2fms, device step %.2fms", ph.optimizer, ph.ema, ph.step);
  run->log.line(text);
  run->log.event(JsonLine()
                     .add("event", "phases")
                     .add("step", run->step)
                     .add("forward_backward_ms", ph.forward_backward)
                     .add("allreduce_window_ms", ph.allreduce_window)
                     .add("allreduce_exposed_ms", ph.allreduce_exposed)
                     .add("newton_schulz_ms", ph.newton_schulz)
                     .add("optimizer_ms", ph.optimizer)
                     .add("ema_ms", ph.ema)
                     .add("device_step_ms", ph.step));
}

}  // namespace

Status train_loop(TrainRun* run, TrainOutcome* out) {
  const TrainOptions& o = run->options;
  const ScheduleParams sched = schedule_params_from_options(o);
  const double wall_start = now_seconds();
  if (run->step == 0 && !run->resumed && o.warmup_steps > 0) GOLF_RETURN_IF_ERROR(warmup(run));

  double t0 = now_seconds();  // start of the current stretch of training time
  double last_checkpoint_wall = t0;
  int64_t stop_after_step = -1;
  bool checkpoint_time_due = false;
  int stop_signal = 0;
  // A resumed run's checkpoint was written after the validation of its step; do not redo either.
  bool skip_top = run->resumed;
  for (;;) {
    const bool last_step = run->step >= o.iterations || (stop_after_step >= 0 && run->step >= stop_after_step);
    if (!stop_signal && (!skip_top || last_step)) {
      if (last_step || (o.val_loss_every > 0 && run->step % o.val_loss_every == 0)) {
        ValResult v;
        Status st = validate(run, last_step, &v);
        if (st.code() == StatusCode::cancelled) {
          // Stopped inside the validation: no val line for this step; the checkpoint below is the step's.
          stop_signal = stop_signal_received();
          run->log.line(strprintf("validation at step %lld interrupted by the stop request", (long long)run->step));
        } else {
          GOLF_RETURN_IF_ERROR(st);
          if (last_step) out->final_val = v, out->has_final_val = true;
        }
      }
    }
    const bool cadence_due = o.checkpoint_every > 0 && run->step > 0 && run->step % o.checkpoint_every == 0;
    const bool pause = !last_step && o.pause_at_step > 0 && run->step >= o.pause_at_step;
    if (stop_signal || pause || ((!skip_top || last_step) && (last_step || cadence_due || checkpoint_time_due))) {
      const char* reason = stop_signal ? "signal"
                           : pause     ? "pause"
                           : last_step ? "end"
                           : cadence_due ? "every"
                                         : "seconds";
      GOLF_RETURN_IF_ERROR(write_checkpoint(run, reason, &out->last_checkpoint));
      last_checkpoint_wall = now_seconds();
      checkpoint_time_due = false;
    }
    skip_top = false;
    t0 = now_seconds();  // validation and checkpoints are not training time
    if (stop_signal) {
      run->log.warn(strprintf("stopped by %s at step %lld: checkpoint %s written; continue with: golf-train --out %s "
                              "--resume",
                              stop_signal == SIGINT ? "SIGINT" : "SIGTERM", (long long)run->step,
                              out->last_checkpoint.c_str(), o.out_dir.c_str()));
      out->stop_signal = stop_signal;
      break;
    }
    if (pause) {
      run->log.line(strprintf("paused at step %lld (--pause-at-step): checkpoint %s written; continue with: "
                              "golf-train --out %s --resume",
                              (long long)run->step, out->last_checkpoint.c_str(), o.out_dir.c_str()));
      out->paused = true;
      break;
    }
    if (last_step) {
      if (stop_after_step >= 0 && run->step < o.iterations) {
        out->stopped_by_wallclock = true;
        run->log.line(strprintf("stopping_early: wallclock_cap train_time:%.0fms step:%lld/%lld",
                                run->training_time_ms, (long long)run->step, (long long)o.iterations));
      }
      break;
    }

    const double lr_mul = lr_multiplier(sched, run->step, run->training_time_ms);
    double loss = 0;
    Status st = train_step(run, run->step, lr_mul, &loss, stop_poll(run));
    if (st.code() == StatusCode::cancelled) {
      // Stopped between micro-batches: the step never happened; checkpoint the state before it.
      stop_signal = stop_signal_received();
      run->log.line(strprintf("step %lld interrupted between micro-batches by the stop request (not taken)",
                              (long long)run->step + 1));
      continue;
    }
    GOLF_RETURN_IF_ERROR(st);
    run->step++;
    run->tokens_seen += run->step_tokens;

    // Agree on the clock and on stopping: [training time, reached the cap, signal, checkpoint by time].
    const double now = now_seconds();
    const double elapsed_ms = run->training_time_ms + 1000.0 * (now - t0);
    const bool reached_cap = o.max_wallclock_seconds > 0 && elapsed_ms >= o.max_wallclock_seconds * 1000.0;
    const bool time_for_checkpoint =
        o.checkpoint_every_seconds > 0 && now - last_checkpoint_wall >= o.checkpoint_every_seconds;
    double agreed[4] = {elapsed_ms, reached_cap ? 1.0 : 0.0, (double)stop_signal_received(),
                        time_for_checkpoint ? 1.0 : 0.0};
    GOLF_RETURN_IF_ERROR(run->comm->all_reduce_max(agreed, 4));
    run->training_time_ms = agreed[0];
    t0 = now_seconds();
    if (agreed[1] > 0 && stop_after_step < 0) stop_after_step = run->step;
    stop_signal = (int)agreed[2];
    checkpoint_time_due = agreed[3] > 0;

    if (!std::isfinite(loss)) {
      return Status(StatusCode::invalid_argument,
                    strprintf("training diverged: train_loss %f at step %lld; lower the learning rates "
                              "(--matrix-lr, --scalar-lr, --tied-embed-lr) or resume from an earlier checkpoint",
                              loss, (long long)run->step));
    }
    const bool log_now = run->step <= 10 || run->step % o.train_log_every == 0 || stop_after_step >= 0 ||
                         stop_signal || run->step == o.iterations;
    if (log_now) {
      const double step_avg = run->training_time_ms / (double)run->step;
      const double tok_s = run->step_tokens / (step_avg / 1000.0);
      run->log.line(strprintf("step:%lld/%lld train_loss:%.4f train_time:%.0fms step_avg:%.2fms tok/s:%.0f "
                              "lr_mul:%.4f",
                              (long long)run->step, (long long)o.iterations, loss, run->training_time_ms, step_avg,
                              tok_s, lr_mul));
      run->log.event(JsonLine()
                         .add("event", "train")
                         .add("step", run->step)
                         .add("train_loss", loss)
                         .add("lr_mul", lr_mul)
                         .add("train_time_ms", run->training_time_ms)
                         .add("step_avg_ms", step_avg)
                         .add("tok_s", tok_s)
                         .add("tokens_seen", run->tokens_seen));
      StepPhases ph;
      if (run->backend->step_phases(&ph)) log_step_phases(run, ph);
    }
  }
  out->steps = run->step;
  out->training_time_ms = run->training_time_ms;
  out->wall_seconds = now_seconds() - wall_start;
  return Status::Ok();
}

}  // namespace golf::train
