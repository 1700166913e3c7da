// tokenize.cpp: the tokenize pipeline (see tokenize.h). One reader (the calling thread) cuts the inputs into
// batches of about 1 MB of documents; worker threads turn each batch into [BOS] + ids per document; one writer
// thread takes the batches back in their original order, routes documents to val or train and writes full shards.
// At most a few batches per worker are in flight, so memory stays flat whatever the corpus size.
#include "tokenize.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "documents.h"
#include "mapped_file.h"
#include "sha256.h"
#include "shard.h"
#include "tokenizer.h"
#include "tokenizer_source.h"

namespace golf {
namespace data {
namespace {

constexpr size_t kBatchBytes = size_t(1) << 20;

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Removes what an earlier run left in out_dir: its shards (only with --overwrite) and its manifest.
Status clear_previous_output(const TokenizeOptions& options) {
  for (const char* split : {"val", "train"}) {
    std::vector<std::string> stale;
    if (!list_shards(shard_glob(options.out_dir, split, options.prefix), &stale).ok()) continue;  // none
    if (!options.overwrite) {
      return Status(StatusCode::invalid_argument,
                    options.out_dir + " already holds " + std::to_string(stale.size()) + " " + options.prefix + "_" +
                        split + "_*.bin shards; pass --overwrite to replace them, or choose another --out");
    }
    for (const std::string& path : stale) {
      if (::unlink(path.c_str()) != 0) {
        return Status(StatusCode::io_error, path + ": cannot remove the old shard: " + std::strerror(errno));
      }
    }
  }
  // An old manifest would describe shards that no longer exist if this run fails half-way.
  const std::string manifest = options.out_dir + "/manifest.json";
  if (::unlink(manifest.c_str()) != 0 && errno != ENOENT) {
    return Status(StatusCode::io_error, manifest + ": cannot remove the old manifest: " + std::strerror(errno));
  }
  return Status::Ok();
}

// One batch of documents as it travels through the pipeline.
struct Batch {
  uint64_t sequence = 0;
  size_t input_index = 0;
  uint64_t input_bytes_done = 0;  // of all inputs, once this batch is written
  DocumentBatch documents;
  // Filled by a worker.
  std::vector<uint16_t> tokens;       // every document's [BOS] + ids, back to back
  std::vector<uint64_t> doc_tokens;   // tokens of each document
  std::vector<uint64_t> doc_bytes;    // text bytes of each document
  Status status;
};

Status tokenize_batch(const Tokenizer& tokenizer, int bos_id, InputFormat format, const std::string& text_field,
                      const std::string& input_path, Batch* batch) {
  std::vector<int32_t> ids;
  std::string text;
  const int vocab = tokenizer.vocab_size();
  batch->tokens.reserve(batch->documents.bytes.size() / 2);
  for (size_t i = 0; i < batch->documents.docs.size(); i++) {
    std::string_view doc = batch->documents.doc(i);
    if (format == InputFormat::jsonl) {
      GOLF_RETURN_IF_ERROR(extract_text(doc, text_field,
                                        input_path + ":" + std::to_string(batch->documents.docs[i].line), &text));
      doc = text;
    }
    Status status = tokenizer.encode(doc, &ids);
    if (!status.ok()) {
      return status.prefix(input_path + ":" + std::to_string(batch->documents.docs[i].line) + ": ");
    }
    batch->tokens.push_back(uint16_t(bos_id));
    for (int32_t id : ids) {
      if (id < 0 || id >= vocab) {
        return Status(StatusCode::bad_format, input_path + ":" + std::to_string(batch->documents.docs[i].line) +
                                                  ": the tokenizer produced id " + std::to_string(id) +
                                                  " outside its vocabulary");
      }
      batch->tokens.push_back(uint16_t(id));
    }
    batch->doc_tokens.push_back(1 + ids.size());
    batch->doc_bytes.push_back(doc.size());
  }
  return Status::Ok();
}

// Collects one split's tokens and writes a shard each time shard_tokens are gathered.
class ShardSink {
 public:
  ShardSink(const TokenizeOptions& options, const char* split, SplitRecord* record)
      : options_(options), split_(split), record_(record) {}

  Status append(const uint16_t* tokens, uint64_t n) {
    while (n > 0) {
      const uint64_t take = std::min<uint64_t>(n, options_.shard_tokens - buffer_.size());
      buffer_.insert(buffer_.end(), tokens, tokens + take);
      tokens += take;
      n -= take;
      if (buffer_.size() == options_.shard_tokens) GOLF_RETURN_IF_ERROR(flush());
    }
    return Status::Ok();
  }

  Status flush() {
    if (buffer_.empty()) return Status::Ok();
    ShardRecord shard;
    shard.name = shard_file_name(options_.prefix, split_, record_->shards.size());
    shard.tokens = buffer_.size();
    std::string dir = options_.out_dir;
    if (dir.back() != '/') dir += '/';
    GOLF_RETURN_IF_ERROR(write_shard(dir + shard.name, buffer_.data(), buffer_.size(), &shard.sha256));
    record_->shards.push_back(shard);
    buffer_.clear();
    return Status::Ok();
  }

