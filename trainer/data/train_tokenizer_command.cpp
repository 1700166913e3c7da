// train_tokenizer_command.cpp: `golf-data train-tokenizer`, the command-line side of train_tokenizer.h. Built with
// libsentencepiece where pkg-config finds it; without it the command explains how to get it.
#include <unistd.h>  // access

#include <cstdio>
#include <string>

#include "args.h"  // defines: cli::ArgParser
#include "cli.h"
#include "tokenize.h"
#include "train_tokenizer.h"  // (the options; train_tokenizer() itself is built only with libsentencepiece)

namespace golf {
namespace data {

int run_train_tokenizer(int argc, char** argv) {
  const char* kName = "train-tokenizer";
  TrainTokenizerOptions options;
  bool verbose = false, overwrite = false;
  cli::ArgParser args("golf-data train-tokenizer", "--input FILE [--input FILE ...] --vocab-size N --out PREFIX "
      "[options]",
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
      "Use the same number for both commands.\n");
  args.texts("--input", &options.inputs, "a corpus file; repeat for several").required()
      .integer("--vocab-size", &options.vocab_size, 261, 65536, "vocabulary size").required()
      .text("--out", &options.out_prefix, "output path prefix: writes PREFIX.model, PREFIX.vocab", "PREFIX").required()
      .flag("--overwrite", &overwrite, "replace an existing PREFIX.model / PREFIX.vocab (otherwise an error)")
      .integer("--exclude-val-docs", &options.exclude_val_docs, 0, INT64_MAX, "skip the first N documents of each\n"
               "input (default 50000)")
      .integer("--max-docs", &options.max_docs, 0, INT64_MAX, "train on at most N documents after the exclusion\n"
               "(default 0: all)")
      .text("--text-field", &options.text_field, "JSON field holding the text (default text)", "NAME")
      .flag("--doc-per-line", &options.doc_per_line, "plain-text inputs: every non-blank line is a document")
      .integer("--max-sentence-length", &options.max_sentence_length, 1, INT64_MAX, "documents longer than N bytes\n"
               "are skipped by SentencePiece (default 100000; SentencePiece's own default, 4192, would drop most\n"
               "web pages)")
      .threads(&options.threads, "SentencePiece training threads (default 0: one per core)")
      .flag("--verbose", &verbose, "show SentencePiece's log (by default it goes to PREFIX.log)")
      .epilog("\nThe trained model is checked by loading it with golf's own tokenizer.");
  if (int rc = args.parse(argc - 1, argv + 1); rc >= 0) return rc;
#ifndef GOLF_HAVE_SENTENCEPIECE
  (void)verbose, (void)overwrite;
  return cli_fail(kName, "this golf-data was built without libsentencepiece; install libsentencepiece-dev "
                         "(Debian) and reconfigure the build");
#else
  for (const char* ext : {".model", ".vocab"}) {
    if (!overwrite && ::access((options.out_prefix + ext).c_str(), F_OK) == 0)
      return args.usage_error(options.out_prefix + ext + " exists: pass --overwrite to replace it");
  }
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
