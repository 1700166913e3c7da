// golf-make-example: writes a random-weight golf-gpt model as weights.safetensors + config.json (weights drawn like
// trained ones: per-row scaled, slightly heavy-tailed), so golf-pack and golf-inspect can be tried without a trainer.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>  // access

#include "args.h"  // defines: golf::cli::ArgParser
#include "config_json.h"
#include "mapped_file.h"
#include "model_config.h"
#include "safetensors.h"

int main(int argc, char** argv) {
  golf::ModelConfig c;
  std::string out_dir;
  unsigned seed = 1;
  bool overwrite = false;
  std::vector<std::string> dirs;
  golf::cli::ArgParser args("golf-make-example", "OUT_DIR [--layers N] [--dim D] [--heads H] [--kv-heads K] [--mlp M]"
                            " [--vocab V] [--seed S]",
                            "Writes OUT_DIR/weights.safetensors and OUT_DIR/config.json of a random golf-gpt model\n"
                            "(default: the challenge baseline, 9 x 512, vocab 1024).");
  args.positionals("OUT_DIR", &dirs, 1, 1, "the output directory (created if missing)")
      .integer("--layers", &c.num_layers, 1, 256, "transformer blocks")
      .integer("--dim", &c.model_dim, 8, 16384, "model width", "D")
      .integer("--heads", &c.num_heads, 1, 256, "query heads", "H")
      .integer("--kv-heads", &c.num_kv_heads, 1, 256, "key/value heads", "K")
      .integer("--mlp", &c.mlp_hidden, 1, 1 << 20, "MLP hidden width", "M")
      .integer("--vocab", &c.vocab_size, 2, 65536, "vocabulary size", "V")
      .integer("--seed", &seed, 0, UINT32_MAX, "random seed (default 1)", "S")
      .flag("--overwrite", &overwrite, "replace existing files in OUT_DIR (otherwise an error)");
  if (int rc = args.parse(argc, argv); rc >= 0) return rc;
  out_dir = dirs[0];
  for (const char* name : {"/weights.safetensors", "/config.json"}) {
    if (!overwrite && ::access((out_dir + name).c_str(), F_OK) == 0)
      return args.usage_error(out_dir + name + " exists: pass --overwrite to replace it");
  }
  c.num_encoder_layers = c.num_layers / 2;
  c.rope_dims = c.head_dim();
  golf::Status st = c.validate();
  if (!st.ok()) { std::fprintf(stderr, "golf-make-example: %s\n", st.message().c_str()); return 2; }

  std::mt19937 rng(seed);
  std::normal_distribution<double> g(0, 1);
  std::vector<std::vector<float>> values;
  std::vector<golf::SafeTensorOut> tensors;
  const std::vector<golf::TensorSpec> specs = golf::model_tensor_specs(c);
  for (const golf::TensorSpec& s : specs) {
    uint64_t n = 1;
    for (uint64_t d : s.shape) n *= d;
    std::vector<float> v(n);
    if (s.shape.size() == 1 || s.name == "skip_weights" || s.name.find("resid_mix") != std::string::npos) {
      for (float& x : v) x = (float)(1.0 + 0.2 * g(rng));
    } else {
      uint64_t cols = s.shape.back();
      double row_sigma = 0.3;
      for (uint64_t k = 0; k < n; k++) {
        if (k % cols == 0) row_sigma = 0.3 * std::exp(0.25 * g(rng));
        v[k] = (float)(row_sigma * g(rng));
      }
    }
    values.push_back(std::move(v));
  }
  for (size_t i = 0; i < values.size(); i++) tensors.push_back({specs[i].name, "F32", specs[i].shape, values[i].data()});
  st = golf::safetensors_write(out_dir + "/weights.safetensors", tensors);
  if (st.ok()) {
    const std::string json = golf::model_config_to_json(c, 2) + "\n";
    std::string path = out_dir + "/config.json";
    st = golf::write_file_atomic(path, json.data(), json.size());
  }
  if (!st.ok()) { std::fprintf(stderr, "golf-make-example: %s\n", st.message().c_str()); return 1; }
  std::printf("wrote %s/weights.safetensors (%lld parameters) and %s/config.json\n", out_dir.c_str(),
              (long long)c.parameter_count(), out_dir.c_str());
  return 0;
}
