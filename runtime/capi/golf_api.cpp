// golf_api.cpp: the C API of libgolf (include/golf.h), part 1: errors and version, loading models, model info, the
// vocabulary and the tokenizer. Sessions, generation and scoring are in golf_api_session.cpp. Every entry point
// catches everything and turns golf::Status into golf_status with the message kept for golf_last_error().
#include "capi_internal.h"

#include <string_view>
#include <vector>

#include "golf_file.h"  // defines: GolfFile, OpenOptions

namespace golf_capi {
namespace {

thread_local std::string g_last_error;

golf_status to_c(golf::StatusCode c) {
  switch (c) {
    case golf::StatusCode::ok: return GOLF_OK;
    case golf::StatusCode::io_error: return GOLF_ERR_IO;
    case golf::StatusCode::bad_format: return GOLF_ERR_BAD_FORMAT;
    case golf::StatusCode::checksum_mismatch: return GOLF_ERR_CHECKSUM;
    case golf::StatusCode::unsupported: return GOLF_ERR_UNSUPPORTED;
    case golf::StatusCode::invalid_argument: return GOLF_ERR_INVALID_ARGUMENT;
    case golf::StatusCode::out_of_memory: return GOLF_ERR_OUT_OF_MEMORY;
    case golf::StatusCode::cancelled: return GOLF_ERR_CANCELLED;
  }
  return GOLF_ERR_INVALID_ARGUMENT;
}

}  // namespace

void clear_error() { g_last_error.clear(); }

golf_status fail(golf_status code, const std::string& message) {
  g_last_error = message;
  return code;
}

golf_status check(const golf::Status& st) {
  if (st.ok()) return GOLF_OK;
  return fail(to_c(st.code()), st.message());
}

bool need_tokenizer(const golf_model* model) {
  if (model->model->tokenizer()) return true;
  fail(GOLF_ERR_UNSUPPORTED, "this model file has no tokenizer section (TOKN); pass token ids instead of text");
  return false;
}

}  // namespace golf_capi

using namespace golf_capi;

namespace {

golf_model_params default_model_params() {
  return {sizeof(golf_model_params), /*compute*/ GOLF_COMPUTE_AUTO, /*verify_checksums*/ 1};
}

// The caller's params (or the defaults) as file and model options.
golf_status model_options(const golf_model_params* params, const char* fn, golf::OpenOptions* open,
                          golf::ModelOptions* model) {
  golf_model_params p = default_model_params();
  golf_status s =
      read_params(params, GOLF_CAPI_V1_END(golf_model_params, verify_checksums), fn, "golf_model_params_init", &p);
  if (s != GOLF_OK) return s;
  open->verify_checksums = p.verify_checksums != 0;
  model->compute = p.compute == GOLF_COMPUTE_F32 ? golf::ComputeMode::f32 : golf::ComputeMode::automatic;
  return GOLF_OK;
}

golf_status finish_load(std::shared_ptr<const golf::GolfFile> file, const golf::ModelOptions& options,
                        std::unique_ptr<golf_model> m, golf_model** out) {
  golf_status s = check(golf::Model::load(std::move(file), options, &m->model));
  if (s != GOLF_OK) return s;
  const golf::ModelConfig& c = m->model->config();
  if (m->model->tokenizer()) m->bytes.reset(new golf::ByteCounter(m->model->tokenizer()->data(), c.vocab_size));
  *out = m.release();
  return GOLF_OK;
}

// BUFFER_TOO_SMALL unless n items fit in capacity (with a destination when n > 0).
golf_status fits(const char* fn, size_t n, const void* dest, size_t capacity, const char* what) {
  if (n <= capacity && (dest != nullptr || n == 0)) return GOLF_OK;
  return fail(GOLF_ERR_BUFFER_TOO_SMALL, std::string(fn) + ": " + std::to_string(n) + " " + what +
                                             " do not fit in " + std::to_string(dest ? capacity : 0));
}

golf_status check_token(const golf_model* model, int32_t token, const char* fn) {
  const int vocab = model->model->config().vocab_size;
  if (token >= 0 && token < vocab) return GOLF_OK;
  return fail(GOLF_ERR_INVALID_ARGUMENT, std::string(fn) + ": token " + std::to_string(token) +
                                             " is outside the vocabulary [0, " + std::to_string(vocab) + ")");
}

}  // namespace

