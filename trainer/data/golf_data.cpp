// golf_data.cpp: golf-data, the data tool of the trainer: `tokenize` (corpus -> the challenge's .bin shards and a
// manifest), `train-tokenizer` (a SentencePiece BPE model with the challenge's recipe) and `inspect` (look inside
// shards). This file holds the dispatcher, the shared helpers and `tokenize`.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "args.h"  // defines: cli::ArgParser
#include "cli.h"
#include "tokenize.h"

namespace golf {
namespace data {
namespace {

const char kMainUsage[] =
    "usage: golf-data <command> [options]\n"
    "\n"
    "Prepares training data in the format of OpenAI's Parameter Golf challenge.\n"
    "\n"
    "commands:\n"
    "  tokenize         tokenize JSONL or text corpora into fineweb_{val,train}_NNNNNN.bin shards + manifest.json\n"
    "  train-tokenizer  train a SentencePiece BPE .model with the challenge's recipe, never on validation documents\n"
    "  inspect          show the header, token counts and first tokens of shards (and check them)\n"
    "\n"
    "Run `golf-data <command> --help` for a command's options.\n";

int run_tokenize(int argc, char** argv) {
  const char* kName = "tokenize";
  TokenizeOptions options;
  cli::ArgParser args("golf-data tokenize", "--tokenizer T.model|M.golf --input FILE [--input FILE ...] --out DIR "
      "[options]",
      "Tokenizes documents into the challenge's shards. Each document is written as [BOS] + encode(text): BOS is the\n"
      "tokenizer's bos id, there is no EOS, and the ids are exactly SentencePiece's. The FIRST --val-docs documents\n"
      "(counted over the inputs in the order given) go to DIR/<prefix>_val_NNNNNN.bin, all later ones to\n"
      "DIR/<prefix>_train_NNNNNN.bin; val and train never share a shard, and documents run across shard boundaries.\n"
      "Shard format: 256 x int32 LE header (20240520, 1, num_tokens, zeros), then num_tokens x uint16 LE.\n"
      "Tokenizing runs on several threads; the output is byte-identical for any thread count.\n"
      "\n"
      "Inputs (by file name): .jsonl/.json/.ndjson are JSON lines, one document per non-blank line, its text in the\n"
      "field --text-field; any other file is plain text, one document per block of non-blank lines (joined by\n"
      "\"\\n\"; a trailing \"\\r\" is dropped from each line; blank = only spaces, tabs, \\r, \\f, \\v), or one\n"
      "per non-blank line with --doc-per-line.\n");
  args.text("--tokenizer", &options.tokenizer_path, "SentencePiece .model, or a .golf file with a TOKN section",
            "PATH").required()
      .texts("--input", &options.inputs, "a corpus file; repeat for several").required()
      .text("--out", &options.out_dir, "output directory, created if missing", "DIR").required()
      .integer("--val-docs", &options.val_docs, 0, INT64_MAX, "documents sent to validation (default 50000, the\n"
               "challenge's NUM_VAL_DOCS; 0 = none). train-tokenizer's --exclude-val-docs has the same default,\n"
               "so by default the tokenizer never sees these documents")
      .integer("--shard-tokens", &options.shard_tokens, 1, INT64_MAX, "tokens per shard, the last of each split\n"
               "holds the rest (default 100000000)")
      .text("--text-field", &options.text_field, "JSON field holding the text (default text)", "NAME")
      .integer("--max-docs", &options.max_docs, 0, INT64_MAX, "stop after N documents in all (default 0: all)")
      .flag("--doc-per-line", &options.doc_per_line, "plain-text inputs: every non-blank line is a document")
      .text("--prefix", &options.prefix, "shard name prefix (default fineweb)", "NAME")
      .threads(&options.threads, "tokenizing threads (default 0: one per core)")
      .flag("--overwrite", &options.overwrite, "delete existing <prefix>_{val,train}_*.bin and manifest.json in\n"
            "DIR first (otherwise they are an error: stale shards would mix with the new ones)")
      .epilog("\nWrites DIR/manifest.json: the tokenizer (path, SHA-256, vocab size, bos id), every input (path,\n"
              "format, bytes, SHA-256, documents taken), the options, and per split the documents, tokens, text\n"
              "bytes and each shard's name, token count and SHA-256. On a terminal a progress line shows documents,\n"
              "MB/s and the time left; otherwise only the final summary is printed.");
  if (int rc = args.parse(argc - 1, argv + 1); rc >= 0) return rc;

  const bool terminal = ::isatty(2) != 0;
  if (terminal) {
    options.progress = [](const TokenizeProgress& p) {
      const double mb = p.input_bytes_done / 1e6;
      const double rate = p.seconds > 0 ? mb / p.seconds : 0;
      // Time left from the bytes still to read, or from the documents still to take under --max-docs.
      double left = -1;
      if (p.finished) {
        left = 0;
      } else if (p.max_docs > 0 && p.documents > 0) {
        left = p.seconds * double(p.max_docs - std::min(p.documents, p.max_docs)) / double(p.documents);
      } else if (p.max_docs == 0 && rate > 0) {
        left = (p.input_bytes_total - p.input_bytes_done) / 1e6 / rate;
      }
      char eta[32] = "?";
      if (left >= 0) std::snprintf(eta, sizeof eta, "%d:%02d", int(left) / 60, int(left) % 60);
      char docs[64];
      if (p.max_docs > 0) {
        std::snprintf(docs, sizeof docs, "%llu of %llu documents", static_cast<unsigned long long>(p.documents),
                      static_cast<unsigned long long>(p.max_docs));
      } else {
        std::snprintf(docs, sizeof docs, "%llu documents", static_cast<unsigned long long>(p.documents));
      }
      std::fprintf(stderr, "\r\033[Kgolf-data tokenize: %s, %.1f of %.1f MB, %.1f MB/s, %s left", docs, mb,
                   p.input_bytes_total / 1e6, rate, eta);
      if (p.finished) std::fputc('\n', stderr);
      std::fflush(stderr);
    };
  }
  Manifest manifest;
  const Status status = tokenize_corpus(options, &manifest);
  if (!status.ok()) {
    if (terminal) std::fputc('\n', stderr);
    return cli_fail(kName, status.message());
  }
  std::printf("golf-data tokenize: %s: val %llu documents, %llu tokens in %zu shards; train %llu documents, %llu "
              "tokens in %zu shards; manifest.json written\n",
              options.out_dir.c_str(), static_cast<unsigned long long>(manifest.val.documents),
              static_cast<unsigned long long>(manifest.val.tokens), manifest.val.shards.size(),
              static_cast<unsigned long long>(manifest.train.documents),
              static_cast<unsigned long long>(manifest.train.tokens), manifest.train.shards.size());
  if (manifest.train.documents == 0 && manifest.val.documents == 0)
    return cli_fail(kName, "the inputs hold no documents: the shards are empty");
  if (manifest.train.documents == 0) {
    std::fprintf(stderr, "golf-data tokenize: warning: no train documents: all %llu went to validation "
                         "(--val-docs %llu); lower --val-docs if that is not what you meant\n",
                 static_cast<unsigned long long>(manifest.val.documents),
                 static_cast<unsigned long long>(options.val_docs));
  }
  return 0;
}

}  // namespace

int cli_fail(const char* subcommand, const std::string& message) {
  std::fprintf(stderr, "golf-data %s: %s\n", subcommand, message.c_str());
  return 1;
}

int cli_usage_error(const char* subcommand, const std::string& message) {
  std::fprintf(stderr, "golf-data %s: %s (see golf-data %s --help)\n", subcommand, message.c_str(), subcommand);
  return 2;
}

}  // namespace data
}  // namespace golf

int main(int argc, char** argv) {
  using namespace golf::data;
  const std::string command = argc > 1 ? argv[1] : "";
  if (command == "tokenize") return run_tokenize(argc, argv);
  if (command == "train-tokenizer") return run_train_tokenizer(argc, argv);
  if (command == "inspect") return run_inspect(argc, argv);
  if (command == "--help" || command == "-h" || command == "help") {
    std::fputs(kMainUsage, stdout);
    return 0;
  }
  std::fputs(kMainUsage, stderr);
  if (!command.empty()) std::fprintf(stderr, "\ngolf-data: unknown command '%s'\n", command.c_str());
  return 2;
}
