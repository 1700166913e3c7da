// golf-eval: scores a .golf model in bits per byte, exactly as the Parameter Golf challenge accounts it, on the
// challenge's validation shards or on raw text / JSONL documents (where the raw UTF-8 bytes are the ground truth and
// the challenge's per-token byte rule is reported beside them).
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "byte_count.h"
#include "mapped_file.h"
#include "model.h"
#include "scorer.h"
#include "session.h"
#include "shard.h"
#include "windows.h"

namespace {

void usage(FILE* f) {
  std::fprintf(f,
      "usage: golf-eval -m MODEL.golf INPUT... [options]\n"
      "Scores the model in bits per byte (BPB) and prints val_loss, val_bpb, tokens, bytes, total nats, tokens/s.\n"
      "inputs (one kind per run):\n"
      "  --shards DIR|GLOB   the challenge's token shards (DIR means DIR/fineweb_val_*.bin, sorted); the stream is\n"
      "                      trimmed to ((N-1)//L)*L+1 tokens and bytes follow the challenge's per-token rule\n"
      "  --text FILE         a text file, scored as one document (BOS + its tokens); repeatable\n"
      "  --jsonl FILE        one document per line (field \"text\"); repeatable\n"
      "                      text and JSONL: every byte of the documents' UTF-8 counts (the ground truth); the\n"
      "                      challenge's per-token byte count is reported beside it\n"
      "options:\n"
      "  -m, --model FILE    the .golf model (required)\n"
      "  --window L          tokens per forward pass (default: the model's max_seq_len)\n"
      "  --stride S          sliding windows: each target scored once with at least L-S tokens of context\n"
      "                      (default 0: non-overlapping windows, the challenge's baseline score)\n"
      "  --doc-isolated      context never crosses a document boundary (BOS)\n"
      "  --max-docs N        text/JSONL: only the first N documents\n"
      "  --max-tokens N      score only the first N tokens of the stream\n"
      "  --threads N         worker threads (default: all cores)\n"
      "  --f32               run the fp32 reference path (weights dequantized at load)\n"
      "  --json              print the result as JSON on stdout\n"
      "  --no-progress       no progress bar (it is drawn only when stderr is a terminal anyway)\n");
}

struct Args {
  std::string model, shards, text_field = "text";
  std::vector<std::string> texts, jsonls;
  int window = 0, stride = 0, threads = 0;
  int64_t max_docs = -1, max_tokens = -1;
  bool doc_isolated = false, f32 = false, json = false, progress = true;
};

int die(const std::string& m) {
  std::fprintf(stderr, "golf-eval: %s\n", m.c_str());
  return 1;
}

bool parse_args(int argc, char** argv, Args* a, int* exit_code) {
  for (int i = 1; i < argc; i++) {
    std::string s = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) { std::fprintf(stderr, "golf-eval: %s needs a value\n", s.c_str()); *exit_code = 2; return ""; }
      return argv[++i];
    };
    auto number = [&]() -> int64_t {
      std::string v = value();
      char* end = nullptr;
      long long n = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || *end || n < 0) { std::fprintf(stderr, "golf-eval: %s needs a non-negative integer\n", s.c_str()); *exit_code = 2; }
      return n;
    };
    if (s == "-h" || s == "--help") { usage(stdout); *exit_code = 0; return false; }
    else if (s == "-m" || s == "--model") a->model = value();
    else if (s == "--shards") a->shards = value();
    else if (s == "--text") a->texts.push_back(value());
    else if (s == "--jsonl") a->jsonls.push_back(value());
    else if (s == "--window") a->window = (int)number();
    else if (s == "--stride") a->stride = (int)number();
    else if (s == "--threads") a->threads = (int)number();
    else if (s == "--max-docs") a->max_docs = number();
    else if (s == "--max-tokens") a->max_tokens = number();
    else if (s == "--doc-isolated") a->doc_isolated = true;
    else if (s == "--f32") a->f32 = true;
    else if (s == "--json") a->json = true;
    else if (s == "--no-progress") a->progress = false;
    else { std::fprintf(stderr, "golf-eval: unknown argument '%s'\n", s.c_str()); *exit_code = 2; return false; }
    if (*exit_code == 2) return false;
  }
  int kinds = !a->shards.empty() + (!a->texts.empty() || !a->jsonls.empty());
  if (a->model.empty() || kinds != 1) {
    std::fprintf(stderr, "golf-eval: give -m MODEL and one kind of input (--shards, or --text/--jsonl); see --help\n");
    *exit_code = 2;
    return false;
  }
  return true;
}

