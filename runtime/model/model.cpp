// model.cpp: Model::load: the file validated (format/validate.h), its tokenizer built, its tensors prepared
// (model_weights.cpp).
#include "model.h"

#include "validate.h"

namespace golf {

Status Model::load(std::shared_ptr<const GolfFile> file, const ModelOptions& options, std::unique_ptr<Model>* out) {
  if (file == nullptr || out == nullptr) return Status(StatusCode::invalid_argument, "Model::load: null argument");
  std::unique_ptr<Model> m(new Model());
  m->file_ = std::move(file);
  m->options_ = options;
  // The one validity check (format/validate.h), the same golf-inspect runs; the tokenizer it checks is kept.
  auto init_tokenizer = [&m](const TokenizerData& data) {
    m->tokenizer_.reset(new Tokenizer());
    return m->tokenizer_->init(data);
  };
  GOLF_RETURN_IF_ERROR(validate_model_file(*m->file_, init_tokenizer, &m->config_));
  Status st = build_model_weights(*m->file_, m->config_, options.compute, &m->weights_);
  if (!st.ok()) return st.prefix(m->file_->name() + ": ");
  *out = std::move(m);
  return Status::Ok();
}

Status Model::load_file(const std::string& path, const ModelOptions& options, std::unique_ptr<Model>* out) {
  std::unique_ptr<GolfFile> file;
  GOLF_RETURN_IF_ERROR(GolfFile::open(path, &file));
  return load(std::shared_ptr<const GolfFile>(std::move(file)), options, out);
}

}  // namespace golf
