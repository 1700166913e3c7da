// inspect_command.cpp: `golf-data inspect`: shows what is inside one shard or a directory of shards (header,
// token counts, documents, first tokens, and a decoded preview given a tokenizer), and with --verify checks a
// directory against its manifest.json (every shard present, token counts and SHA-256 equal).
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "args.h"  // defines: cli::ArgParser
#include "cli.h"
#include "manifest.h"
#include "mapped_file.h"
#include "sha256.h"
#include "shard.h"
#include "tokenizer.h"
#include "tokenizer_source.h"

namespace golf {
namespace data {
namespace {

struct ShardStats {
  uint64_t documents = 0;
  int max_id = -1;
};

ShardStats shard_stats(const ShardReader& shard, int bos_id) {
  ShardStats stats;
  for (uint64_t i = 0; i < shard.num_tokens(); i++) {
    const int id = shard.tokens()[i];
    if (id == bos_id) stats.documents++;
    stats.max_id = std::max(stats.max_id, id);
  }
  return stats;
}

void show_first_tokens(const ShardReader& shard, uint64_t count, const Tokenizer* tokenizer) {
  const uint64_t n = std::min<uint64_t>(count, shard.num_tokens());
  std::printf("first %llu tokens:", static_cast<unsigned long long>(n));
  std::vector<int32_t> ids;
  for (uint64_t i = 0; i < n; i++) {
    ids.push_back(shard.tokens()[i]);
    std::printf(" %d", ids.back());
  }
  std::printf("\n");
  if (tokenizer == nullptr) return;
  std::string text;
  const Status status = tokenizer->decode(ids.data(), ids.size(), &text);
  if (!status.ok()) {
    std::printf("preview: cannot decode: %s\n", status.message().c_str());
    return;
  }
  const nlohmann::json quoted = text;
  std::printf("preview: %s\n", quoted.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
}

int inspect_file(const std::string& path, int bos_id, uint64_t show, const Tokenizer* tokenizer) {
  ShardReader shard;
  const Status status = shard.open(path);
  if (!status.ok()) return cli_fail("inspect", status.message());
  std::printf("%s\n", path.c_str());
  std::printf("header: magic %d, version %d, num_tokens %llu\n", kShardMagic, kShardVersion,
              static_cast<unsigned long long>(shard.num_tokens()));
  std::printf("size: %llu bytes (1024 + 2 * num_tokens: ok)\n",
              static_cast<unsigned long long>(kShardHeaderBytes + 2 * shard.num_tokens()));
  const ShardStats stats = shard_stats(shard, bos_id);
  std::printf("documents (BOS id %d): %llu, largest id: %d\n", bos_id,
              static_cast<unsigned long long>(stats.documents), stats.max_id);
  show_first_tokens(shard, show, tokenizer);
  return 0;
}

int inspect_directory(const std::string& dir, std::string prefix, bool verify, uint64_t show,
                      const Tokenizer* tokenizer, int bos_id) {
  Manifest manifest;
  const std::string manifest_path = dir + "/manifest.json";
  struct stat st;
  const bool has_manifest = ::stat(manifest_path.c_str(), &st) == 0;
  if (has_manifest) {
    const Status status = read_manifest(manifest_path, &manifest);
    if (!status.ok()) return cli_fail("inspect", status.message());
    if (prefix.empty()) prefix = manifest.prefix;
    std::printf("manifest: %s (%s)\n", manifest_path.c_str(), manifest.tool.c_str());
    std::printf("  tokenizer: %s, %d pieces, bos %d, sha256 %s\n", manifest.tokenizer_path.c_str(),
                manifest.vocab_size, manifest.bos_id, manifest.tokenizer_sha256.c_str());
    for (const InputRecord& in : manifest.inputs) {
      std::printf("  input: %s (%s, %llu bytes, %llu documents, sha256 %s)\n", in.path.c_str(), in.format.c_str(),
                  static_cast<unsigned long long>(in.bytes), static_cast<unsigned long long>(in.documents),
                  in.sha256.c_str());
    }
    for (const auto* split : {&manifest.val, &manifest.train}) {
      std::printf("  %s: %llu documents, %llu tokens, %llu text bytes, %zu shards\n",
                  split == &manifest.val ? "val" : "train", static_cast<unsigned long long>(split->documents),
                  static_cast<unsigned long long>(split->tokens), static_cast<unsigned long long>(split->bytes),
                  split->shards.size());
    }
    if (bos_id < 0) bos_id = manifest.bos_id;
  } else if (verify) {
    return cli_fail("inspect", manifest_path + " not found: --verify needs the manifest golf-data tokenize writes");
  }
  if (prefix.empty()) prefix = "fineweb";
  if (bos_id < 0) bos_id = 1;

  int problems = 0;
  std::string first_shard;
  for (const char* split : {"val", "train"}) {
    std::vector<std::string> paths;
    if (!list_shards(shard_glob(dir, split, prefix), &paths).ok()) paths.clear();
    uint64_t total = 0;
    std::map<std::string, const ShardRecord*> expected;
    if (verify) {
      for (const ShardRecord& r : (std::string(split) == "val" ? manifest.val : manifest.train).shards) {
        expected[r.name] = &r;
      }
    }
    std::printf("%s shards (%s_%s_*.bin): %zu\n", split, prefix.c_str(), split, paths.size());
    for (const std::string& path : paths) {
      const std::string name = path.substr(path.rfind('/') + 1);
      ShardReader shard;
      const Status status = shard.open(path);
      if (!status.ok()) {
        std::printf("  %s: ERROR: %s\n", name.c_str(), status.message().c_str());
        problems++;
        continue;
      }
      if (first_shard.empty()) first_shard = path;
      total += shard.num_tokens();
      std::string verdict = "ok";
      if (verify) {
        const auto it = expected.find(name);
        if (it == expected.end()) {
          verdict = "NOT IN MANIFEST";
        } else {
          const std::string digest = sha256_hex(shard.file_bytes(), shard.file_size());
          if (it->second->tokens != shard.num_tokens()) {
            verdict = "TOKEN COUNT DIFFERS from the manifest's " + std::to_string(it->second->tokens);
          } else if (it->second->sha256 != digest) {
            verdict = "SHA-256 DIFFERS from the manifest";
          } else {
            verdict = "ok, sha256 matches";
          }
          expected.erase(it);
        }
        if (verdict.compare(0, 2, "ok") != 0) problems++;
      }
      std::printf("  %s: %llu tokens, %s\n", name.c_str(), static_cast<unsigned long long>(shard.num_tokens()),
                  verdict.c_str());
    }
    for (const auto& missing : expected) {
      std::printf("  %s: MISSING (listed in the manifest)\n", missing.first.c_str());
      problems++;
    }
    std::printf("  total: %llu tokens\n", static_cast<unsigned long long>(total));
  }
  if (!first_shard.empty()) {
    ShardReader shard;
    if (shard.open(first_shard).ok()) {
      std::printf("%s: ", first_shard.substr(first_shard.rfind('/') + 1).c_str());
      show_first_tokens(shard, show, tokenizer);
    }
  }
  if (problems > 0) {
    return cli_fail("inspect", std::to_string(problems) + " problem(s) found in " + dir);
  }
  if (verify) std::printf("verify: every shard matches %s\n", manifest_path.c_str());
  return 0;
}

}  // namespace

int run_inspect(int argc, char** argv) {
  const char* kName = "inspect";
  std::string target, tokenizer_path, prefix;
  uint64_t show = 32;
  bool verify = false;
  std::vector<std::string> targets;
  cli::ArgParser args("golf-data inspect", "DIR|FILE.bin [--tokenizer T.model|M.golf] [--tokens N] [--prefix NAME] "
      "[--verify]",
      "FILE.bin: prints the shard's header (magic, version, num_tokens), checks its size (1024 + 2 * num_tokens),\n"
      "counts documents (BOS tokens) and the largest id, and shows the first tokens.\n"
      "DIR: summarizes DIR/manifest.json when present, lists every <prefix>_val_*.bin and <prefix>_train_*.bin with\n"
      "its token count and any error, and shows the first tokens of the first shard.\n");
  args.positionals("DIR|FILE.bin", &targets, 1, 1, "a shard file or a directory of shards")
      .text("--tokenizer", &tokenizer_path, "also decode the shown tokens to text (SentencePiece .model or .golf)",
            "PATH")
      .integer("--tokens", &show, 0, 1 << 30, "how many first tokens to show (default 32)")
      .text("--prefix", &prefix, "shard name prefix in DIR (default: the manifest's, else fineweb)", "NAME")
      .flag("--verify", &verify, "DIR only: recompute every shard's SHA-256 and compare names, token counts and\n"
            "digests with manifest.json")
      .epilog("\nExits with 1 when a shard is damaged or --verify finds a difference.");
  if (int rc = args.parse(argc - 1, argv + 1); rc >= 0) return rc;
  target = targets[0];

  Tokenizer tokenizer;
  int bos_id = -1;
  if (!tokenizer_path.empty()) {
    TokenizerData data;
    Status status = load_tokenizer_data(tokenizer_path, &data);
    if (status.ok()) status = tokenizer.init(data).prefix(tokenizer_path + ": ");
    if (!status.ok()) return cli_fail(kName, status.message());
    bos_id = data.bos_id;
  }
  const Tokenizer* decoder = tokenizer.ready() ? &tokenizer : nullptr;
  struct stat st;
  if (::stat(target.c_str(), &st) != 0) return cli_fail(kName, target + ": no such file or directory");
  if (S_ISDIR(st.st_mode)) return inspect_directory(target, prefix, verify, show, decoder, bos_id);
  if (verify) return cli_usage_error(kName, "--verify works on a directory with a manifest.json");
  return inspect_file(target, bos_id < 0 ? 1 : bos_id, show, decoder);
}

}  // namespace data
}  // namespace golf
