// train_tokenizer.cpp: the SentencePiece trainer behind `golf-data train-tokenizer` (see train_tokenizer.h). The
// documents stream from the inputs through a SentenceIterator; SentencePiece keeps its own copy of them in memory.
#include "train_tokenizer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>
#include <unordered_map>

#include <sentencepiece_trainer.h>

#include "documents.h"
#include "shard.h"
#include "spm_model.h"
#include "tokenizer.h"

namespace golf {
namespace data {
namespace {

// The challenge's _iter_sentencepiece_text: text.replace("\x00", " ").strip(), empty documents dropped.
std::string clean_for_training(std::string text) {
  for (char& c : text) {
    if (c == '\0') c = ' ';
  }
  const char* kWhitespace = " \t\n\r\f\v";
  const size_t first = text.find_first_not_of(kWhitespace);
  if (first == std::string::npos) return std::string();
  const size_t last = text.find_last_not_of(kWhitespace);
  return text.substr(first, last - first + 1);
}

// Streams the training documents to SentencePiece: every input in order, its first exclude_val_docs documents
// skipped, at most max_docs documents in all.
class TrainingDocuments : public sentencepiece::SentenceIterator {
 public:
  TrainingDocuments(const TrainTokenizerOptions& options, TrainTokenizerReport* report)
      : options_(options), report_(report) {
    Next();
  }
  bool done() const override { return done_; }
  const std::string& value() const override { return value_; }
  sentencepiece::util::Status status() const override {
    if (status_.ok()) return sentencepiece::util::Status();
    return sentencepiece::util::Status(sentencepiece::util::StatusCode::kInternal, status_.message());
  }
  const Status& golf_status() const { return status_; }

  void Next() override {
    while (!done_) {
      if (options_.max_docs > 0 && report_->documents_used >= options_.max_docs) {
        done_ = true;
        return;
      }
      if (next_doc_ < batch_.docs.size()) {
        const size_t i = next_doc_++;
        if (docs_in_input_++ < options_.exclude_val_docs) {
          report_->documents_excluded++;
          continue;
        }
        std::string text(batch_.doc(i));
        if (reader_->format() == InputFormat::jsonl) {
          const std::string where = reader_->path() + ":" + std::to_string(batch_.docs[i].line);
          status_ = extract_text(batch_.doc(i), options_.text_field, where, &text);
          if (!status_.ok()) {
            done_ = true;
            return;
          }
        }
        text = clean_for_training(std::move(text));
        if (text.empty()) continue;
        report_->documents_used++;
        report_->bytes_used += text.size();
        if (text.size() > options_.max_sentence_length) report_->documents_too_long++;
        value_ = std::move(text);
        return;
      }
      if (!refill()) done_ = true;
    }
  }

 private:
  // Loads the next batch of documents, opening the next input when one ends; false when all are read.
  bool refill() {
    batch_.clear();
    next_doc_ = 0;
    while (status_.ok()) {
      if (reader_ == nullptr || reader_end_) {
        if (input_ == options_.inputs.size()) return false;
        const std::string& path = options_.inputs[input_++];
        reader_ = std::make_unique<DocumentReader>();
        status_ = reader_->open(path, input_format_for(path, options_.doc_per_line));
        reader_end_ = false;
        docs_in_input_ = 0;
        continue;
      }
      status_ = reader_->read(size_t(1) << 20, SIZE_MAX, &batch_, &reader_end_);
      if (status_.ok() && !batch_.docs.empty()) return true;
    }
    return false;
  }

  const TrainTokenizerOptions& options_;
  TrainTokenizerReport* report_;
  std::unique_ptr<DocumentReader> reader_;
  bool reader_end_ = false;
  size_t input_ = 0;
  uint64_t docs_in_input_ = 0;
  DocumentBatch batch_;
  size_t next_doc_ = 0;
  std::string value_;
  bool done_ = false;
  Status status_;
};

// Sends fd 2 to a file for as long as it lives; SentencePiece logs through std::cerr and has no public switch.
class StderrToFile {
 public:
  Status start(const std::string& path) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return Status(StatusCode::io_error, path + ": cannot create the log file: " + std::strerror(errno));
    std::fflush(stderr);
    saved_ = ::dup(2);
    ::dup2(fd, 2);
    ::close(fd);
    return Status::Ok();
  }
  ~StderrToFile() {
    if (saved_ < 0) return;
    std::cerr.flush();
    std::fflush(stderr);
    ::dup2(saved_, 2);
    ::close(saved_);
  }

