// golf_data.cpp: golf-data, the data tool of the trainer: `tokenize` (corpus -> the challenge's .bin shards and a
// manifest), `train-tokenizer` (a SentencePiece BPE model with the challenge's recipe) and `inspect` (look inside
// shards). This file holds the dispatcher, the shared helpers and `tokenize`.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>

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

const char kTokenizeUsage[] =
    "usage: golf-data tokenize --tokenizer T.model|M.golf --input FILE [--input FILE ...] --out DIR [options]\n"
    "\n"
    "Tokenizes documents into the challenge's shards. Each document is written as [BOS] + encode(text): BOS is the\n"
    "tokenizer's bos id, there is no EOS, and the ids are exactly SentencePiece's. The FIRST --val-docs documents\n"
    "(counted over the inputs in the order given) go to DIR/<prefix>_val_NNNNNN.bin, all later ones to\n"
    "DIR/<prefix>_train_NNNNNN.bin; val and train never share a shard, and documents run across shard boundaries.\n"
    "Shard format: 256 x int32 LE header (20240520, 1, num_tokens, zeros), then num_tokens x uint16 LE.\n"
    "Tokenizing runs on several threads; the output is byte-identical for any thread count.\n"
    "\n"
    "Inputs (by file name): .jsonl/.json/.ndjson are JSON lines, one document per non-blank line, its text in the\n"
    "field --text-field; any other file is plain text, one document per block of non-blank lines (joined by \"\\n\";\n"
    "a trailing \"\\r\" is dropped from each line; blank = only spaces, tabs, \\r, \\f, \\v), or one per\n"
    "non-blank line with --doc-per-line.\n"
    "\n"
    "  --tokenizer PATH     SentencePiece .model, or a .golf file with a TOKN section (required)\n"
    "  --input FILE         a corpus file; repeat for several (required)\n"
    "  --out DIR            output directory, created if missing (required)\n"
    "  --val-docs N         documents sent to validation (default 50000, the challenge's NUM_VAL_DOCS; 0 = none).\n"
    "                       train-tokenizer's --exclude-val-docs has the same default, so by default the tokenizer\n"
    "                       never sees these documents\n"
    "  --shard-tokens N     tokens per shard, the last of each split holds the rest (default 100000000)\n"
    "  --text-field NAME    JSON field holding the text (default text)\n"
    "  --max-docs N         stop after N documents in all (default: all)\n"
    "  --doc-per-line       plain-text inputs: every non-blank line is a document\n"
    "  --prefix NAME        shard name prefix (default fineweb)\n"
    "  --threads N          tokenizing threads (default: one per core)\n"
    "  --overwrite          delete existing <prefix>_{val,train}_*.bin in DIR first (otherwise they are an error:\n"
    "                       stale shards would mix with the new ones)\n"
    "  --help               print this text\n"
    "\n"
    "Writes DIR/manifest.json: the tokenizer (path, SHA-256, vocab size, bos id), every input (path, format, bytes,\n"
    "SHA-256, documents taken), the options, and per split the documents, tokens, text bytes and each shard's name,\n"
    "token count and SHA-256. On a terminal a progress line shows documents, MB/s and the time left; otherwise only\n"
    "the final summary is printed.\n";

int run_tokenize(int argc, char** argv) {
  const char* kName = "tokenize";
  TokenizeOptions options;
  for (int i = 2; i < argc; i++) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    uint64_t count = 0;
    if (arg == "--help" || arg == "-h") {
      std::fputs(kTokenizeUsage, stdout);
      return 0;
    } else if (arg == "--tokenizer" && has_value) {
      options.tokenizer_path = argv[++i];
    } else if (arg == "--input" && has_value) {
      options.inputs.push_back(argv[++i]);
    } else if (arg == "--out" && has_value) {
      options.out_dir = argv[++i];
    } else if (arg == "--text-field" && has_value) {
      options.text_field = argv[++i];
    } else if (arg == "--prefix" && has_value) {
      options.prefix = argv[++i];
    } else if ((arg == "--val-docs" || arg == "--shard-tokens" || arg == "--max-docs" || arg == "--threads") &&
               has_value) {
      if (!parse_count(argv[++i], &count)) return cli_usage_error(kName, arg + " needs a non-negative integer");
      if (arg == "--val-docs") options.val_docs = count;
      if (arg == "--shard-tokens") options.shard_tokens = count;
      if (arg == "--max-docs") options.max_docs = count;
      if (arg == "--threads") options.threads = count > 1024 ? 1024 : int(count);
    } else if (arg == "--doc-per-line") {
      options.doc_per_line = true;
    } else if (arg == "--overwrite") {
      options.overwrite = true;
    } else {
      return cli_usage_error(kName, "unknown option or missing value: " + arg);
    }
  }
  if (options.tokenizer_path.empty()) return cli_usage_error(kName, "--tokenizer is required");
  if (options.inputs.empty()) return cli_usage_error(kName, "--input is required");
  if (options.out_dir.empty()) return cli_usage_error(kName, "--out is required");

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

bool parse_count(const std::string& text, uint64_t* value) {
  if (text.empty() || text.size() > 19) return false;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + uint64_t(c - '0');
  }
  *value = v;
  return true;
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