 private:
  const TokenizeOptions& options_;
  const char* split_;
  SplitRecord* record_;
  std::vector<uint16_t> buffer_;
};

// The threads' meeting point: a job queue for the workers, finished batches keyed by sequence for the writer.
struct Pipeline {
  std::mutex mutex;
  std::condition_variable work_ready, result_ready, space_ready;
  std::deque<std::unique_ptr<Batch>> jobs;
  std::map<uint64_t, std::unique_ptr<Batch>> results;
  size_t in_flight = 0;  // batches handed out and not yet written
  bool reading_done = false;
  uint64_t batches_total = 0;  // valid once reading_done
  Status failure;
  bool failed = false;

  void fail(const Status& status) {
    std::lock_guard<std::mutex> lock(mutex);
    if (!failed) {
      failed = true;
      failure = status;
    }
    work_ready.notify_all();
    result_ready.notify_all();
    space_ready.notify_all();
  }
};

}  // namespace

Status tokenize_corpus(const TokenizeOptions& options, Manifest* manifest) {
  if (options.inputs.empty()) return Status(StatusCode::invalid_argument, "no inputs: pass at least one --input");
  if (options.out_dir.empty()) return Status(StatusCode::invalid_argument, "no output directory: pass --out DIR");
  if (options.shard_tokens < 1 || options.shard_tokens > kMaxShardTokens) {
    return Status(StatusCode::invalid_argument, "--shard-tokens must be in [1, 2147483647], got " +
                                                    std::to_string(options.shard_tokens));
  }
  if (options.prefix.empty() || options.prefix.find('/') != std::string::npos) {
    return Status(StatusCode::invalid_argument,
                  "--prefix must be a plain non-empty name, got '" + options.prefix + "'");
  }
  const Clock::time_point start = Clock::now();

  // The tokenizer, and the SHA-256 of the exact file it came from.
  TokenizerData data;
  GOLF_RETURN_IF_ERROR(load_tokenizer_data(options.tokenizer_path, &data));
  Tokenizer tokenizer;
  GOLF_RETURN_IF_ERROR(tokenizer.init(data).prefix(options.tokenizer_path + ": "));
  if (tokenizer.vocab_size() > kMaxShardVocab) {
    return Status(StatusCode::invalid_argument,
                  options.tokenizer_path + ": vocabulary of " + std::to_string(tokenizer.vocab_size()) +
                      " pieces; shards store ids as uint16, so at most 65536");
  }
  if (data.bos_id < 0 || data.bos_id >= tokenizer.vocab_size()) {
    return Status(StatusCode::invalid_argument,
                  options.tokenizer_path + ": the tokenizer has no BOS piece (bos_id " + std::to_string(data.bos_id) +
                      "), and every document starts with BOS; train one with bos_id=1");
  }
  std::string tokenizer_bytes;
  GOLF_RETURN_IF_ERROR(read_file_bytes(options.tokenizer_path, &tokenizer_bytes));

  Manifest m;
  m.tool = "golf-data tokenize 0.1.0";
  m.tokenizer_path = options.tokenizer_path;
  m.tokenizer_sha256 = sha256_hex(tokenizer_bytes.data(), tokenizer_bytes.size());
  m.vocab_size = tokenizer.vocab_size();
  m.bos_id = data.bos_id;
  m.prefix = options.prefix;
  m.text_field = options.text_field;
  m.val_docs = options.val_docs;
  m.shard_tokens = options.shard_tokens;
  m.max_docs = options.max_docs;

  // Open every input first: a missing file should fail before minutes of work.
  std::vector<std::unique_ptr<DocumentReader>> readers;
  uint64_t input_bytes_total = 0;
  for (const std::string& path : options.inputs) {
    readers.push_back(std::make_unique<DocumentReader>());
    GOLF_RETURN_IF_ERROR(readers.back()->open(path, input_format_for(path, options.doc_per_line)));
    input_bytes_total += readers.back()->file_size();
  }
  GOLF_RETURN_IF_ERROR(make_directories(options.out_dir));
  GOLF_RETURN_IF_ERROR(clear_previous_output(options));

  const unsigned cores = std::thread::hardware_concurrency();
  const int threads = options.threads > 0 ? options.threads : int(cores > 0 ? cores : 1);
  const size_t max_in_flight = 2 * size_t(threads) + 2;
  Pipeline pipe;

  std::vector<std::thread> workers;
  for (int t = 0; t < threads; t++) {
    workers.emplace_back([&] {
      for (;;) {
        std::unique_ptr<Batch> batch;
        {
          std::unique_lock<std::mutex> lock(pipe.mutex);
          pipe.work_ready.wait(lock, [&] { return pipe.failed || !pipe.jobs.empty() || pipe.reading_done; });
          if (pipe.failed || pipe.jobs.empty()) return;
          batch = std::move(pipe.jobs.front());
          pipe.jobs.pop_front();
        }
        const DocumentReader& reader = *readers[batch->input_index];
        batch->status = tokenize_batch(tokenizer, data.bos_id, reader.format(), options.text_field, reader.path(),
                                       batch.get());
        std::lock_guard<std::mutex> lock(pipe.mutex);
        const uint64_t sequence = batch->sequence;
        pipe.results[sequence] = std::move(batch);
        pipe.result_ready.notify_all();
      }
    });
  }

  uint64_t input_bytes_written = 0;  // input bytes whose documents the writer has written
  std::thread writer([&] {
    ShardSink val(options, "val", &m.val), train(options, "train", &m.train);
    uint64_t next = 0, doc_index = 0;
    Clock::time_point last_report = Clock::now();
    Status status;
    for (;;) {
      std::unique_ptr<Batch> batch;
      {
        std::unique_lock<std::mutex> lock(pipe.mutex);
        pipe.result_ready.wait(lock, [&] {
          return pipe.failed || pipe.results.count(next) || (pipe.reading_done && next == pipe.batches_total);
        });
        if (pipe.failed) return;
        if (!pipe.results.count(next)) break;  // everything written
        batch = std::move(pipe.results[next]);
        pipe.results.erase(next);
        pipe.in_flight--;
        pipe.space_ready.notify_all();
      }
      next++;
      input_bytes_written = batch->input_bytes_done;
      status = batch->status;
      const uint16_t* tokens = batch->tokens.data();
      for (size_t i = 0; status.ok() && i < batch->doc_tokens.size(); i++) {
        const bool is_val = doc_index < options.val_docs;
        // The challenge flushes the last, partial val shard as soon as the first train document arrives.
        if (!is_val && doc_index == options.val_docs) status = val.flush();
        if (!status.ok()) break;
        SplitRecord& split = is_val ? m.val : m.train;
        split.documents++;
        split.tokens += batch->doc_tokens[i];
        split.bytes += batch->doc_bytes[i];
        status = (is_val ? val : train).append(tokens, batch->doc_tokens[i]);
        tokens += batch->doc_tokens[i];
        doc_index++;
      }
      if (!status.ok()) return pipe.fail(status);
      if (options.progress && seconds_since(last_report) >= 0.2) {
        last_report = Clock::now();
        options.progress({doc_index, batch->input_bytes_done, input_bytes_total, options.max_docs,
                          seconds_since(start), false});
      }
    }
    status = val.flush();
    if (status.ok()) status = train.flush();
    if (!status.ok()) return pipe.fail(status);
  });

  // The reader: this thread.
  uint64_t sequence = 0, doc_index = 0, bytes_done_before = 0;
  Status read_status;
  bool stopped = false;  // a read error here, or a failure in another thread
  for (size_t input = 0; input < readers.size() && !stopped; input++) {
    DocumentReader& reader = *readers[input];
    bool end = false;
    while (!end && !stopped) {
      if (options.max_docs > 0 && doc_index >= options.max_docs) break;
      auto batch = std::make_unique<Batch>();
      const size_t doc_limit = options.max_docs > 0 ? size_t(options.max_docs - doc_index) : SIZE_MAX;
      read_status = reader.read(kBatchBytes, doc_limit, &batch->documents, &end);
      stopped = !read_status.ok();
      if (stopped || batch->documents.docs.empty()) break;
      std::unique_lock<std::mutex> lock(pipe.mutex);
      pipe.space_ready.wait(lock, [&] { return pipe.failed || pipe.in_flight < max_in_flight; });
      stopped = pipe.failed;
      if (stopped) break;
      doc_index += batch->documents.docs.size();
      batch->sequence = sequence++;
      batch->input_index = input;
      batch->input_bytes_done = bytes_done_before + reader.bytes_read();
      pipe.in_flight++;
      pipe.jobs.push_back(std::move(batch));
      pipe.work_ready.notify_one();
    }
    // Hash what --max-docs left unread, so the manifest identifies the whole file.
    if (!stopped) {
      read_status = reader.finish_hash();
      stopped = !read_status.ok();
    }
    bytes_done_before += reader.file_size();
  }
  if (!read_status.ok()) pipe.fail(read_status);
  {
    std::lock_guard<std::mutex> lock(pipe.mutex);
    pipe.reading_done = true;
    pipe.batches_total = sequence;
    pipe.work_ready.notify_all();
    pipe.result_ready.notify_all();
  }
  for (std::thread& t : workers) t.join();
  writer.join();
  if (pipe.failed) return pipe.failure;

  for (const auto& reader : readers) {
    m.inputs.push_back({reader->path(), input_format_name(reader->format()), reader->file_size(),
                        reader->sha256_hex(), reader->documents()});
  }
  std::string dir = options.out_dir;
  if (dir.back() != '/') dir += '/';
  GOLF_RETURN_IF_ERROR(write_manifest(dir + "manifest.json", m));
  if (options.progress) {
    options.progress({m.val.documents + m.train.documents, input_bytes_written, input_bytes_total, options.max_docs,
                      seconds_since(start), true});
  }
  *manifest = std::move(m);
  return Status::Ok();
}

}  // namespace data
}  // namespace golf
