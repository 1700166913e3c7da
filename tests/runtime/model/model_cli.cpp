// model_cli.cpp: the C++ side of the model parity test (check_model_parity.py). Runs a .golf model on a token
// sequence and writes the logits of every position as raw little-endian float32 [T][vocab].
//
// Usage: model_cli MODEL.golf TOKENS.bin OUT.bin [--mode batch|step|chunks] [--compute auto|f32] [--threads N]
//   TOKENS.bin: int32 token ids. batch: one decode call with all tokens; step: one call per token (KV cache);
//   chunks: n_batch = 7, so the pass boundaries fall inside the sequence.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "model.h"
#include "session.h"

namespace {

int fail(const std::string& m) {
  std::fprintf(stderr, "model_cli: %s\n", m.c_str());
  return 1;
}

bool read_all(const std::string& path, std::vector<char>* out) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out->insert(out->end(), buf, buf + n);
  std::fclose(f);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4)
    return fail("usage: model_cli MODEL.golf TOKENS.bin OUT.bin [--mode batch|step|chunks] [--compute auto|f32] "
                "[--threads N]");
  std::string model_path = argv[1], tokens_path = argv[2], out_path = argv[3];
  std::string mode = "batch", compute = "auto";
  int threads = 2;
  for (int i = 4; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--mode") mode = v;
    else if (a == "--compute") compute = v;
    else if (a == "--threads") threads = std::atoi(v.c_str());
    else return fail("unknown argument " + a);
  }
  std::vector<char> bytes;
  if (!read_all(tokens_path, &bytes) || bytes.size() % 4 != 0) return fail("cannot read " + tokens_path);
  std::vector<int32_t> tokens(bytes.size() / 4);
  std::memcpy(tokens.data(), bytes.data(), bytes.size());
  const int T = (int)tokens.size();

  golf::ModelOptions mo;
  if (compute == "f32") mo.compute = golf::ComputeMode::f32;
  else if (compute != "auto") return fail("--compute must be auto or f32");
  std::unique_ptr<golf::Model> model;
  golf::Status st = golf::Model::load_file(model_path, mo, &model);
  if (!st.ok()) return fail(st.message());
  golf::SessionOptions so;
  so.n_threads = threads;
  so.n_ctx = T;
  if (mode == "chunks") so.n_batch = 7;
  std::unique_ptr<golf::Session> s;
  st = golf::Session::create(*model, so, &s);
  if (!st.ok()) return fail(st.message());

  const int V = model->config().vocab_size;
  std::vector<float> logits((size_t)T * V);
  if (mode == "batch" || mode == "chunks") {
    st = s->decode(tokens.data(), T, logits.data(), true);
  } else if (mode == "step") {
    for (int t = 0; t < T && st.ok(); t++) st = s->decode(&tokens[t], 1, logits.data() + (size_t)t * V, false);
  } else {
    return fail("--mode must be batch, step or chunks");
  }
  if (!st.ok()) return fail(st.message());
  FILE* f = std::fopen(out_path.c_str(), "wb");
  if (f == nullptr || std::fwrite(logits.data(), 4, logits.size(), f) != logits.size())
    return fail("cannot write " + out_path);
  std::fclose(f);
  return 0;
}
