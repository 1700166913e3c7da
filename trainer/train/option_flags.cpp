// option_flags.cpp: the flag table of golf-train (see option_flags.h): typed builders that parse and range-check
// each kind of value (with the number readers every tool uses, cli/args.h), and the rows, grouped as --help shows
// them.
#include "option_flags.h"

#include "args.h"  // defines: cli::parse_integer, cli::parse_real, cli::parse_choice, cli::bad_value_message, ...
#include "text_format.h"  // defines: format_float, format_double

namespace golf::train {

namespace {

Status bad_value(const std::string& flag, const std::string& value, const std::string& allowed) {
  return Status(StatusCode::invalid_argument, cli::bad_value_message("--" + flag, value, allowed));
}

// ---- typed flag builders ------------------------------------------------------------------------------------------

Flag make_flag(const std::string& name, const std::string& arg, const std::string& group, const std::string& help,
               bool must_match = false) {
  Flag f;
  f.name = name, f.arg = arg, f.group = group, f.help = help, f.must_match = must_match;
  return f;
}

template <typename T>
Flag int_flag(const char* name, T TrainOptions::*field, int64_t lo, int64_t hi, const char* group, bool must_match,
              const char* help, const char* arg = "N") {
  Flag f = make_flag(name, arg, group, help, must_match);
  f.get = [field](const TrainOptions& o) { return std::to_string(o.*field); };
  f.set = [field, lo, hi, name](const std::string& v, TrainOptions* o) {
    int64_t x = 0;
    const std::string problem = cli::parse_integer(v, lo, hi, &x);
    if (!problem.empty()) return bad_value(name, v, problem);
    o->*field = (T)x;
    return Status::Ok();
  };
  return f;
}

Flag seed_flag() {
  Flag f = make_flag("seed", "N", "optimizer", "seed of the parameter init (and of the shuffled loader)", true);
  f.get = [](const TrainOptions& o) { return std::to_string(o.seed); };
  f.set = [](const std::string& v, TrainOptions* o) {
    uint64_t x = 0;
    const std::string problem = cli::parse_unsigned(v, &x);
    if (!problem.empty()) return bad_value("seed", v, problem);
    o->seed = x;
    return Status::Ok();
  };
  return f;
}

// lo_open: the lower bound is excluded (e.g. learning rates may be 0 but eps must be > 0).
template <typename T>
Flag real_flag(const char* name, T TrainOptions::*field, double lo, double hi, bool lo_open, const char* group,
               bool must_match, const char* help, const char* arg = "X") {
  Flag f = make_flag(name, arg, group, help, must_match);
  f.get = [field](const TrainOptions& o) {
    return sizeof(T) == sizeof(float) ? format_float((float)(o.*field)) : format_double((double)(o.*field));
  };
  f.set = [field, lo, hi, lo_open, name](const std::string& v, TrainOptions* o) {
    double x = 0;
    const std::string problem = cli::parse_real(v, lo, hi, lo_open, &x);
    if (!problem.empty()) return bad_value(name, v, problem);
    o->*field = (T)x;
    return Status::Ok();
  };
  return f;
}

Flag bool_flag(const char* name, bool TrainOptions::*field, const char* group, bool must_match, const char* help) {
  Flag f = make_flag(name, "0|1", group, help, must_match);
  f.get = [field](const TrainOptions& o) { return std::string(o.*field ? "1" : "0"); };
  f.set = [field, name](const std::string& v, TrainOptions* o) {
    if (v != "0" && v != "1") return bad_value(name, v, "expected 0 or 1");
    o->*field = v == "1";
    return Status::Ok();
  };
  return f;
}

Flag string_flag(const char* name, std::string TrainOptions::*field, const char* group, bool must_match,
                 const char* help, const char* arg = "PATH") {
  Flag f = make_flag(name, arg, group, help, must_match);
  f.get = [field](const TrainOptions& o) { return o.*field; };
  f.set = [field](const std::string& v, TrainOptions* o) {
    o->*field = v;
    return Status::Ok();
  };
  return f;
}

Flag choice_flag(const char* name, std::string TrainOptions::*field, std::vector<std::string> choices,
                 const char* group, bool must_match, const char* help) {
  std::string arg;
  for (const std::string& c : choices) arg += (arg.empty() ? "" : "|") + c;
  Flag f = string_flag(name, field, group, must_match, help, "");
  f.arg = arg;
  f.set = [field, choices, name](const std::string& v, TrainOptions* o) {
    const std::string problem = cli::parse_choice(v, choices, &(o->*field));
    return problem.empty() ? Status::Ok() : bad_value(name, v, problem);
  };
  return f;
}

Flag schedule_flag() {
  Flag f = make_flag("schedule", "auto|wallclock|steps|time-fraction", "schedule",
         "LR multiplier: auto = the challenge's (wallclock when --max-wallclock-seconds > 0, else steps); "
         "wallclock = challenge.md §1.4 (warmdown over warmdown_iters x measured step time; decays from step 0 on "
         "slow hardware, the 'warmdown bug'); steps = linear to 0 over the last warmdown_iters steps; "
         "time-fraction = flat, then linear over the last --warmdown-frac of the run (time or steps, whichever "
         "ends first; the bug's fix)",
         true);
  f.get = [](const TrainOptions& o) { return std::string(schedule_kind_name(o.schedule)); };
  f.set = [](const std::string& v, TrainOptions* o) {
    const ScheduleKind kinds[] = {ScheduleKind::auto_, ScheduleKind::wallclock, ScheduleKind::steps,
                                  ScheduleKind::time_fraction};
    std::vector<std::string> names;
    for (ScheduleKind k : kinds) names.push_back(schedule_kind_name(k));
    std::string chosen;
    const std::string problem = cli::parse_choice(v, names, &chosen);
    if (!problem.empty()) return bad_value("schedule", v, problem);
    for (ScheduleKind k : kinds) {
      if (chosen == schedule_kind_name(k)) o->schedule = k;
    }
    return Status::Ok();
  };
  return f;
}

}  // namespace

// ---- the table ------------------------------------------------------------------------------------------------------

const std::vector<Flag>& flag_table() {
  using O = TrainOptions;
  static const std::vector<Flag> table = [] {
    const bool M = true, C = false;  // must match on resume / may change
    std::vector<Flag> t;
    // run
    {
      Flag f = string_flag("preset", &O::preset, "run", M, "", "NAME");
      std::string names;
      for (const std::string& n : preset_names()) names += (names.empty() ? "" : "|") + n;
      f.arg = names;
      f.help = "start from a preset (flags override it); see PRESETS below";
      f.set = [](const std::string& v, TrainOptions* o) { return apply_preset(v, o); };
      t.push_back(f);
    }
    t.push_back(string_flag("data", &O::data_dir, "run", C,
                            "directory of golf-data shards: DIR/fineweb_train_*.bin, DIR/fineweb_val_*.bin "
                            "(and DIR/manifest.json, whose tokenizer is the default --tokenizer)", "DIR"));
    t.push_back(string_flag("train-glob", &O::train_glob, "run", C, "training shards (overrides --data)", "GLOB"));
    t.push_back(string_flag("val-glob", &O::val_glob, "run", C, "validation shards (overrides --data)", "GLOB"));
    t.push_back(string_flag("tokenizer", &O::tokenizer_path, "run", C,
                            "SentencePiece .model or a .golf with one: val_bpb's byte table, the export's tokenizer",
                            "FILE"));
    t.push_back(string_flag("out", &O::out_dir, "run", C,
                            "run directory (required): run.log, metrics.jsonl, loss.svg, checkpoints/, model.golf",
                            "DIR"));
    {
      Flag f = make_flag("resume", "[PATH]", "run",
                         "continue from OUT/checkpoints/latest, or from checkpoint PATH; options default to the "
                         "checkpoint's, flags given here override those allowed to change");
      f.arity = Arity::optional_value;
      f.stored = false;
      f.get = [](const TrainOptions& o) { return o.resume; };
      f.set = [](const std::string& v, TrainOptions* o) {
        o->resume = v.empty() ? "latest" : v;
        return Status::Ok();
      };
      t.push_back(f);
    }
    {
      Flag f = make_flag("overwrite", "", "run",
                         "start a fresh run even if OUT already holds a run: its checkpoints are deleted, its "
                         "run.log, metrics.jsonl, loss.svg and model.golf (or --export-path) replaced");
      f.arity = Arity::none;
      f.stored = false;
      f.get = [](const TrainOptions& o) { return std::string(o.overwrite ? "1" : "0"); };
      f.set = [](const std::string&, TrainOptions* o) {
        o->overwrite = true;
        return Status::Ok();
      };
      t.push_back(f);
    }
    {
      Flag f = int_flag("pause-at-step", &O::pause_at_step, 0, int64_t(1) << 40, "run", C,
                        "write a checkpoint at step N and exit 0 without ending the run (to split a run into "
                        "jobs; continue with --resume); 0: off; not remembered by --resume");
      f.stored = false;
      t.push_back(f);
    }
    // model
    t.push_back(int_flag("vocab-size", &O::vocab_size, 2, 65536, "model", M, "vocabulary (token ids < this)"));
    t.push_back(int_flag("num-layers", &O::num_layers, 1, 256, "model", M, "transformer blocks"));
    t.push_back(int_flag("model-dim", &O::model_dim, 8, 16384, "model", M, "width d"));
    t.push_back(int_flag("num-heads", &O::num_heads, 1, 256, "model", M, "query heads (d / heads = head_dim)"));
    t.push_back(int_flag("num-kv-heads", &O::num_kv_heads, 1, 256, "model", M, "key/value heads (GQA; divides heads)"));
    t.push_back(int_flag("mlp-mult", &O::mlp_mult, 1, 64, "model", M, "MLP hidden = mlp_mult x d"));
    t.push_back(int_flag("mlp-hidden", &O::mlp_hidden, 0, 1 << 20, "model", M, "MLP hidden width (0: mlp_mult x d)"));
    t.push_back(int_flag("num-encoder-layers", &O::num_encoder_layers, -1, 256, "model", M,
                         "U-Net encoder blocks that push skips (-1: num_layers / 2)"));
    t.push_back(choice_flag("activation", &O::activation, {"relu2", "leaky_relu2"}, "model", M, "MLP activation"));
    t.push_back(real_flag("activation-slope", &O::activation_slope, 0.0, 1.0, false, "model", M,
                          "negative slope of leaky_relu2"));
    t.push_back(bool_flag("tie-embeddings", &O::tie_embeddings, "model", M, "lm head = tok_emb^T"));
    t.push_back(bool_flag("qk-norm", &O::qk_norm, "model", M, "RMS-normalize q and k per head"));
    t.push_back(real_flag("rope-base", &O::rope_base, 1.0, 1e9, false, "model", M, "RoPE base"));
    t.push_back(int_flag("rope-dims", &O::rope_dims, 0, 4096, "model", M, "rotated dims per head (0: head_dim)"));
    t.push_back(real_flag("logit-softcap", &O::logit_softcap, 0.0, 1e6, false, "model", M,
                          "logits = c tanh(logits / c) (0: off)"));
    t.push_back(real_flag("qk-gain-init", &O::qk_gain_init, 0.0, 1e3, false, "model", M, "initial q_gain"));
    t.push_back(real_flag("tied-embed-init-std", &O::tied_embed_init_std, 0.0, 10.0, true, "model", M,
                          "std of the tied embedding's N(0, std^2) init"));
    // batch and stopping
    t.push_back(int_flag("seq-len", &O::seq_len, 1, 1 << 20, "batch", M, "training sequence length"));
    t.push_back(int_flag("train-batch-tokens", &O::train_batch_tokens, 1, int64_t(1) << 40, "batch", M,
                         "global tokens per optimizer step (all ranks, all micro-steps)"));
    t.push_back(int_flag("grad-accum", &O::grad_accum, 0, 1 << 20, "batch", M,
                         "micro-steps per optimizer step (0: 8 / world_size as train_gpt.py); "
                         "each rank's micro-batch is train_batch_tokens / (world_size x grad_accum) tokens"));
    t.push_back(int_flag("iterations", &O::iterations, 1, int64_t(1) << 40, "batch", C,
                         "optimizer steps at most (changing it on resume changes the steps schedule)"));
    t.push_back(real_flag("max-wallclock-seconds", &O::max_wallclock_seconds, 0.0, 1e9, false, "batch", C,
                          "stop when training time reaches this (0: no cap); validation and checkpoint writes are "
                          "not training time"));
    t.push_back(int_flag("warmup-steps", &O::warmup_steps, 0, 1 << 20, "batch", M,
                         "steps run and then undone (params, optimizer, loader reset); train_gpt.py uses 20 to "
                         "trigger torch.compile, which has no equivalent here"));
    // schedule
    t.push_back(schedule_flag());
    t.push_back(int_flag("warmdown-iters", &O::warmdown_iters, 0, int64_t(1) << 40, "schedule", M,
                         "warmdown length in steps (wallclock, steps; 0: constant LR)"));
    t.push_back(real_flag("warmdown-frac", &O::warmdown_frac, 0.0, 1.0, false, "schedule", M,
                          "time-fraction: the share of the run spent in warmdown"));
    t.push_back(real_flag("min-lr-mul", &O::min_lr_mul, 0.0, 1.0, false, "schedule", M,
                          "steps, time-fraction: floor of the multiplier at the end of warmdown"));
    // optimizer
    t.push_back(real_flag("matrix-lr", &O::matrix_lr, 0.0, 1e3, false, "optimizer", M, "Muon LR (block matrices)"));
    t.push_back(real_flag("scalar-lr", &O::scalar_lr, 0.0, 1e3, false, "optimizer", M,
                          "Adam LR of control tensors and skip_weights"));
    t.push_back(real_flag("tied-embed-lr", &O::tied_embed_lr, 0.0, 1e3, false, "optimizer", M,
                          "Adam LR of tok_emb when tied"));
    t.push_back(real_flag("embed-lr", &O::embed_lr, 0.0, 1e3, false, "optimizer", M, "Adam LR of tok_emb when untied"));
    t.push_back(real_flag("head-lr", &O::head_lr, 0.0, 1e3, false, "optimizer", M, "Adam LR of lm_head when untied"));
    t.push_back(real_flag("muon-momentum", &O::muon_momentum, 0.0, 1.0, false, "optimizer", M, "Muon momentum"));
    t.push_back(real_flag("muon-momentum-warmup-start", &O::muon_momentum_warmup_start, 0.0, 1.0, false, "optimizer",
                          M, "Muon momentum at step 0, ramped linearly to --muon-momentum"));
    t.push_back(int_flag("muon-momentum-warmup-steps", &O::muon_momentum_warmup_steps, 0, 1 << 30, "optimizer", M,
                         "length of that ramp (0: none)"));
    t.push_back(int_flag("muon-backend-steps", &O::muon_backend_steps, 1, 100, "optimizer", M,
                         "Newton-Schulz iterations"));
    t.push_back(real_flag("beta1", &O::beta1, 0.0, 1.0, false, "optimizer", M, "Adam beta1"));
    t.push_back(real_flag("beta2", &O::beta2, 0.0, 1.0, false, "optimizer", M, "Adam beta2"));
    t.push_back(real_flag("adam-eps", &O::adam_eps, 0.0, 1.0, true, "optimizer", M, "Adam epsilon"));
    t.push_back(real_flag("grad-clip-norm", &O::grad_clip_norm, 0.0, 1e9, false, "optimizer", M,
                          "clip the global gradient norm to this (0: off)"));
    t.push_back(seed_flag());
    t.push_back(real_flag("ema-decay", &O::ema_decay, 0.0, 0.999999, false, "optimizer", M,
                          "keep fp32 EMA weights, ema = D ema + (1 - D) param after every step, and validate and "
                          "export them instead of the parameters (e.g. 0.997; 0: off)", "D"));
    t.push_back(int_flag("ema-start-step", &O::ema_start_step, 0, int64_t(1) << 40, "optimizer", M,
                         "the EMA copies the parameters until N steps are done, then averages"));
    // data order
    t.push_back(choice_flag("loader", &O::loader, {"sequential", "shuffled"}, "data", M,
                            "sequential = the challenge's TokenStream; shuffled = seeded windows in random order"));
    // validation, logging, checkpoints
    t.push_back(int_flag("val-loss-every", &O::val_loss_every, 0, int64_t(1) << 40, "logging", C,
                         "validate every N steps (0: only at the end; the end always validates)"));
    t.push_back(int_flag("val-batch-tokens", &O::val_batch_tokens, 1, int64_t(1) << 40, "logging", C,
                         "tokens per validation forward (memory only; rounded to whole sequences)"));
    t.push_back(int_flag("val-max-tokens", &O::val_max_tokens, 0, int64_t(1) << 40, "logging", C,
                         "periodic validations score only the first N validation tokens (0: all); the final "
                         "validation always scores all of them"));
    t.push_back(int_flag("train-log-every", &O::train_log_every, 1, int64_t(1) << 40, "logging", C,
                         "log the train loss every N steps (and each of the first 10)"));
    t.push_back(int_flag("checkpoint-every", &O::checkpoint_every, 0, int64_t(1) << 40, "logging", C,
                         "write a checkpoint every N steps (0: off); also at the end and on SIGINT/SIGTERM"));
    t.push_back(real_flag("checkpoint-every-seconds", &O::checkpoint_every_seconds, 0.0, 1e9, false, "logging", C,
                          "also write one when this many wallclock seconds passed since the last (0: off)"));
    t.push_back(int_flag("keep-checkpoints", &O::keep_checkpoints, 1, 1 << 20, "logging", C,
                         "checkpoints kept (older ones are deleted)"));
    // machine
    t.push_back(int_flag("threads", &O::threads, 0, cli::kMaxThreads, "machine", C,
                         "OpenMP threads per rank (0: all cores, shared among the ranks of a machine under "
                         "mpirun); results are bit-reproducible for a fixed thread count only"));
    t.push_back(choice_flag("comm", &O::comm, {"auto", "single", "mpi"}, "machine", C,
                            "data parallelism: auto = MPI when launched by mpirun, else single process"));
    t.push_back(choice_flag("backend", &O::backend, {"cpu", "cuda"}, "machine", C,
                            "where the math runs; a checkpoint resumes on either backend"));
    t.push_back(choice_flag("precision", &O::precision, {"bf16", "fp32"}, "machine", C,
                            "cuda: bf16 activations and GEMMs (the challenge's) or fp32 everywhere (parity with "
                            "the CPU); the CPU backend always computes in fp32"));
    t.push_back(string_flag("device", &O::device, "machine", C,
                            "cuda: the GPU of a one-GPU run (default: cuda:0); the ranks of a multi-GPU run each drive "
                            "their local GPU", "cuda:N"));
    {
      Flag f = int_flag("gpus", &O::gpus, 1, 1024, "machine", C,
                        "start N ranks on this machine, one per GPU, data parallel over NCCL (implies --backend "
                        "cuda; no MPI needed); for several machines use mpirun, srun or torchrun-style variables");
      f.stored = false;
      t.push_back(f);
    }
    t.push_back(real_flag("collective-timeout", &O::collective_timeout, 0.0, 1e9, false, "machine", C,
                          "multi-GPU: end the job when a collective has waited this many seconds for the other "
                          "ranks (a hung or dead peer; NCCL's asynchronous errors end it at once); 0: wait forever",
                          "SECONDS"));
    {
      Flag f = make_flag("force", "", "machine",
                         "start even when the memory plan exceeds the machine's available memory");
      f.arity = Arity::none;
      f.stored = false;
      f.get = [](const TrainOptions& o) { return std::string(o.force ? "1" : "0"); };
      f.set = [](const std::string&, TrainOptions* o) {
        o->force = true;
        return Status::Ok();
      };
      t.push_back(f);
    }
    // export
    t.push_back(string_flag("export-recipe", &O::export_recipe, "export", C,
                            "quantization recipe of the final .golf (trainer/export/recipes.h: challenge, q8, q6, q5, "
                            "q4, f16, f32; auto: per-tensor widths chosen for the 16,000,000-byte budget from measured "
                            "sensitivities on training tokens, trainer/export/auto_recipe.h)", "NAME"));
    t.push_back(string_flag("export-path", &O::export_path, "export", C, "output .golf (default OUT/model.golf)"));
    t.push_back(bool_flag("export", &O::export_model, "export", C,
                          "export and score the .golf at the end (rank 0)"));
    t.push_back(bool_flag("export-gptq", &O::export_gptq, "export", C,
                          "quantize the export's matrices by GPTQ, from Hessians of the final model's activations on "
                          "the first --export-calib-tokens training tokens (never validation)"));
    t.push_back(int_flag("export-calib-tokens", &O::export_calib_tokens, 1, int64_t(1) << 40, "export", C,
                         "GPTQ calibration tokens"));
    return t;
  }();
  return table;
}

const Flag* find_flag(const std::string& name) {
  for (const Flag& f : flag_table()) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

}  // namespace golf::train