// Documents of the text inputs, in order.
golf::Status read_documents(const Args& a, std::vector<std::string>* docs) {
  auto full = [&]() { return a.max_docs >= 0 && (int64_t)docs->size() >= a.max_docs; };
  for (const std::string& path : a.texts) {
    if (full()) break;
    std::string text;
    GOLF_RETURN_IF_ERROR(golf::read_file_bytes(path, &text));
    // A JSONL file passed as text scores its JSON syntax as one document: a plausible, wrong number. Say so.
    const nlohmann::json first = nlohmann::json::parse(text.substr(0, text.find('\n')), nullptr, false);
    if (!first.is_discarded() && first.is_object() && first.contains(a.text_field))
      std::fprintf(stderr, "golf-eval: warning: %s looks like JSONL; --text scores the whole file, JSON syntax "
                   "included, as one document (use --jsonl %s for one document per line)\n", path.c_str(), path.c_str());
    docs->push_back(std::move(text));
  }
  for (const std::string& path : a.jsonls) {
    std::ifstream in(path);
    if (!in) return golf::Status(golf::StatusCode::io_error, path + ": cannot open");
    std::string line;
    int64_t line_no = 0;
    while (!full() && std::getline(in, line)) {
      line_no++;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.is_object() || !j.contains(a.text_field) || !j[a.text_field].is_string())
        return golf::Status(golf::StatusCode::bad_format, path + ":" + std::to_string(line_no) +
                                                              ": not a JSON object with a string field \"" + a.text_field + "\"");
      docs->push_back(j[a.text_field].get<std::string>());
    }
  }
  return golf::Status::Ok();
}

