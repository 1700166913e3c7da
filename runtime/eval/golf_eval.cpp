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

#include "args.h"  // defines: golf::cli::ArgParser
#include "byte_count.h"
#include "jsonl_text.h"  // defines: golf::cli::jsonl_text
#include "mapped_file.h"
#include "multi_session_logits.h"
#include "model.h"
#include "scorer.h"
#include "device.h"
#include "session.h"
#include "shard.h"
#include "windows.h"

namespace {

struct Args {
  std::string model, shards, text_field = "text", device = "cpu", devices;
  std::vector<std::string> device_list;  // the sessions to run: --device, or each of --devices
  std::vector<std::string> texts, jsonls;
  int window = 0, stride = 0, threads = 0;
  int64_t max_docs = -1, max_tokens = -1;
  bool doc_isolated = false, f32 = false, json = false, progress = true, bf16 = false;
};

int die(const std::string& m) {
  std::fprintf(stderr, "golf-eval: %s\n", m.c_str());
  return 1;
}

// -1: go on; otherwise the exit status (0 after --help, 2 after a usage error).
int parse_args(int argc, char** argv, Args* a) {
  golf::cli::ArgParser args("golf-eval", "-m MODEL.golf INPUT... [options]",
      "Scores the model in bits per byte (BPB) and prints val_loss, val_bpb, tokens, bytes, total nats, tokens/s.");
  args.section("inputs (one kind per run)")
      .text("--shards", &a->shards, "the challenge's token shards (DIR means DIR/fineweb_val_*.bin, sorted); the\n"
            "stream is trimmed to ((N-1)//L)*L+1 tokens and bytes follow the challenge's per-token rule", "DIR|GLOB")
      .texts("--text", &a->texts, "a text file, scored as one document (BOS + its tokens); repeatable")
      .texts("--jsonl", &a->jsonls, "one document per line (field \"text\"); repeatable; text and JSONL: every\n"
             "byte of the documents' UTF-8 counts (the ground truth); the challenge's per-token byte count is\n"
             "reported beside it")
      .section("options")
      .text("-m,--model", &a->model, "the .golf model").required()
      .integer("--window", &a->window, 0, 1 << 24, "tokens per forward pass (default 0: the model's max_seq_len)", "L")
      .integer("--stride", &a->stride, 0, 1 << 24, "sliding windows: each target scored once with at least L-S\n"
               "tokens of context (default 0: non-overlapping windows, the challenge's baseline score)", "S")
      .flag("--doc-isolated", &a->doc_isolated, "context never crosses a document boundary (BOS)")
      .integer("--max-docs", &a->max_docs, 1, INT64_MAX, "text/JSONL: only the first N documents")
      .integer("--max-tokens", &a->max_tokens, 2, INT64_MAX, "score only the first N tokens of the stream (text and\n"
               "JSONL: the bytes counted are exactly those of the text scored)")
      .threads(&a->threads)
      .flag("--f32", &a->f32, "run the fp32 reference path (weights dequantized at load)")
      .text("--device", &a->device, "where to run: cpu (default), cuda (= cuda:0) or cuda:N; a GPU session\n"
            "dequantizes the file's weights on the device and runs many windows per forward pass", "DEV")
      .text("--devices", &a->devices, "several devices in one process, the windows of each forward pass split\n"
            "between them: a comma-separated list of device indices (0,1 = cuda:0,cuda:1) or devices", "LIST")
      .flag("--bf16", &a->bf16, "GPU: bf16 tensor-core matrix products (default fp32, the reference)")
      .flag("--json", &a->json, "print the result as JSON on stdout")
      .flag_off("--no-progress", &a->progress, "no progress bar (it is drawn only when stderr is a terminal anyway)");
  if (int rc = args.parse(argc, argv); rc >= 0) return rc;
  const int kinds = !a->shards.empty() + (!a->texts.empty() || !a->jsonls.empty());
  if (kinds != 1) return args.usage_error("give one kind of input: --shards, or --text/--jsonl (see --help)");
  golf::DeviceChoice device;
  if (!golf::parse_device(a->device, &device).ok())
    return args.usage_error("--device: expected cpu, cuda or cuda:N, not '" + a->device + "'");
  if (a->devices.empty()) {
    a->device_list = {a->device};
  } else {
    if (a->device != "cpu") return args.usage_error("--devices: give --device or --devices, not both");
    for (size_t start = 0; start <= a->devices.size();) {
      size_t end = a->devices.find(',', start);
      if (end == std::string::npos) end = a->devices.size();
      std::string item = a->devices.substr(start, end - start);
      if (!item.empty() && item.find_first_not_of("0123456789") == std::string::npos) item = "cuda:" + item;
      if (!golf::parse_device(item, &device).ok())
        return args.usage_error("--devices: expected device indices or cpu/cuda/cuda:N, not '" + item + "'");
      a->device_list.push_back(item);
      start = end + 1;
    }
  }
  return -1;
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
    std::string all;
    GOLF_RETURN_IF_ERROR(golf::read_file_bytes(path, &all));  // a directory or an unreadable file is an error here
    int64_t line_no = 0;
    for (size_t start = 0; !full() && start < all.size();) {
      size_t end = all.find('\n', start);
      if (end == std::string::npos) end = all.size();
      const std::string line = all.substr(start, end - start);
      start = end + 1;
      line_no++;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      const std::string where = path + ":" + std::to_string(line_no) + ": ";
      std::string text;
      const std::string problem = golf::cli::jsonl_text(line, a.text_field, &text);
      if (!problem.empty()) return golf::Status(golf::StatusCode::bad_format, where + problem);
      docs->push_back(std::move(text));
    }
  }
  return golf::Status::Ok();
}

