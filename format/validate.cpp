// validate.cpp: validate_model_file (see validate.h), the model-level rules of SPEC.md §9.
#include "validate.h"

#include <set>

#include "text_util.h"

namespace golf {
namespace {

Status check_config(const KeyValues& kv, ModelConfig* out) {
  // model_config_from_kv fills these two from defaults (a JSON config may omit them); a file must state them.
  for (const char* key : {"max_seq_len", "bos_id"})
    if (!kv.find(key)) return Status(StatusCode::bad_format, std::string("config: missing int key '") + key + "'");
  return model_config_from_kv(kv, out);
}

Status check_tensors(const GolfFile& file, const ModelConfig& c) {
  std::set<std::string> expected;
  for (const TensorSpec& spec : model_tensor_specs(c)) {
    expected.insert(spec.name);
    const TensorInfo* t = file.find_tensor(spec.name);
    if (t == nullptr)
      return Status(StatusCode::bad_format, "missing tensor '" + spec.name + "' " + shape_string(spec.shape) +
                                                " required by the config");
    if (t->dims != spec.shape)
      return Status(StatusCode::bad_format, "tensor '" + spec.name + "': shape " + shape_string(t->dims) +
                                                ", the config needs " + shape_string(spec.shape));
  }
  // An extra tensor means the file was made for another architecture or config than CONF says.
  for (const TensorInfo& t : file.tensors())
    if (!expected.count(t.name))
      return Status(StatusCode::bad_format, "tensor '" + t.name + "' is not part of a golf-gpt model of this config");
  return Status::Ok();
}

Status check_tokenizer_against_config(const TokenizerData& t, const ModelConfig& c) {
  if (t.pieces.size() != (size_t)c.vocab_size)
    return Status(StatusCode::bad_format, "tokenizer: " + std::to_string(t.pieces.size()) +
                                              " pieces, but the config's vocab_size is " +
                                              std::to_string(c.vocab_size));
  if (t.bos_id != -1 && t.bos_id != c.bos_id)
    return Status(StatusCode::bad_format, "tokenizer: bos_id " + std::to_string(t.bos_id) +
                                              " differs from the config's bos_id " + std::to_string(c.bos_id));
  return Status::Ok();
}

}  // namespace

Status validate_model_file(const GolfFile& file, const TokenizerCheck& check_tokenizer, ModelConfig* config) {
  const std::string where = file.name() + ": ";
  ModelConfig c;
  Status st = check_config(file.config(), &c);
  if (st.ok()) st = check_tensors(file, c);
  if (st.ok() && file.has_tokenizer()) {
    st = check_tokenizer_against_config(file.tokenizer(), c);
    if (st.ok() && check_tokenizer) st = check_tokenizer(file.tokenizer());
  }
  if (!st.ok()) return st.prefix(where);
  *config = c;
  return Status::Ok();
}

}  // namespace golf