long peak_rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6);
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  int code = 0;
  if (!parse_args(argc, argv, &a, &code)) return code;

  golf::ModelOptions mo;
  mo.compute = a.f32 ? golf::ComputeMode::f32 : golf::ComputeMode::automatic;
  std::unique_ptr<golf::Model> model;
  golf::Status st = golf::Model::load_file(a.model, mo, &model);
  if (!st.ok()) return die(st.message());
  const golf::ModelConfig& cfg = model->config();
  if (!model->tokenizer()) return die(a.model + ": the file has no tokenizer section; BPB needs one");
  const int window = a.window > 0 ? a.window : cfg.max_seq_len;
  if (a.stride > window) return die("--stride must not exceed the window (" + std::to_string(window) + ")");

  // The token stream and the ground-truth bytes.
  std::vector<int32_t> stream;
  int64_t raw_bytes = -1, documents = 0;
  if (!a.shards.empty()) {
    std::vector<uint16_t> tokens;
    st = golf::data::read_shard_tokens(golf::data::shard_pattern(a.shards, "val"), &tokens);
    if (!st.ok()) return die(st.message());
    int64_t n = (int64_t)tokens.size();
    if (a.max_tokens > 1 && n > a.max_tokens) n = a.max_tokens;
    // The challenge trims the validation stream to whole windows (the challenge's load_validation_tokens).
    n = golf::whole_window_tokens(n, window);
    if (n < 2) return die("the shards hold " + std::to_string(tokens.size()) + " tokens, fewer than one window");
    stream.assign(tokens.begin(), tokens.begin() + n);
    for (int32_t t : stream) documents += t == cfg.bos_id;
  } else {
    std::vector<std::string> docs;
    st = read_documents(a, &docs);
    if (!st.ok()) return die(st.message());
    raw_bytes = 0;
    std::vector<int32_t> ids;
    for (const std::string& d : docs) {
      st = model->tokenizer()->encode(d, &ids);
      if (!st.ok()) return die(st.message());
      stream.push_back(cfg.bos_id);
      stream.insert(stream.end(), ids.begin(), ids.end());
      raw_bytes += (int64_t)d.size();
    }
    documents = (int64_t)docs.size();
    if (stream.size() < 2) return die("no tokens to score (empty input)");
  }
  if (a.shards.empty() && a.max_tokens > 1 && (int64_t)stream.size() > a.max_tokens)
    stream.resize((size_t)a.max_tokens);

  golf::SessionOptions so;
  so.n_threads = a.threads;
  so.n_ctx = window;
  so.n_batch = window < 512 ? window : 512;
  std::unique_ptr<golf::Session> session;
  st = golf::Session::create(*model, so, &session);
  if (!st.ok()) return die(st.message());
  golf::ByteCounter bytes(model->tokenizer()->data(), cfg.vocab_size);
  golf::SessionLogits logits(*session);
  golf::Scorer scorer(logits, bytes, cfg.bos_id);
  golf::ScoreOptions opt;
  opt.window = window;
  opt.stride = a.stride;
  opt.doc_isolated = a.doc_isolated;

  const bool bar = a.progress && isatty(2);
  auto t0 = std::chrono::steady_clock::now();
  golf::ScoreProgress progress = [&](int64_t done, int64_t total) {
    if (!bar) return;
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double rate = s > 0 ? (double)done / s : 0;
    int width = 30, fill = total ? (int)(width * done / total) : width;
    std::fprintf(stderr, "\r[%.*s%*s] %5.1f%%  %lld/%lld targets  %.0f tok/s  ETA %.0f s ", fill,
                 "##############################", width - fill, "", total ? 100.0 * (double)done / (double)total : 100.0,
                 (long long)done, (long long)total, rate, rate > 0 ? (double)(total - done) / rate : 0.0);
  };
  golf::ScoreTotals totals;
  st = scorer.score(stream.data(), (int64_t)stream.size(), opt, &totals, progress);
  if (bar) std::fprintf(stderr, "\n");
  if (!st.ok()) return die(st.message());
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  const int64_t truth = raw_bytes >= 0 ? raw_bytes : totals.bytes_rule;
  const double bpb = totals.bits_per_byte(truth), bpb_rule = totals.bits_per_byte(totals.bytes_rule);
  // Scored targets per second (sliding windows also recompute their context, which this does not count).
  double tps = seconds > 0 ? (double)totals.tokens / seconds : 0;
  long peak = peak_rss_kib();
  if (a.json) {
    nlohmann::ordered_json j;
    j["model"] = a.model;
    j["input"] = a.shards.empty() ? "text" : "shards";
    j["val_loss"] = totals.loss();
    j["val_bpb"] = bpb;
    j["tokens"] = totals.tokens;
    j["bytes"] = truth;
    j["total_nats"] = totals.nats;
    j["documents"] = documents;
    if (raw_bytes >= 0) {
      j["bytes_challenge_rule"] = totals.bytes_rule;
      j["val_bpb_challenge_rule"] = bpb_rule;
    }
    j["window"] = window;
    j["stride"] = a.stride;
    j["doc_isolated"] = a.doc_isolated;
    j["threads"] = session->n_threads();
    j["seconds"] = seconds;
    j["tokens_per_second"] = tps;
    j["peak_rss_bytes"] = peak >= 0 ? peak * 1024 : -1;
    j["model_file_bytes"] = model->file().file_size();
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("model        %s (%lld parameters, %llu bytes)\n", a.model.c_str(), (long long)cfg.parameter_count(),
              (unsigned long long)model->file().file_size());
  std::printf("scoring      %s, window %d, %s%s, %d threads\n", a.shards.empty() ? "text documents" : "token shards",
              window, a.stride ? ("stride " + std::to_string(a.stride)).c_str() : "non-overlapping",
              a.doc_isolated ? ", document-isolated" : "", session->n_threads());
  std::printf("val_loss     %.8f nats/token\n", totals.loss());
  std::printf("val_bpb      %.8f\n", bpb);
  std::printf("tokens       %lld targets in %lld documents\n", (long long)totals.tokens, (long long)documents);
  std::printf("bytes        %lld%s\n", (long long)truth, raw_bytes >= 0 ? " (UTF-8 of the documents)" : " (challenge rule)");
  if (raw_bytes >= 0) {
    std::printf("challenge    %lld bytes by the per-token rule (%+lld, %+.3f%%), val_bpb %.8f by that count\n",
                (long long)totals.bytes_rule, (long long)(totals.bytes_rule - raw_bytes),
                raw_bytes ? 100.0 * (double)(totals.bytes_rule - raw_bytes) / (double)raw_bytes : 0.0, bpb_rule);
  }
  std::printf("total_nats   %.6f\n", totals.nats);
  std::printf("speed        %.0f tokens/s (%.1f s)\n", tps, seconds);
  if (peak >= 0) std::printf("peak memory  %.1f MB\n", (double)peak / 1024.0);
  return 0;
}