// UTF-8 bytes of the documents the (possibly cut) stream scores; see main. doc_start: each document's BOS position in
// the uncut stream, whose prefix `stream` is, then that stream's length.
golf::Status scored_text_bytes(const golf::Tokenizer& tokenizer, const std::vector<std::string>& docs,
                               const std::vector<size_t>& doc_start, const std::vector<int32_t>& stream,
                               int64_t* bytes, int64_t* documents) {
  *bytes = 0, *documents = 0;
  for (size_t i = 0; i < docs.size() && doc_start[i] + 1 < stream.size(); i++) {
    const size_t first = doc_start[i] + 1, end = doc_start[i + 1];
    ++*documents;
    if (end <= stream.size()) {
      *bytes += (int64_t)docs[i].size();
      continue;
    }
    std::string text;
    GOLF_RETURN_IF_ERROR(tokenizer.decode(stream.data() + first, stream.size() - first, &text));
    *bytes += (int64_t)text.size();
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
  if (int rc = parse_args(argc, argv, &a); rc >= 0) return rc;

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
    std::vector<int32_t> ids;
    std::vector<size_t> doc_start;  // (docs + 1) stream position of each document's BOS, then the stream's end
    for (const std::string& d : docs) {
      st = model->tokenizer()->encode(d, &ids);
      if (!st.ok()) return die(st.message());
      doc_start.push_back(stream.size());
      stream.push_back(cfg.bos_id);
      stream.insert(stream.end(), ids.begin(), ids.end());
    }
    doc_start.push_back(stream.size());  // the end of the last document
    if (a.max_tokens > 1 && (int64_t)stream.size() > a.max_tokens) stream.resize((size_t)a.max_tokens);
    if (stream.size() < 2) return die("no tokens to score (empty input)");
    // The ground truth counts exactly the text scored: whole documents by their UTF-8 bytes; a document that
    // --max-tokens cuts by the bytes its scored tokens decode to; documents past the cut not at all.
    st = scored_text_bytes(*model->tokenizer(), docs, doc_start, stream, &raw_bytes, &documents);
    if (!st.ok()) return die(st.message());
  }

  golf::SessionCreateOptions so;
  so.cpu.n_threads = a.threads;
  so.cpu.n_ctx = window;
  so.precision = a.bf16 ? golf::DevicePrecision::bf16 : golf::DevicePrecision::fp32;
  std::vector<std::unique_ptr<golf::InferenceSession>> sessions;
  std::vector<golf::InferenceSession*> session_ptrs;
  std::string device_names;
  int64_t peak_device_bytes = 0;
  for (const std::string& dev : a.device_list) {
    so.device = dev;
    sessions.emplace_back();
    st = golf::create_session(*model, so, &sessions.back());
    if (!st.ok()) return die(st.message());
    session_ptrs.push_back(sessions.back().get());
    device_names += (device_names.empty() ? "" : ",") + sessions.back()->device();
  }
  const golf::InferenceSession* session = sessions[0].get();
  const golf::Session* cpu_session = dynamic_cast<const golf::Session*>(session);
  const int n_threads = cpu_session ? cpu_session->n_threads() : 0;
  golf::ByteCounter bytes(model->tokenizer()->data(), cfg.vocab_size);
  golf::SessionLogits one_session(*sessions[0]);
  golf::MultiSessionLogits many_sessions(session_ptrs);
  golf::LogitsSource& logits = sessions.size() > 1 ? (golf::LogitsSource&)many_sessions : one_session;
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
  for (const auto& s : sessions) peak_device_bytes += s->device_peak_bytes();

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
    j["device"] = device_names;
    j["threads"] = n_threads;
    j["seconds"] = seconds;
    j["tokens_per_second"] = tps;
    j["peak_rss_bytes"] = peak >= 0 ? peak * 1024 : -1;
    j["peak_device_bytes"] = peak_device_bytes;
    j["model_file_bytes"] = model->file().file_size();
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("model        %s (%lld parameters, %llu bytes)\n", a.model.c_str(), (long long)cfg.parameter_count(),
              (unsigned long long)model->file().file_size());
  std::printf("scoring      %s, window %d, %s%s, %s\n", a.shards.empty() ? "text documents" : "token shards",
              window, a.stride ? ("stride " + std::to_string(a.stride)).c_str() : "non-overlapping",
              a.doc_isolated ? ", document-isolated" : "",
              (cpu_session && sessions.size() == 1 ? std::to_string(n_threads) + " threads" : device_names).c_str());
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
  if (peak_device_bytes > 0)
    std::printf("peak device  %.1f MB (%s)\n", (double)peak_device_bytes / 1048576.0, device_names.c_str());
  return 0;
}
