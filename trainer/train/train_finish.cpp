// train_finish.cpp: what a run does after the last step. Rank 0: the loss plot, the final parameters, the run's
// summary line and the export to a .golf with the quantization recipe; then every rank scores its share of that
// file with the runtime (split_score.h: the challenge's post-quantization val_bpb, the number that counts), and
// rank 0 reports it.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "loss_plot.h"        // defines: write_loss_plot
#include "params/param_io.h"  // defines: params_save
#include "split_score.h"      // defines: score_split_across_ranks
#include "text_format.h"      // defines: strprintf
#include "train_run.h"

#include "auto_recipe.h"  // defines: train_export::plan_auto_recipe
#include "pipeline.h"  // defines: train_export::export_and_score, ArtifactSummary, print_artifact_summary

namespace golf::train {

namespace fs = std::filesystem;

namespace {

// print_artifact_summary's text (it writes to a FILE*), for stdout and run.log alike.
std::string summary_text(const train_export::ArtifactSummary& s) {
  char* buf = nullptr;
  size_t len = 0;
  FILE* mem = open_memstream(&buf, &len);
  if (!mem) return "";
  train_export::print_artifact_summary(mem, s);
  std::fclose(mem);
  std::string text(buf, len);
  std::free(buf);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

// The settings every rank scores the exported file with: the final validation's tokens and windows.
train_export::ScoreSettings post_export_score_settings(const TrainRun& run) {
  const TrainOptions& o = run.options;
  train_export::ScoreSettings s;
  s.window = o.seq_len;
  s.threads = o.threads;
  s.trim_to_windows = true;  // the same tokens as the final validation
  s.device = run.backend->score_device();
  // The runtime's CUDA session (fp32) where this rank trains on a GPU, else the CPU with a warning.
  s.device_fallback_cpu = true;
  return s;
}

// Rank 0: GPTQ calibration and the automatic recipe when asked, then the file; *sum gets its sizes and the
// pre-quantization score (the final validation's).
Status export_file(TrainRun* run, const TrainOutcome& outcome, const std::vector<float>& params,
                   train_export::ExportReport* er, train_export::ArtifactSummary* sum) {
  const TrainOptions& o = run->options;
  train_export::ExportRunOptions ro;
  train_export::ExportOptions& eo = ro.export_options;
  eo.output_path = !o.export_path.empty() ? o.export_path : (fs::path(o.out_dir) / "model.golf").string();
  eo.recipe = o.export_recipe;
  train_export::ExportProvenance& pv = eo.provenance;
  pv.train_steps = outcome.steps;
  pv.train_seconds = outcome.training_time_ms / 1000.0;
  pv.train_tokens = run->tokens_seen;
  pv.seed = (int64_t)o.seed;
  if (outcome.has_final_val) pv.val_bpb_pre_quant = outcome.final_val.val_bpb;
  pv.data_sha256 = run->data.manifest_sha256;
  pv.source_revision = run->git_revision;
  pv.created_by = "golf-train";
  // An over-budget artifact is reported, not a failed run: the parameters and the file are still good.
  ro.allow_over_budget = true;
  train_export::CalibrationData calibration;
  const bool auto_recipe = o.export_recipe == "auto";
  if (o.export_gptq || auto_recipe) {
    GOLF_RETURN_IF_ERROR(train_export::calibration_from_shards(run->backend->layout(), params.data(),
                                                               run->data.train_pattern, o.seq_len,
                                                               o.export_calib_tokens, &calibration)
                             .prefix("export: "));
    run->log.line(strprintf("export: GPTQ calibration %lld training tokens (%lld windows of %d) from %s, %zu "
                            "Hessians, %.1f s",
                            (long long)calibration.tokens, (long long)(calibration.tokens / o.seq_len), o.seq_len,
                            run->data.train_pattern.c_str(), calibration.hessians.size(), calibration.seconds));
    if (o.export_gptq) eo.calibration = &calibration;
  }
  if (auto_recipe) {
    train_export::AllocSettings as;
    as.gptq = o.export_gptq;
    train_export::AutoRecipeResult plan;
    GOLF_RETURN_IF_ERROR(train_export::plan_auto_recipe(run->backend->layout(), params.data(), run->tokenizer,
                                                        calibration, as, ro.budget_bytes, eo, &plan)
                             .prefix("export: "));
    char* buf = nullptr;
    size_t len = 0;
    FILE* mem = open_memstream(&buf, &len);
    train_export::print_auto_recipe(mem, plan);
    std::fclose(mem);
    std::string table(buf, len);
    std::free(buf);
    for (size_t from = 0; from < table.size();) {
      size_t nl = table.find('\n', from);
      if (nl == std::string::npos) nl = table.size();
      run->log.line(table.substr(from, nl - from));
      from = nl + 1;
    }
    eo.recipe = train_export::kAutoBaseRecipe;
    eo.rules = plan.rules;
  }
  // No tokens: the pipeline only writes the file; every rank scores it below.
  GOLF_RETURN_IF_ERROR(
      train_export::export_and_score(run->backend->layout(), params.data(), run->tokenizer, ro, er, sum)
          .prefix("export: "));
  sum->eval_data = "shards " + run->data.val_pattern;
  if (outcome.has_final_val) {
    const ValResult& v = outcome.final_val;
    sum->has_pre_quant = true;
    sum->pre_quant.val_loss = v.val_loss;
    sum->pre_quant.val_bpb = v.val_bpb;
    sum->pre_quant.nats = v.nats;
    sum->pre_quant.tokens = v.targets;
    sum->pre_quant.bytes = v.bytes;
    sum->pre_quant.window = o.seq_len;
    sum->pre_quant.seconds = v.seconds;
  } else {
    // No final validation (it was interrupted): the trainer's fp32 forward scores the same tokens on the CPU.
    GOLF_RETURN_IF_ERROR(train_export::score_params_fp32(run->backend->layout(), params.data(), run->tokenizer,
                                                         run->val_tokens, post_export_score_settings(*run),
                                                         &sum->pre_quant)
                             .prefix("export: "));
    sum->has_pre_quant = true;
  }
  return Status::Ok();
}

// Rank 0: the artifact summary with the split score, its challenge-format line and the export event.
void report_export(TrainRun* run, const TrainOutcome& outcome, const train_export::ExportReport& er,
                   train_export::ArtifactSummary sum) {
  const std::string text = summary_text(sum);
  size_t from = 0;
  while (from <= text.size()) {
    size_t nl = text.find('\n', from);
    if (nl == std::string::npos) nl = text.size();
    run->log.line(text.substr(from, nl - from));
    from = nl + 1;
  }
  if (sum.over_budget()) run->log.warn(train_export::check_artifact_budget(sum, false).message());
  if (!sum.post_quant.device_note.empty())
    run->log.warn("the round trip was scored on the CPU: " + sum.post_quant.device_note);
  const int world = run->comm->world_size();
  if (world > 1)
    run->log.line(strprintf("final_quant_roundtrip scored by %d ranks, each a share of the windows (rank 0 on %s), "
                            "%.1f s",
                            world, sum.post_quant.device.c_str(), sum.post_quant.seconds));
  else if (sum.post_quant.device != "cpu")
    run->log.line("final_quant_roundtrip scored on " + sum.post_quant.device);
  run->log.line(strprintf("final_quant_roundtrip val_loss:%.4f val_bpb:%.4f", sum.post_quant.val_loss,
                          sum.post_quant.val_bpb));
  run->log.event(JsonLine()
                     .add("event", "export")
                     .add("step", outcome.steps)
                     .add("path", er.path)
                     .add("recipe", er.recipe)
                     .add("file_bytes", (int64_t)er.file_bytes)
                     .add("code_bytes", (int64_t)sum.code_bytes)
                     .add("artifact_bytes", (int64_t)sum.total_bytes())
                     .add("val_loss", sum.post_quant.val_loss)
                     .add("val_bpb", sum.post_quant.val_bpb)
                     .add("val_bpb_pre_quant", sum.pre_quant.val_bpb)
                     .add("score_ranks", (int64_t)world));
}

// Rank 0's part before the score: loss.svg, final.safetensors, the summary line and, with --export, the file.
Status finish_rank0(TrainRun* run, const TrainOutcome& outcome, train_export::ExportReport* er,
                    train_export::ArtifactSummary* sum) {
  const TrainOptions& o = run->options;
  const std::string svg = (fs::path(o.out_dir) / "loss.svg").string();
  const std::string title = strprintf("golf-train %s: %d x %d, %lld steps, final val_bpb %.4f",
                                      o.preset.empty() ? "" : o.preset.c_str(), o.num_layers, o.model_dim,
                                      (long long)outcome.steps,
                                      outcome.has_final_val ? outcome.final_val.val_bpb : 0.0);
  GOLF_RETURN_IF_ERROR(write_loss_plot(run->log.metrics_path(), svg, title));
  // The weights the final validation scored: the EMA weights with --ema-decay, else the parameters.
  const train_cpu::ParamLayout& layout = run->backend->layout();
  std::vector<float> params(layout.total);
  GOLF_RETURN_IF_ERROR(run->backend->params_to_host(params.data(), use_ema(o)));
  const std::string params_path = (fs::path(o.out_dir) / "final.safetensors").string();
  GOLF_RETURN_IF_ERROR(train_cpu::params_save(params_path, layout, params.data()));
  run->log.line("wrote " + svg + ", " + params_path + (use_ema(o) ? " (EMA weights)" : ""));

  const double tok_s = outcome.training_time_ms > 0 ? run->tokens_seen / (outcome.training_time_ms / 1000.0) : 0;
  run->log.line(strprintf("done: %lld steps, %lld tokens, train_time %.1fs, %.0f training tokens/s; wallclock %.1fs "
                          "(validation and checkpoints included); final val_loss %.4f val_bpb %.4f on %lld tokens",
                          (long long)outcome.steps, (long long)run->tokens_seen, outcome.training_time_ms / 1000.0,
                          tok_s, outcome.wall_seconds, outcome.final_val.val_loss, outcome.final_val.val_bpb,
                          (long long)outcome.final_val.targets));
  run->log.event(JsonLine()
                     .add("event", "end")
                     .add("step", outcome.steps)
                     .add("train_time_ms", outcome.training_time_ms)
                     .add("wall_seconds", outcome.wall_seconds)
                     .add("tokens_seen", run->tokens_seen)
                     .add("tok_s", tok_s)
                     .add("val_loss", outcome.final_val.val_loss)
                     .add("val_bpb", outcome.final_val.val_bpb));
  if (o.export_model) GOLF_RETURN_IF_ERROR(export_file(run, outcome, params, er, sum));
  return Status::Ok();
}

}  // namespace

Status train_finish(TrainRun* run, const TrainOutcome& outcome) {
  // The other ranks now wait for rank 0's export (GPTQ calibration can take minutes) and for the slowest rank's
  // score: no collective timeout from here on. A rank that dies still ends the job through its launcher.
  run->comm->set_collective_timeout(0);
  const bool rank0 = run->comm->rank() == 0;
  train_export::ExportReport er;
  train_export::ArtifactSummary sum;
  const Status st = rank0 ? finish_rank0(run, outcome, &er, &sum) : Status::Ok();
  if (!run->options.export_model) return st;
  // Every rank scores a share of the file; first they learn whether rank 0 wrote it, so none waits in vain.
  double failed = st.ok() ? 0 : 1;
  GOLF_RETURN_IF_ERROR(run->comm->broadcast(&failed, sizeof failed, 0).prefix("export: "));
  if (failed != 0)
    return rank0 ? st : Status(StatusCode::io_error, "export: rank 0 failed before the score (its log says why)");
  train_export::ScoreReport post;
  GOLF_RETURN_IF_ERROR(
      score_split_across_ranks(run->comm, er.path, run->val_tokens, post_export_score_settings(*run), &post)
          .prefix("export: "));
  if (rank0) {
    sum.has_post_quant = true;
    sum.post_quant = post;
    report_export(run, outcome, er, sum);
  }
  return Status::Ok();
}

}  // namespace golf::train