extern "C" {

int golf_api_version(void) { return GOLF_API_VERSION; }

const char* golf_last_error(void) { return g_last_error.c_str(); }

const char* golf_status_name(golf_status status) {
  switch (status) {
    case GOLF_OK: return "ok";
    case GOLF_ERR_IO: return "io error";
    case GOLF_ERR_BAD_FORMAT: return "bad format";
    case GOLF_ERR_CHECKSUM: return "checksum mismatch";
    case GOLF_ERR_UNSUPPORTED: return "unsupported";
    case GOLF_ERR_INVALID_ARGUMENT: return "invalid argument";
    case GOLF_ERR_OUT_OF_MEMORY: return "out of memory";
    case GOLF_ERR_BUFFER_TOO_SMALL: return "buffer too small";
    case GOLF_ERR_CONTEXT_FULL: return "context full";
    case GOLF_ERR_CANCELLED: return "cancelled";
  }
  return "unknown status";
}

void golf_model_params_init(golf_model_params* params, size_t size) {
  init_params(params, size, default_model_params());
}

golf_status golf_model_load_file(const char* path, const golf_model_params* params, golf_model** out) {
  return guarded([&]() -> golf_status {
    if (!path || !out) return fail(GOLF_ERR_INVALID_ARGUMENT, "golf_model_load_file: path and out must not be NULL");
    *out = nullptr;
    golf::OpenOptions open;
    golf::ModelOptions options;
    golf_status s = model_options(params, "golf_model_load_file", &open, &options);
    if (s != GOLF_OK) return s;
    std::unique_ptr<golf::GolfFile> file;
    s = check(golf::GolfFile::open(path, &file, open));
    if (s != GOLF_OK) return s;
    return finish_load(std::move(file), options, std::unique_ptr<golf_model>(new golf_model), out);
  });
}

golf_status golf_model_load_memory(const void* data, size_t size, int copy, const golf_model_params* params,
                                   golf_model** out) {
  return guarded([&]() -> golf_status {
    if (!data || !out) return fail(GOLF_ERR_INVALID_ARGUMENT, "golf_model_load_memory: data and out must not be NULL");
    *out = nullptr;
    golf::OpenOptions open;
    golf::ModelOptions options;
    golf_status s = model_options(params, "golf_model_load_memory", &open, &options);
    if (s != GOLF_OK) return s;
    std::unique_ptr<golf_model> m(new golf_model);
    const void* bytes = data;
    if (copy) {
      if (!m->copy.allocate(size)) return fail(GOLF_ERR_OUT_OF_MEMORY, "cannot copy the model buffer");
      std::memcpy(m->copy.data(), data, size);
      bytes = m->copy.data();
    }
    std::unique_ptr<golf::GolfFile> file;
    s = check(golf::GolfFile::open_memory(bytes, size, &file, open, "<memory>"));
    if (s != GOLF_OK) return s;
    return finish_load(std::move(file), options, std::move(m), out);
  });
}

void golf_model_free(golf_model* model) { delete model; }

golf_status golf_model_get_info(const golf_model* model, golf_model_info* out, size_t out_size) {
  return guarded([&]() -> golf_status {
    if (!model) return fail(GOLF_ERR_INVALID_ARGUMENT, "golf_model_get_info: NULL model");
    const golf::ModelConfig& c = model->model->config();
    golf_model_info info;
    std::memset(&info, 0, sizeof info);
    info.arch = c.arch.c_str();
    info.vocab_size = c.vocab_size;
    info.model_dim = c.model_dim;
    info.num_layers = c.num_layers;
    info.num_heads = c.num_heads;
    info.num_kv_heads = c.num_kv_heads;
    info.mlp_hidden = c.mlp_hidden;
    info.max_seq_len = c.max_seq_len;
    info.bos_id = c.bos_id;
    const golf::Tokenizer* t = model->model->tokenizer();
    info.eos_id = t ? t->data().eos_id : -1;
    info.has_tokenizer = t != nullptr;
    info.n_params = c.parameter_count();
    info.file_bytes = (size_t)model->model->file().file_size();
    return write_out(info, GOLF_CAPI_V1_END(golf_model_info, file_bytes), "golf_model_get_info", out, out_size);
  });
}

golf_status golf_vocab_piece(const golf_model* model, int32_t token, const char** piece, size_t* len,
                             golf_token_kind* kind) {
  return guarded([&]() -> golf_status {
    if (!model || !piece || !len) return fail(GOLF_ERR_INVALID_ARGUMENT, "golf_vocab_piece: NULL argument");
    if (!need_tokenizer(model)) return GOLF_ERR_UNSUPPORTED;
    golf_status s = check_token(model, token, "golf_vocab_piece");
    if (s != GOLF_OK) return s;
    const golf::TokenizerPiece& p = model->model->tokenizer()->piece(token);
    *piece = p.piece.data();
    *len = p.piece.size();
    if (kind) *kind = (golf_token_kind)p.type;  // the same values (SentencePiece's)
    return GOLF_OK;
  });
}

golf_status golf_token_text(const golf_model* model, int32_t token, char* text, size_t capacity, size_t* len) {
  return guarded([&]() -> golf_status {
    if (!model || !len) return fail(GOLF_ERR_INVALID_ARGUMENT, "golf_token_text: NULL argument");
    if (!need_tokenizer(model)) return GOLF_ERR_UNSUPPORTED;
    golf_status s = check_token(model, token, "golf_token_text");
    if (s != GOLF_OK) return s;
    std::string bytes;
    model->model->tokenizer()->append_piece_bytes(token, &bytes);
    *len = bytes.size();
    s = fits("golf_token_text", bytes.size(), text, capacity, "bytes");
    if (s != GOLF_OK) return s;
    if (!bytes.empty()) std::memcpy(text, bytes.data(), bytes.size());
    return GOLF_OK;
  });
}

golf_status golf_tokenize(const golf_model* model, const char* text, size_t len, int add_bos, int32_t* tokens,
                          size_t capacity, size_t* n_tokens) {
  return guarded([&]() -> golf_status {
    if (!model || (!text && len) || !n_tokens) return fail(GOLF_ERR_INVALID_ARGUMENT, "golf_tokenize: NULL argument");
    if (!need_tokenizer(model)) return GOLF_ERR_UNSUPPORTED;
    std::vector<int32_t> ids;
    golf_status s = check(model->model->tokenizer()->encode(std::string_view(text ? text : "", len), &ids));
    if (s != GOLF_OK) return s;
    if (add_bos) ids.insert(ids.begin(), model->model->config().bos_id);
    *n_tokens = ids.size();
    s = fits("golf_tokenize", ids.size(), tokens, capacity, "tokens");
    if (s != GOLF_OK) return s;
    if (!ids.empty()) std::memcpy(tokens, ids.data(), ids.size() * sizeof(int32_t));
    return GOLF_OK;
  });
}

golf_status golf_detokenize(const golf_model* model, const int32_t* tokens, size_t n, char* text, size_t capacity,
                            size_t* len) {
  return guarded([&]() -> golf_status {
    if (!model || (!tokens && n) || !len) return fail(GOLF_ERR_INVALID_ARGUMENT, "golf_detokenize: NULL argument");
    if (!need_tokenizer(model)) return GOLF_ERR_UNSUPPORTED;
    std::string out;
    golf_status s = check(model->model->tokenizer()->decode(tokens, n, &out));
    if (s != GOLF_OK) return s;
    *len = out.size();
    s = fits("golf_detokenize", out.size(), text, capacity, "bytes");
    if (s != GOLF_OK) return s;
    if (!out.empty()) std::memcpy(text, out.data(), out.size());
    return GOLF_OK;
  });
}

}  // extern "C"
