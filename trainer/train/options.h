// options.h: golf-train's options: every hyperparameter of the challenge's train_gpt.py (challenge.md §1.1) and of
// the run (data, output, checkpoints, distribution), the presets, and the command-line parser. One table of flags
// (options.cpp) drives parsing, --help (defaults printed from the same struct the parser fills, so the text cannot
// drift), the run-log header, the checkpoint's record of the options and the resume comparison.
#pragma once
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "params/init.h"       // defines: InitOptions
#include "cpu/optimizer.h"  // defines: OptimizerConfig
#include "model_config.h"   // defines: ModelConfig
#include "status.h"         // defines: Status

namespace golf::train {

// How the LR multiplier evolves (schedule.h has the formulas).
enum class ScheduleKind {
  auto_,          // the challenge's choice: wallclock when max_wallclock_seconds > 0, else steps
  wallclock,      // challenge.md §1.4: warmdown_iters · measured step time before the wallclock cap
  steps,          // the last warmdown_iters steps before `iterations`
  time_fraction,  // the "warmdown fix": the last warmdown_frac of the run (time or steps, whichever ends first)
};
const char* schedule_kind_name(ScheduleKind k);

struct TrainOptions {
  // ---- what to run
  std::string preset;  // "" (none), "baseline", "cpu-small", "tiny"
  std::string data_dir, train_glob, val_glob, tokenizer_path, out_dir;
  std::string resume;  // "" = start fresh; "latest" = OUT/checkpoints/latest; else a checkpoint path
  bool overwrite = false;
  int64_t pause_at_step = 0;  // > 0: checkpoint and exit 0 at this step without ending the run (not stored)

  // ---- model (challenge.md §1.1-1.2)
  int vocab_size = 1024;
  int num_layers = 9;
  int model_dim = 512;
  int num_heads = 8;
  int num_kv_heads = 4;
  int mlp_mult = 2;
  int mlp_hidden = 0;           // 0: mlp_mult · model_dim
  int num_encoder_layers = -1;  // -1: num_layers / 2
  std::string activation = "relu2";
  float activation_slope = 0.5f;
  bool tie_embeddings = true;
  bool qk_norm = true;
  float rope_base = 10000.0f;
  int rope_dims = 0;            // 0: head_dim
  float logit_softcap = 30.0f;
  float qk_gain_init = 1.5f;
  float tied_embed_init_std = 0.005f;

  // ---- batch, length, stopping
  int seq_len = 1024;
  int64_t train_batch_tokens = 524288;  // global tokens per optimizer step, all ranks and micro-steps
  int grad_accum = 0;                   // 0: 8 / world_size as train_gpt.py (1 when 8 is not divisible)
  int64_t iterations = 20000;
  double max_wallclock_seconds = 600;   // 0: no cap
  int warmup_steps = 0;                 // steps run then undone (train_gpt.py: 20, to trigger torch.compile)

  // ---- LR schedule
  ScheduleKind schedule = ScheduleKind::auto_;
  int64_t warmdown_iters = 1200;
  double warmdown_frac = 0.5;  // time_fraction only
  double min_lr_mul = 0.0;     // floor of the multiplier during warmdown (time_fraction and steps)

  // ---- optimizers (challenge.md §1.3)
  float matrix_lr = 0.04f, scalar_lr = 0.04f, tied_embed_lr = 0.05f, embed_lr = 0.6f, head_lr = 0.008f;
  float muon_momentum = 0.95f, muon_momentum_warmup_start = 0.85f;
  int muon_momentum_warmup_steps = 500;
  int muon_backend_steps = 5;
  float beta1 = 0.9f, beta2 = 0.95f, adam_eps = 1e-8f;
  float grad_clip_norm = 0.0f;  // 0: off
  uint64_t seed = 1337;
  float ema_decay = 0.0f;       // 0: no EMA; else fp32 EMA weights, validated and exported instead of the raw ones
  int64_t ema_start_step = 0;   // the EMA copies the parameters until this many steps are done

  // ---- data
  std::string loader = "sequential";  // "sequential" (the challenge's TokenStream) or "shuffled"

