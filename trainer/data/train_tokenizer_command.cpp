// train_tokenizer_command.cpp: `golf-data train-tokenizer`, the command-line side of train_tokenizer.h. Built with
// libsentencepiece where pkg-config finds it; without it the command explains how to get it.
#include <cstdio>
#include <string>

#include "cli.h"
#include "tokenize.h"
#ifdef GOLF_HAVE_SENTENCEPIECE
#include "train_tokenizer.h"
#endif

namespace golf {
namespace data {
namespace {

const char kUsage[] =
    "usage: golf-data train-tokenizer --input FILE [--input FILE ...] --vocab-size N --out PREFIX [options]\n"
    "\n"
    "Trains a SentencePiece BPE tokenizer with the challenge's recipe and writes PREFIX.model and PREFIX.vocab:\n"
    "model_type=bpe, character_coverage=0.999, byte_fallback=true, split_digits=true,\n"
    "normalization_rule_name=nmt_nfkc, add_dummy_prefix=false, pad_id=0, bos_id=1, eos_id=2, unk_id=3,\n"
    "hard_vocab_limit=false (so a small corpus may give fewer than N pieces). Each document is one training\n"
    "sentence, cleaned as the challenge cleans it (NUL -> space, surrounding whitespace stripped, empty ones\n"
    "dropped). Inputs are read as golf-data tokenize reads them (.jsonl/.json/.ndjson as JSON lines, anything else\n"
    "as plain text).\n"
    "\n"
    "Validation documents are never used: the first --exclude-val-docs documents of EACH input are skipped. Its\n"
    "default, 50000, equals tokenize's --val-docs default, so with defaults the documents tokenize sends to\n"
    "validation are exactly among those skipped (with several inputs, more are skipped than tokenize sends to val).\n"
    "Use the same number for both commands.\n"
    "\n"
    "  --input FILE               a corpus file; repeat for several (required)\n"
    "  --vocab-size N             vocabulary size, 261..65536 (required)\n"
    "  --out PREFIX               output path prefix: writes PREFIX.model, PREFIX.vocab (required)\n"
    "  --exclude-val-docs N       skip the first N documents of each input (default 50000)\n"
    "  --max-docs N               train on at most N documents after the exclusion (default: all)\n"
    "  --text-field NAME          JSON field holding the text (default text)\n"
    "  --doc-per-line             plain-text inputs: every non-blank line is a document\n"
    "  --max-sentence-length N    documents longer than N bytes are skipped by SentencePiece (default 100000;\n"
    "                             SentencePiece's own default, 4192, would drop most web pages)\n"
    "  --threads N                SentencePiece training threads (default: one per core)\n"
    "  --verbose                  show SentencePiece's log (by default it goes to PREFIX.log)\n"
    "  --help                     print this text\n"
    "\n"
    "The trained model is checked by loading it with golf's own tokenizer.\n";

}  // namespace

int run_train_tokenizer(int argc, char** argv) {
  const char* kName = "train-tokenizer";
#ifdef GOLF_HAVE_SENTENCEPIECE
  TrainTokenizerOptions options;
  bool verbose = false;
#endif
  for (int i = 2; i < argc; i++) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
  }
#ifndef GOLF_HAVE_SENTENCEPIECE
  return cli_fail(kName, "this golf-data was built without libsentencepiece; install libsentencepiece-dev "
                         "(Debian) and reconfigure the build");
#else
  for (int i = 2; i < argc; i++) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    uint64_t count = 0;
    if (arg == "--input" && has_value) {
      options.inputs.push_back(argv[++i]);
    } else if (arg == "--out" && has_value) {
      options.out_prefix = argv[++i];
    } else if (arg == "--text-field" && has_value) {
      options.text_field = argv[++i];
    } else if ((arg == "--vocab-size" || arg == "--max-docs" || arg == "--exclude-val-docs" ||
                arg == "--max-sentence-length" || arg == "--threads") &&
               has_value) {
      if (!parse_count(argv[++i], &count)) return cli_usage_error(kName, arg + " needs a non-negative integer");
      if (arg == "--vocab-size") options.vocab_size = count > 1000000 ? 1000000 : int(count);
      if (arg == "--max-docs") options.max_docs = count;
      if (arg == "--exclude-val-docs") options.exclude_val_docs = count;
      if (arg == "--max-sentence-length") options.max_sentence_length = count;
      if (arg == "--threads") options.threads = count > 1024 ? 1024 : int(count);
    } else if (arg == "--doc-per-line") {
      options.doc_per_line = true;
    } else if (arg == "--verbose") {
      verbose = true;
    } else {
      return cli_usage_error(kName, "unknown option or missing value: " + arg);
    }
  }
  if (options.inputs.empty()) return cli_usage_error(kName, "--input is required");
  if (options.vocab_size == 0) return cli_usage_error(kName, "--vocab-size is required");
  if (options.vocab_size < 261 || options.vocab_size > 65536) {
    return cli_usage_error(kName, "--vocab-size must be in [261, 65536]");
  }
  if (options.out_prefix.empty()) return cli_usage_error(kName, "--out is required");
  if (!verbose) options.log_path = options.out_prefix + ".log";

  std::printf("golf-data train-tokenizer: training a %d-piece BPE tokenizer%s...\n", options.vocab_size,
              verbose ? "" : (" (SentencePiece's log: " + options.log_path + ")").c_str());
  std::fflush(stdout);
  TrainTokenizerReport report;
  const Status status = train_tokenizer(options, &report);
  if (!status.ok()) {
    if (!verbose && report.sentencepiece_failed) {
      const std::string tail = tail_of_file(options.log_path, 15);
      if (!tail.empty()) std::fprintf(stderr, "last lines of %s:\n%s", options.log_path.c_str(), tail.c_str());
    }
    return cli_fail(kName, status.message());
  }
  std::printf("golf-data train-tokenizer: wrote %s and %s: %d pieces (byte fallback, no dummy prefix), "
              "\"\xE2\x96\x81\" = id %d; trained on %llu documents (%.1f MB), skipped %llu validation documents\n",
              report.model_path.c_str(), report.vocab_path.c_str(), report.pieces, report.space_id,
              static_cast<unsigned long long>(report.documents_used), report.bytes_used / 1e6,
              static_cast<unsigned long long>(report.documents_excluded));
  if (report.documents_too_long > 0) {
    std::printf("golf-data train-tokenizer: note: %llu documents were longer than --max-sentence-length %llu bytes "
                "and SentencePiece skipped them\n",
                static_cast<unsigned long long>(report.documents_too_long),
                static_cast<unsigned long long>(options.max_sentence_length));
  }
  return 0;
#endif
}

}  // namespace data
}  // namespace golf