 private:
  int saved_ = -1;
};

}  // namespace

std::string tail_of_file(const std::string& path, int max_lines) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(line);
    if (lines.size() > size_t(max_lines)) lines.erase(lines.begin());
  }
  std::string out;
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

Status train_tokenizer(const TrainTokenizerOptions& options, TrainTokenizerReport* report) {
  *report = TrainTokenizerReport();
  if (options.inputs.empty()) return Status(StatusCode::invalid_argument, "no inputs: pass at least one --input");
  if (options.out_prefix.empty()) return Status(StatusCode::invalid_argument, "no output: pass --out PREFIX");
  // Byte fallback needs 256 byte pieces and the 4 specials before any merge.
  if (options.vocab_size < 261 || options.vocab_size > 65536) {
    return Status(StatusCode::invalid_argument,
                  "--vocab-size must be in [261, 65536] (260 ids are the 4 specials and 256 byte pieces; shards store "
                  "ids as uint16), got " + std::to_string(options.vocab_size));
  }
  const size_t slash = options.out_prefix.rfind('/');
  if (slash != std::string::npos && slash > 0) {
    GOLF_RETURN_IF_ERROR(make_directories(options.out_prefix.substr(0, slash)));
  }
  const unsigned cores = std::thread::hardware_concurrency();
  const int threads = options.threads > 0 ? options.threads : int(cores > 0 ? cores : 1);
  const std::unordered_map<std::string, std::string> args = {
      {"model_prefix", options.out_prefix},
      {"model_type", "bpe"},
      {"vocab_size", std::to_string(options.vocab_size)},
      {"character_coverage", "0.999"},
      {"byte_fallback", "true"},
      {"split_digits", "true"},
      {"normalization_rule_name", "nmt_nfkc"},
      {"add_dummy_prefix", "false"},
      {"pad_id", "0"},
      {"bos_id", "1"},
      {"eos_id", "2"},
      {"unk_id", "3"},
      {"hard_vocab_limit", "false"},
      {"max_sentence_length", std::to_string(options.max_sentence_length)},
      {"num_threads", std::to_string(threads)},
  };

  TrainingDocuments documents(options, report);
  sentencepiece::util::Status trained;
  {
    StderrToFile quiet;
    if (!options.log_path.empty()) GOLF_RETURN_IF_ERROR(quiet.start(options.log_path));
    trained = sentencepiece::SentencePieceTrainer::Train(args, &documents);
  }
  GOLF_RETURN_IF_ERROR(documents.golf_status());
  if (report->documents_used == 0) {
    return Status(StatusCode::invalid_argument,
                  "no training documents: all " + std::to_string(report->documents_excluded) +
                      " documents were excluded as validation documents (--exclude-val-docs " +
                      std::to_string(options.exclude_val_docs) + " per input) or were empty");
  }
  if (!trained.ok()) {
    // "Vocabulary size is smaller than required_chars. 300 vs 340. Increase vocab_size or decrease
    // character_coverage with --character_coverage option." names flags golf-data does not have: say ours.
    const std::string why = trained.ToString();
    const char* kSmaller = "smaller than required_chars. ";
    const size_t at = why.find(kSmaller);
    int asked = 0, needed = 0;
    if (at != std::string::npos &&
        std::sscanf(why.c_str() + at + std::strlen(kSmaller), "%d vs %d", &asked, &needed) == 2) {
      return Status(StatusCode::invalid_argument,
                    "--vocab-size " + std::to_string(asked) + " is too small for this corpus: its characters (at "
                    "0.999 coverage), the 4 special pieces and the 256 byte pieces need " + std::to_string(needed) +
                    "; pass --vocab-size " + std::to_string(needed) + " or more");
    }
    report->sentencepiece_failed = true;
    return Status(StatusCode::invalid_argument, std::string("SentencePiece training failed: ") + why);
  }

  // Check the result the way golf will use it: our own parser and tokenizer must accept it.
  report->model_path = options.out_prefix + ".model";
  report->vocab_path = options.out_prefix + ".vocab";
  TokenizerData data;
  GOLF_RETURN_IF_ERROR(spm_model_load(report->model_path, &data));
  Tokenizer tokenizer;
  GOLF_RETURN_IF_ERROR(tokenizer.init(data).prefix(report->model_path + ": "));
  report->pieces = tokenizer.vocab_size();
  for (int id = 0; id < tokenizer.vocab_size(); id++) {
    if (tokenizer.piece(id).piece == kSpaceSymbol) report->space_id = id;
  }
  return Status::Ok();
}

}  // namespace data
}  // namespace golf