  // ---- validation, logging, checkpoints
  int64_t val_loss_every = 1000;      // steps; 0: only at the end
  int64_t val_batch_tokens = 32768;   // tokens per validation forward (memory only; results do not depend on it)
  int64_t val_max_tokens = 0;         // cap for the periodic validations (0: all); the final one always uses all
  int64_t train_log_every = 200;      // steps (the first 10 steps are always logged)
  int64_t checkpoint_every = 1000;    // steps; 0: off
  double checkpoint_every_seconds = 1800;  // wallclock seconds; 0: off
  int keep_checkpoints = 3;

  // ---- machine
  int threads = 0;  // 0: all cores (OpenMP's default)
  std::string comm = "auto";  // "auto", "single", "mpi"
  std::string backend = "cpu";     // "cpu" or "cuda" (backend.h)
  std::string precision = "bf16";  // cuda: "bf16" or "fp32"; the CPU always computes in fp32
  std::string device;              // cuda: "" (the rank's local GPU) or "cuda:N"
  bool force = false;              // start even when the memory plan exceeds the available memory (not stored)
  int gpus = 0;                    // > 0: start this many local GPU ranks (golf-train --gpus; not stored)
  double collective_timeout = 600; // NCCL watchdog: seconds a collective may wait for the others (0: forever)

  // ---- export
  std::string export_recipe = "challenge";  // trainer/export/recipes.h
  std::string export_path;  // "": OUT/model.golf
  bool export_model = true;
  bool export_gptq = false;            // GPTQ (trainer/export/gptq.h) calibrated on the training shards
  int64_t export_calib_tokens = 65536; // calibration tokens for it, from the start of the training data

  // Derived.
  int mlp_hidden_dim() const { return mlp_hidden > 0 ? mlp_hidden : mlp_mult * model_dim; }
  int encoder_layers() const { return num_encoder_layers >= 0 ? num_encoder_layers : num_layers / 2; }
  int grad_accum_for(int world_size) const {
    return grad_accum > 0 ? grad_accum : (8 % world_size == 0 ? 8 / world_size : 1);
  }
  ScheduleKind effective_schedule() const {
    if (schedule != ScheduleKind::auto_) return schedule;
    return max_wallclock_seconds > 0 ? ScheduleKind::wallclock : ScheduleKind::steps;
  }
};

// The preset names and what each sets (applied before the command line's flags, which override them).
std::vector<std::string> preset_names();
Status apply_preset(const std::string& name, TrainOptions* o);

struct ParsedArgs {
  TrainOptions options;
  std::set<std::string> explicit_flags;  // flags given on the command line (not from the preset), without "--"
  bool help = false;
};
// Parses argv (argv[0] skipped). --preset is applied first wherever it appears, then the other flags in order.
// Unknown flags, missing or malformed values and out-of-range values fail with a message saying what is allowed.
Status parse_train_args(int argc, char** argv, ParsedArgs* out);

// Cross-field checks that need no data (head/dim divisibility, batch divisibility, required paths).
Status validate_options(const TrainOptions& o);

// The full --help text.
std::string train_usage();

// Every option as flag name -> value text (full precision), the form stored in checkpoints and logged.
std::map<std::string, std::string> options_to_map(const TrainOptions& o);
// Sets the options named in `values` (as produced by options_to_map); unknown names fail.
Status options_from_map(const std::map<std::string, std::string>& values, TrainOptions* o);
// Names of options that must not change across a resume (model, batch, schedule, optimizer, data order, seed);
// the others (paths, cadences, threads, iterations and time cap, export) may.
bool option_must_match_on_resume(const std::string& name);
// The options of a resumed run: the checkpoint's (`stored`, from options_to_map), overridden by the flags given on
// this command line. A given flag that must match and differs from the checkpoint is an error; the message lists
// every such difference. *changed lists the flags that legitimately changed ("--iterations 200 -> 400").
Status merge_resume_options(const std::map<std::string, std::string>& stored, const ParsedArgs& args,
                            TrainOptions* out, std::vector<std::string>* changed);
// JSON object of options_to_map (for the log header, metrics.jsonl and checkpoints).
std::string options_to_json(const TrainOptions& o);

ModelConfig model_config_from_options(const TrainOptions& o, int bos_id);
train_cpu::OptimizerConfig optimizer_config_from_options(const TrainOptions& o);
train_cpu::InitOptions init_options_from_options(const TrainOptions& o);
// Whether validation and export use the EMA weights.
inline bool use_ema(const TrainOptions& o) { return o.ema_decay > 0; }

}  // namespace golf::train
