// train_setup.cpp: everything before the first step: options (merged with the checkpoint's on --resume), data,
// tokenizer, the backend (model, optimizer, activation arenas: planned, checked against the memory available, then
// allocated), the restored state, and the run-log header.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include <unistd.h>  // access

#include "build_revision.h"    // defines: cli::build_revision
#include "checkpoint.h"        // defines: checkpoint_read, checkpoint_restore, checkpoint_resolve
#include "cpu/matmul.h"        // defines: threads_init, threads_count
#include "manifest.h"          // defines: data::read_manifest
#include "mapped_file.h"       // defines: read_file_bytes
#include "params/param_io.h"   // defines: TensorFile
#include "recipes.h"           // defines: train_export::ExportRecipe
#include "sha256.h"            // defines: data::sha256_hex
#include "text_format.h"       // defines: strprintf
#include "tokenizer_source.h"  // defines: load_tokenizer_data
#include "train_run.h"

namespace golf::train {

namespace fs = std::filesystem;

std::string checkpoint_dir(const TrainOptions& o) { return (fs::path(o.out_dir) / "checkpoints").string(); }

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string DataInfo::fingerprint() const {
  std::string s = "train:";
  for (size_t i = 0; i < train_shards.size(); i++)
    s += " " + train_shards[i] + "=" + std::to_string(train_shard_tokens[i]);
  return s + "; val tokens: " + std::to_string(val_tokens);
}

namespace {

std::string sha256_of_file(const std::string& path) {
  std::string bytes;
  if (!read_file_bytes(path, &bytes).ok()) return "";
  return data::sha256_hex(bytes.data(), bytes.size());
}

// --threads 0: all cores for one process; under mpirun, the cores shared among the ranks of this machine, since
// ranks that each start one thread per core would fight over the cores (and OpenMP barriers collapse).
int default_threads(const Communicator* comm) {
  if (comm->world_size() == 1) return 0;
  int local = comm->world_size();
  for (const char* var : {"OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS"}) {
    if (const char* v = std::getenv(var)) local = std::max(1, std::atoi(v));
  }
  const int cores = (int)std::thread::hardware_concurrency();
  return std::max(1, cores / local);
}

// On --resume from another directory a relative --data (stored as given) no longer names the shards: say so.
Status data_hint(const Status& st, const TrainRun& run) {
  const TrainOptions& o = run.options;
  const bool relative = (!o.data_dir.empty() && fs::path(o.data_dir).is_relative()) ||
                        (!o.train_glob.empty() && fs::path(o.train_glob).is_relative());
  if (st.ok() || !run.resumed || !relative) return st;
  return Status(st.code(), st.message() + " (the run's data paths are relative to the directory it was started "
                                          "from: resume from there, or pass --data DIR again)");
}

Status setup_data_files(TrainRun* run);

Status setup_data(TrainRun* run) { return data_hint(setup_data_files(run), *run); }

Status setup_data_files(TrainRun* run) {
  const TrainOptions& o = run->options;
  DataInfo& d = run->data;
  d.train_pattern = !o.train_glob.empty() ? o.train_glob : data::shard_glob(o.data_dir, "train");
  d.val_pattern = !o.val_glob.empty() ? o.val_glob : data::shard_glob(o.data_dir, "val");
  if (o.loader == "shuffled") {
    auto l = std::make_unique<data::ShuffledLoader>();
    GOLF_RETURN_IF_ERROR(l->open(d.train_pattern, o.seed, o.seq_len).prefix("training data: "));
    run->loader = std::move(l);
  } else {
    auto l = std::make_unique<data::TokenStream>();
    GOLF_RETURN_IF_ERROR(l->open(d.train_pattern).prefix("training data: "));
    run->loader = std::move(l);
  }
  run->initial_loader_state = run->loader->state();
  const data::ShardList& shards = run->loader->shards();
  for (size_t i = 0; i < shards.paths.size(); i++) {
    d.train_shards.push_back(fs::path(shards.paths[i]).filename().string());
    d.train_shard_tokens.push_back(shards.num_tokens[i]);
  }
  d.train_tokens = shards.total_tokens;

  // Each rank's micro-batch, as the challenge derives it.
  const int world = run->comm->world_size();
  run->grad_accum = o.grad_accum_for(world);
  data::BatchRequest req{o.train_batch_tokens, o.seq_len, run->grad_accum, run->comm->rank(), world};
  GOLF_RETURN_IF_ERROR(data::check_batch_request(req, &run->local_tokens).prefix("batch: "));
  run->step_tokens = run->local_tokens * world * run->grad_accum;

  // Never train on validation tokens: the two globs must not share a file.
  data::ShardList val_shards;
  GOLF_RETURN_IF_ERROR(data::open_shard_list(d.val_pattern, &val_shards).prefix("validation data: "));
  {
    for (const std::string& v : val_shards.paths) {
      for (const std::string& t : shards.paths) {
        std::error_code ec;
        if (fs::equivalent(v, t, ec)) {
          return Status(StatusCode::invalid_argument,
                        v + " matches both the training and the validation glob: never train on validation data");
        }
      }
    }
  }
  std::vector<uint16_t> val16;
  GOLF_RETURN_IF_ERROR(data::read_shard_tokens(d.val_pattern, &val16).prefix("validation data: "));
  d.val_shards = val_shards.paths.size();
  d.val_tokens = val16.size();
  run->val_tokens.assign(val16.begin(), val16.end());
  for (uint16_t t : val16) {
    if ((int)t >= o.vocab_size) {
      return Status(StatusCode::invalid_argument, "validation data holds token id " + std::to_string(t) +
                                                      " >= --vocab-size " + std::to_string(o.vocab_size) +
                                                      " (shards made with another tokenizer?)");
    }
  }
  GOLF_RETURN_IF_ERROR(trim_validation_tokens(run->val_tokens, o.seq_len, 0, &run->val_tokens_full));
  GOLF_RETURN_IF_ERROR(
      trim_validation_tokens(run->val_tokens, o.seq_len, o.val_max_tokens, &run->val_tokens_periodic));

  // The manifest golf-data leaves beside the shards: its digest identifies the data in the log, its tokenizer is
  // the default --tokenizer.
  if (!o.data_dir.empty()) {
    const std::string mpath = (fs::path(o.data_dir) / "manifest.json").string();
    std::error_code ec;
    if (fs::exists(mpath, ec)) {
      data::Manifest m;
      GOLF_RETURN_IF_ERROR(data::read_manifest(mpath, &m));
      d.manifest_path = mpath;
      d.manifest_sha256 = sha256_of_file(mpath);
      if (m.vocab_size > o.vocab_size) {
        return Status(StatusCode::invalid_argument,
                      mpath + ": the shards were made with a " + std::to_string(m.vocab_size) +
                          "-token tokenizer, more than --vocab-size " + std::to_string(o.vocab_size));
      }
      if (run->tokenizer_path.empty()) run->tokenizer_path = m.tokenizer_path;
    }
  }
  return Status::Ok();
}

Status setup_tokenizer(TrainRun* run) {
  const TrainOptions& o = run->options;
  if (!o.tokenizer_path.empty()) run->tokenizer_path = o.tokenizer_path;
  if (run->tokenizer_path.empty()) {
    return Status(StatusCode::invalid_argument,
                  "--tokenizer FILE (.model or .golf) is required (val_bpb needs its byte table, the export its pieces); "
                  "there is no DIR/manifest.json naming one");
  }
  std::error_code ec;
  if (o.tokenizer_path.empty() && !fs::exists(run->tokenizer_path, ec)) {
    return Status(StatusCode::invalid_argument,
                  run->data.manifest_path + " names tokenizer " + run->tokenizer_path +
                      ", which does not exist from this directory: give --tokenizer FILE.model");
  }
  GOLF_RETURN_IF_ERROR(load_tokenizer_data(run->tokenizer_path, &run->tokenizer).prefix("--tokenizer: "));
  run->tokenizer_sha256 = sha256_of_file(run->tokenizer_path);
  if ((int)run->tokenizer.pieces.size() > o.vocab_size) {
    return Status(StatusCode::invalid_argument,
                  "--tokenizer " + run->tokenizer_path + " has " + std::to_string(run->tokenizer.pieces.size()) +
                      " pieces, more than --vocab-size " + std::to_string(o.vocab_size));
  }
  run->byte_counter = std::make_unique<ByteCounter>(run->tokenizer, o.vocab_size);
  return Status::Ok();
}

Status setup_model(TrainRun* run) {
  const TrainOptions& o = run->options;
  const ModelConfig cfg = model_config_from_options(o, run->tokenizer.bos_id >= 0 ? run->tokenizer.bos_id : 1);
  GOLF_RETURN_IF_ERROR(cfg.validate().prefix("model: "));
  const int64_t windows = (run->val_tokens_full - 1) / o.seq_len;
  run->val_rows = (int)std::max<int64_t>(1, std::min<int64_t>(o.val_batch_tokens / o.seq_len, windows));
  BackendSetup bs;
  bs.backend = o.backend;
  bs.device = o.device;
  bs.precision = o.precision;
  bs.model = cfg;
  bs.optimizer = optimizer_config_from_options(o);
  bs.init = init_options_from_options(o);
  bs.seed = o.seed;
  bs.seq_len = o.seq_len;
  bs.train_rows = (int)(run->local_tokens / o.seq_len);
  bs.eval_rows = run->val_rows;
  bs.grad_clip_norm = o.grad_clip_norm;
  bs.ema_decay = o.ema_decay;
  bs.ema_start_step = o.ema_start_step;
  bs.threads = train_cpu::threads_count();
  bs.force_memory = o.force;
  bs.comm = run->comm;
  // The baseline's 65,536-token micro-batch needs about 21 GB of activations on the CPU; the check says which
  // flags lower it.
  GOLF_RETURN_IF_ERROR(make_train_backend(bs, &run->backend));
  run->memory = run->backend->memory();
  GOLF_RETURN_IF_ERROR(run->backend->init_params(o.seed, bs.init));
  run->batch_x.resize((size_t)run->grad_accum * run->local_tokens);
  run->batch_y.resize((size_t)run->grad_accum * run->local_tokens);
  return Status::Ok();
}

Status restore_checkpoint(TrainRun* run, const train_cpu::TensorFile& file, const CheckpointMeta& meta) {
  GOLF_RETURN_IF_ERROR(run->backend->checkpoint_load(file).prefix(run->resumed_from + ": "));
  if (meta.data_fingerprint != run->data.fingerprint()) {
    return Status(StatusCode::invalid_argument,
                  "--resume: the training data differ from the checkpoint's:\n  checkpoint: " + meta.data_fingerprint +
                      "\n  this run:   " + run->data.fingerprint());
  }
  if (!meta.tokenizer_sha256.empty() && meta.tokenizer_sha256 != run->tokenizer_sha256) {
    return Status(StatusCode::invalid_argument, "--resume: the tokenizer differs from the checkpoint's (SHA-256 " +
                                                    meta.tokenizer_sha256 + " there, " + run->tokenizer_sha256 +
                                                    " for " + run->tokenizer_path + ")");
  }
  GOLF_RETURN_IF_ERROR(run->loader->restore(meta.loader).prefix("--resume: loader state: "));
  run->step = meta.step;
  run->training_time_ms = meta.training_time_ms;
  run->tokens_seen = meta.tokens_seen;
  return Status::Ok();
}

size_t memory_item(const MemoryReport& r, const std::string& name) {
  for (const MemoryItem& i : r.items) {
    if (i.name == name) return i.bytes;
  }
  return 0;
}

void log_header(TrainRun* run, const std::vector<std::string>& changed, const CheckpointMeta* meta) {
  const TrainOptions& o = run->options;
  const ModelConfig& c = run->backend->layout().config;
  RunLog& log = run->log;
  log.line("golf-train" + (run->git_revision.empty() ? std::string(" (no git revision)")
                                                      : " git " + run->git_revision));
  log.line("command: " + run->command_line);
  if (run->resumed) {
    log.line(strprintf("resumed from %s at step %lld (training time %.0fms, %lld tokens seen)",
                       run->resumed_from.c_str(), (long long)run->step, run->training_time_ms,
                       (long long)run->tokens_seen));
    for (const std::string& ch : changed) log.line("resume: option changed: " + ch);
    if (meta && meta->world_size != run->comm->world_size())
      log.warn(strprintf("resume: world size %d -> %d: the run continues correctly but not bit-identically",
                         meta->world_size, run->comm->world_size()));
    if (meta && meta->threads != train_cpu::threads_count())
      log.warn(strprintf("resume: threads %d -> %d: the run continues correctly but not bit-identically",
                         meta->threads, train_cpu::threads_count()));
  }
  log.line(strprintf("machine: %s, %d threads per rank", run->comm->describe().c_str(), train_cpu::threads_count()));
  log.line("backend: " + run->backend->describe());
  log.line("memory: " + memory_report_text(run->memory, ranks_on_this_machine()));
  if (use_ema(o))
    log.line(strprintf("ema: decay %s from step %lld; validation and export use the EMA weights",
                       format_float(o.ema_decay).c_str(), (long long)o.ema_start_step));
  log.line(strprintf("data: train %s: %zu shards, %llu tokens", run->data.train_pattern.c_str(),
                     run->data.train_shards.size(), (unsigned long long)run->data.train_tokens));
  log.line(strprintf("data: val %s: %zu shards, %llu tokens; scored %lld at the end (whole windows of %d), %lld "
                     "in periodic validations",
                     run->data.val_pattern.c_str(), run->data.val_shards, (unsigned long long)run->data.val_tokens,
                     (long long)run->val_tokens_full, o.seq_len, (long long)run->val_tokens_periodic));
  if (!run->data.manifest_path.empty())
    log.line("data: manifest " + run->data.manifest_path + " sha256 " + run->data.manifest_sha256);
  log.line(strprintf("tokenizer: %s (%zu pieces, bos %d) sha256 %s", run->tokenizer_path.c_str(),
                     run->tokenizer.pieces.size(), c.bos_id, run->tokenizer_sha256.c_str()));
  log.line(strprintf("model: %d layers x %d, heads %d/%d, mlp %d, vocab %d, seq %d, tied %d: model_params:%lld",
                     c.num_layers, c.model_dim, c.num_heads, c.num_kv_heads, c.mlp_hidden, c.vocab_size, o.seq_len,
                     (int)c.tie_embeddings, (long long)c.parameter_count()));
  log.line(strprintf("batch: %lld tokens/step = %d ranks x %d micro-steps x %lld seqs x %d; activations %.0f MB, "
                     "validation arena %.0f MB",
                     (long long)run->step_tokens, run->comm->world_size(), run->grad_accum,
                     (long long)(run->local_tokens / o.seq_len), o.seq_len,
                     memory_item(run->memory, "activations") / 1e6,
                     memory_item(run->memory, "eval activations") / 1e6));
  log.line(strprintf("schedule: %s, iterations %lld, max_wallclock_seconds %s, warmdown_iters %lld, warmdown_frac %s",
                     schedule_kind_name(o.effective_schedule()), (long long)o.iterations,
                     format_double(o.max_wallclock_seconds).c_str(), (long long)o.warmdown_iters,
                     format_double(o.warmdown_frac).c_str()));
  log.line("options: " + options_to_json(o));
  log.event(JsonLine()
                .add("event", run->resumed ? "resume" : "start")
                .add("step", run->step)
                .add("git", run->git_revision)
                .add("world_size", run->comm->world_size())
                .add("threads", train_cpu::threads_count())
                .add("model_params", (int64_t)c.parameter_count())
                .add("step_tokens", run->step_tokens)
                .add("train_tokens", (int64_t)run->data.train_tokens)
                .add("val_tokens", (int64_t)run->data.val_tokens)
                .add("manifest_sha256", run->data.manifest_sha256)
                .add_raw("options", options_to_json(o)));
}

// A fresh run must not replace what an earlier one left in --out (its log, metrics, plot, model) or an existing
// --export-path unless --overwrite; the export's recipe and directory are checked now, not after the training.
Status check_outputs(const TrainOptions& o, bool resumed) {
  const fs::path model = !o.export_path.empty() ? fs::path(o.export_path) : fs::path(o.out_dir) / "model.golf";
  if (!resumed && !o.overwrite) {
    std::vector<fs::path> outputs = {fs::path(o.out_dir) / "run.log", fs::path(o.out_dir) / "metrics.jsonl",
                                     fs::path(o.out_dir) / "loss.svg"};
    if (o.export_model) outputs.push_back(model);
    for (const fs::path& p : outputs) {
      std::error_code ec;
      if (fs::exists(p, ec)) {
        return Status(StatusCode::invalid_argument,
                      p.string() + " exists (an earlier run's): continue that run with --resume, start over with "
                      "--overwrite, or choose another --out");
      }
    }
  }
  if (!o.export_model) return Status::Ok();
  train_export::ExportRecipe recipe;
  // "auto" is the byte-budget allocator (trainer/export/auto_recipe.h), planned at export time.
  if (o.export_recipe != "auto")
    GOLF_RETURN_IF_ERROR(train_export::ExportRecipe::create(o.export_recipe, {}, &recipe).prefix("--export-recipe: "));
  if (!o.export_path.empty()) {
    const fs::path dir = model.has_parent_path() ? model.parent_path() : fs::path(".");
    std::error_code ec;
    if (!fs::is_directory(dir, ec) || ::access(dir.c_str(), W_OK) != 0)
      return Status(StatusCode::invalid_argument, "--export-path " + o.export_path + ": " + dir.string() +
                                                      " is not a writable directory");
  }
  return Status::Ok();
}

}  // namespace

Status train_setup(const ParsedArgs& args, Communicator* comm, const std::string& command_line, TrainRun* run) {
  run->comm = comm;
  run->command_line = command_line;
  run->options = args.options;
  const bool rank0 = comm->rank() == 0;
  if (run->options.out_dir.empty()) return Status(StatusCode::invalid_argument, "--out DIR is required");

  // Options: on --resume the checkpoint's, overridden where allowed by this command line.
  train_cpu::TensorFile ckpt_file;
  CheckpointMeta meta;
  std::vector<std::string> changed;
  if (!args.options.resume.empty()) {
    GOLF_RETURN_IF_ERROR(checkpoint_resolve(checkpoint_dir(args.options), args.options.resume, &run->resumed_from));
    GOLF_RETURN_IF_ERROR(checkpoint_read(run->resumed_from, &ckpt_file, &meta));
    GOLF_RETURN_IF_ERROR(merge_resume_options(meta.options, args, &run->options, &changed));
    run->resumed = true;
  } else if (checkpoint_latest_exists(checkpoint_dir(run->options))) {
    if (!run->options.overwrite) {
      return Status(StatusCode::invalid_argument,
                    run->options.out_dir + " already holds a run (checkpoints/latest): continue it with --resume, "
                    "start over with --overwrite, or choose another --out");
    }
    if (rank0) GOLF_RETURN_IF_ERROR(checkpoint_clear(checkpoint_dir(run->options)));
  }
  GOLF_RETURN_IF_ERROR(validate_options(run->options));
  if (rank0) GOLF_RETURN_IF_ERROR(check_outputs(run->options, run->resumed));
  train_cpu::threads_init(run->options.threads > 0 ? run->options.threads : default_threads(comm));

  // Every rank must run the same options (a mismatch would deadlock or silently diverge): compare a hash.
  {
    const std::string text = options_to_json(run->options);
    uint32_t h = 2166136261u;  // FNV-1a
    for (unsigned char ch : text) h = (h ^ ch) * 16777619u;
    double v[2] = {(double)h, -(double)h};
    GOLF_RETURN_IF_ERROR(comm->all_reduce_max(v, 2));
    if (v[0] != (double)h || -v[1] != (double)h)
      return Status(StatusCode::invalid_argument, "ranks were started with different options");
  }

  GOLF_RETURN_IF_ERROR(setup_data(run));
  GOLF_RETURN_IF_ERROR(setup_tokenizer(run));
  GOLF_RETURN_IF_ERROR(setup_model(run));
  if (run->resumed) GOLF_RETURN_IF_ERROR(restore_checkpoint(run, ckpt_file, meta));

  run->git_revision = rank0 ? cli::build_revision() : "";
  // Events after the checkpoint's step are about to be redone: drop them before appending (the log reopens the
  // rewritten file).
  if (run->resumed && rank0) {
    GOLF_RETURN_IF_ERROR(
        metrics_truncate_after((fs::path(run->options.out_dir) / "metrics.jsonl").string(), run->step));
  }
  GOLF_RETURN_IF_ERROR(run->log.open(run->options.out_dir, rank0, run->resumed));
  log_header(run, changed, run->resumed ? &meta : nullptr);
  return Status::Ok();
}

}  // namespace golf::train
