// model.cpp: Model::load: config from CONF, tensors checked and prepared (model_weights.cpp), tokenizer from TOKN.
#include "model.h"

namespace golf {

Status Model::load(std::shared_ptr<const GolfFile> file, const ModelOptions& options, std::unique_ptr<Model>* out) {
  if (file == nullptr || out == nullptr) return Status(StatusCode::invalid_argument, "Model::load: null argument");
  const std::string where = file->name() + ": ";
  std::unique_ptr<Model> m(new Model());
  m->file_ = std::move(file);
  m->options_ = options;
  Status st = model_config_from_kv(m->file_->config(), &m->config_);
  if (!st.ok()) return st.prefix(where);
  st = build_model_weights(*m->file_, m->config_, options.compute, &m->weights_);
  if (!st.ok()) return st.prefix(where);
  if (m->file_->has_tokenizer()) {
    m->tokenizer_.reset(new Tokenizer());
    st = m->tokenizer_->init(m->file_->tokenizer());
    if (!st.ok()) return st.prefix(where + "tokenizer: ");
  }
  *out = std::move(m);
  return Status::Ok();
}

Status Model::load_file(const std::string& path, const ModelOptions& options, std::unique_ptr<Model>* out) {
  std::unique_ptr<GolfFile> file;
  GOLF_RETURN_IF_ERROR(GolfFile::open(path, &file));
  return load(std::shared_ptr<const GolfFile>(std::move(file)), options, out);
}

}  // namespace golf
