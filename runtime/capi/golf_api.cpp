// golf_api.cpp: the C API of libgolf (include/golf.h) over the C++ runtime. Every entry point catches everything,
// turns golf::Status into golf_status and keeps the message for golf_last_error() in a thread-local string.
#include "golf.h"

#include <cmath>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "aligned_buffer.h"
#include "byte_count.h"
#include "golf_file.h"
#include "model.h"
#include "piece_text.h"
#include "sampler.h"
#include "scorer.h"
#include "session.h"

struct golf_model {
  golf::AlignedBuffer copy;  // the caller's bytes when loaded with copy = 1
  std::unique_ptr<golf::Model> model;
  std::unique_ptr<golf::ByteCounter> bytes;  // for golf_score_bpb
};

struct golf_session {
  const golf_model* owner = nullptr;
  std::unique_ptr<golf::Session> session;
  std::vector<float> logits;  // (vocab) for generation
};

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
  }
  return GOLF_ERR_INVALID_ARGUMENT;
}

golf_status fail(golf_status code, const std::string& message) {
  g_last_error = message;
  return code;
}

golf_status check(const golf::Status& st) {
  if (st.ok()) return GOLF_OK;
  return fail(to_c(st.code()), st.message());
}

// Runs body, converting exceptions (allocation failures inside the standard library) into status codes.
template <class Fn>
golf_status guarded(Fn&& body) {
  try {
    g_last_error.clear();
    return body();
  } catch (const std::bad_alloc&) {
    return fail(GOLF_ERR_OUT_OF_MEMORY, "out of memory");
  } catch (const std::exception& e) {
    return fail(GOLF_ERR_INVALID_ARGUMENT, std::string("internal error: ") + e.what());
  } catch (...) {
    return fail(GOLF_ERR_INVALID_ARGUMENT, "internal error");
  }
}

golf::ModelOptions model_options(const golf_model_params* p) {
  golf::ModelOptions o;
  golf_compute c = p ? p->compute : GOLF_COMPUTE_AUTO;
  o.compute = c == GOLF_COMPUTE_F32 ? golf::ComputeMode::f32 : golf::ComputeMode::automatic;
  return o;
}

golf_status finish_load(std::shared_ptr<const golf::GolfFile> file, const golf_model_params* params,
                        std::unique_ptr<golf_model> m, golf_model** out) {
  golf_status s = check(golf::Model::load(std::move(file), model_options(params), &m->model));
  if (s != GOLF_OK) return s;
  const golf::ModelConfig& c = m->model->config();
  if (m->model->tokenizer()) m->bytes.reset(new golf::ByteCounter(m->model->tokenizer()->data(), c.vocab_size));
  *out = m.release();
  return GOLF_OK;
}

bool need_tokenizer(const golf_model* model) {
  if (model->model->tokenizer()) return true;
  fail(GOLF_ERR_UNSUPPORTED, "this model file has no tokenizer section (TOKN); pass token ids instead of text");
  return false;
}

}  // namespace

extern "C" {

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
  }
  return "unknown status";
}

golf_model_params golf_model_default_params(void) {
  golf_model_params p;
  p.compute = GOLF_COMPUTE_AUTO;
  p.verify_checksums = 1;
  return p;
}

golf_status golf_model_load_file(const char* path, const golf_model_params* params, golf_model** out) {
  return guarded([&]() -> golf_status {
    if (!path || !out) return fail(GOLF_ERR_INVALID_ARGUMENT, "golf_model_load_file: path and out must not be NULL");
    *out = nullptr;
    golf::OpenOptions o;
    o.verify_checksums = !params || params->verify_checksums != 0;
    std::unique_ptr<golf::GolfFile> file;
    golf_status s = check(golf::GolfFile::open(path, &file, o));
    if (s != GOLF_OK) return s;
    return finish_load(std::move(file), params, std::unique_ptr<golf_model>(new golf_model), out);
  });
}

golf_status golf_model_load_memory(const void* data, size_t size, int copy, const golf_model_params* params,
                                   golf_model** out) {
  return guarded([&]() -> golf_status {
    if (!data || !out) return fail(GOLF_ERR_INVALID_ARGUMENT, "golf_model_load_memory: data and out must not be NULL");
    *out = nullptr;
    std::unique_ptr<golf_model> m(new golf_model);
    const void* bytes = data;
    if (copy) {
      if (!m->copy.allocate(size)) return fail(GOLF_ERR_OUT_OF_MEMORY, "cannot copy the model buffer");
      std::memcpy(m->copy.data(), data, size);
      bytes = m->copy.data();
    }
    golf::OpenOptions o;
    o.verify_checksums = !params || params->verify_checksums != 0;
    std::unique_ptr<golf::GolfFile> file;
    golf_status s = check(golf::GolfFile::open_memory(bytes, size, &file, o, "<memory>"));
    if (s != GOLF_OK) return s;
    return finish_load(std::move(file), params, std::move(m), out);
  });
}

void golf_model_free(golf_model* model) { delete model; }

golf_status golf_model_get_info(const golf_model* model, golf_model_info* out) {
  return guarded([&]() -> golf_status {
    if (!model || !out) return fail(GOLF_ERR_INVALID_ARGUMENT, "golf_model_get_info: NULL argument");
    const golf::ModelConfig& c = model->model->config();
    std::memset(out, 0, sizeof *out);
    out->arch = c.arch.c_str();
    out->vocab_size = c.vocab_size;
    out->model_dim = c.model_dim;
    out->num_layers = c.num_layers;
    out->num_heads = c.num_heads;
    out->num_kv_heads = c.num_kv_heads;
    out->mlp_hidden = c.mlp_hidden;
    out->max_seq_len = c.max_seq_len;
    out->bos_id = c.bos_id;
    const golf::Tokenizer* t = model->model->tokenizer();
    out->eos_id = t ? t->data().eos_id : -1;
    out->has_tokenizer = t != nullptr;
    out->n_params = c.parameter_count();
    out->file_bytes = (size_t)model->model->file().file_size();
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
    if (ids.size() > capacity || (!tokens && !ids.empty()))
      return fail(GOLF_ERR_BUFFER_TOO_SMALL, "golf_tokenize: " + std::to_string(ids.size()) + " tokens do not fit in " +
                                                 std::to_string(capacity));
    std::memcpy(tokens, ids.data(), ids.size() * sizeof(int32_t));
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
    if (out.size() > capacity || (!text && !out.empty()))
      return fail(GOLF_ERR_BUFFER_TOO_SMALL, "golf_detokenize: " + std::to_string(out.size()) +
                                                 " bytes do not fit in " + std::to_string(capacity));
    std::memcpy(text, out.data(), out.size());
    return GOLF_OK;
  });
}

golf_session_params golf_session_default_params(void) {
  golf_session_params p;
  p.n_threads = 0;
  p.n_ctx = 0;
  p.n_batch = 0;
  return p;
}

golf_status golf_session_new(const golf_model* model, const golf_session_params* params, golf_session** out) {
  return guarded([&]() -> golf_status {
    if (!model || !out) return fail(GOLF_ERR_INVALID_ARGUMENT, "golf_session_new: NULL argument");
    *out = nullptr;
    golf::SessionOptions o;
    if (params) {
      if (params->n_threads < 0 || params->n_ctx < 0 || params->n_batch < 0)
        return fail(GOLF_ERR_INVALID_ARGUMENT, "golf_session_new: n_threads, n_ctx and n_batch must be >= 0");
      o.n_threads = params->n_threads;
      o.n_ctx = params->n_ctx;
      if (params->n_batch > 0) o.n_batch = params->n_batch;
    }
    std::unique_ptr<golf_session> s(new golf_session);
    s->owner = model;
    golf_status st = check(golf::Session::create(*model->model, o, &s->session));
    if (st != GOLF_OK) return st;
    s->logits.resize((size_t)model->model->config().vocab_size);
    *out = s.release();
    return GOLF_OK;
  });
}

void golf_session_free(golf_session* session) { delete session; }

void golf_session_reset(golf_session* session) {
  if (session) session->session->reset();
}

int golf_session_n_past(const golf_session* session) { return session ? session->session->n_past() : 0; }

golf_status golf_decode(golf_session* session, const int32_t* tokens, size_t n, float* logits, int all_logits) {
  return guarded([&]() -> golf_status {
    if (!session || (!tokens && n)) return fail(GOLF_ERR_INVALID_ARGUMENT, "golf_decode: NULL argument");
    golf::Session& s = *session->session;
    if ((size_t)s.n_past() + n > (size_t)s.n_ctx())
      return fail(GOLF_ERR_CONTEXT_FULL, "golf_decode: " + std::to_string(n) + " more tokens do not fit: " +
                                             std::to_string(s.n_past()) + " of " + std::to_string(s.n_ctx()) +
                                             " positions are used; call golf_session_reset");
    if (n == 0) return GOLF_OK;
    return check(s.decode(tokens, (int)n, logits, all_logits != 0));
  });
}

golf_sampling_params golf_sampling_default_params(void) {
  golf_sampling_params p;
  p.temperature = 0.8f;
  p.top_k = 40;
  p.top_p = 0.95f;
  p.seed = 1;
  p.max_tokens = 128;
  p.stop_at_eos = 1;
  return p;
}

golf_status golf_generate(golf_session* session, const char* prompt, size_t len, const golf_sampling_params* params,
                          golf_token_callback callback, void* user_data, size_t* n_generated) {
  return guarded([&]() -> golf_status {
    if (n_generated) *n_generated = 0;
    if (!session || (!prompt && len)) return fail(GOLF_ERR_INVALID_ARGUMENT, "golf_generate: NULL argument");
    const golf_model* model = session->owner;
    if (!need_tokenizer(model)) return GOLF_ERR_UNSUPPORTED;
    golf_sampling_params p = params ? *params : golf_sampling_default_params();
    if (!(p.temperature >= 0) || p.top_k < 0 || !(p.top_p > 0) || p.max_tokens < 0)
      return fail(GOLF_ERR_INVALID_ARGUMENT, "golf_generate: temperature >= 0, top_k >= 0, top_p > 0 and max_tokens >= 0");
    const golf::Tokenizer& tok = *model->model->tokenizer();
    const int bos = model->model->config().bos_id, eos = tok.data().eos_id;
    std::vector<int32_t> ids;
    golf_status s = check(tok.encode(std::string_view(prompt ? prompt : "", len), &ids));
    if (s != GOLF_OK) return s;
    ids.insert(ids.begin(), bos);
    golf::Session& sess = *session->session;
    sess.reset();
    if ((int)ids.size() > sess.n_ctx())
      return fail(GOLF_ERR_CONTEXT_FULL, "golf_generate: the prompt is " + std::to_string(ids.size()) +
                                             " tokens, the context holds " + std::to_string(sess.n_ctx()));
    s = check(sess.decode(ids.data(), (int)ids.size(), session->logits.data(), false));
    if (s != GOLF_OK) return s;
    golf::SamplerParams sp;
    sp.temperature = p.temperature, sp.top_k = p.top_k, sp.top_p = p.top_p, sp.seed = p.seed;
    golf::Sampler sampler(sp);
    golf::PieceTextStream text(tok);
    const int vocab = model->model->config().vocab_size;
    for (int i = 0; i < p.max_tokens; i++) {
      int32_t next = sampler.sample(session->logits.data(), vocab);
      if (p.stop_at_eos && (next == eos || next == bos)) break;
      if (n_generated) (*n_generated)++;
      std::string piece = text.push(next);
      if (callback && callback(user_data, next, piece.data(), piece.size())) break;
      if (sess.n_past() >= sess.n_ctx()) break;  // the context is full: generation ends here
      s = check(sess.decode(&next, 1, session->logits.data(), false));
      if (s != GOLF_OK) return s;
    }
    std::string rest = text.flush();
    if (callback && !rest.empty()) callback(user_data, -1, rest.data(), rest.size());
    return GOLF_OK;
  });
}

golf_bpb_params golf_bpb_default_params(void) {
  golf_bpb_params p;
  p.window = 0;
  p.stride = 0;
  p.doc_isolated = 0;
  return p;
}

golf_status golf_score_bpb(golf_session* session, const char* text, size_t len, const golf_bpb_params* params,
                           golf_bpb_result* out) {
  return guarded([&]() -> golf_status {
    if (!session || (!text && len) || !out) return fail(GOLF_ERR_INVALID_ARGUMENT, "golf_score_bpb: NULL argument");
    const golf_model* model = session->owner;
    if (!need_tokenizer(model)) return GOLF_ERR_UNSUPPORTED;
    golf_bpb_params p = params ? *params : golf_bpb_default_params();
    std::vector<int32_t> ids;
    golf_status s = check(model->model->tokenizer()->encode(std::string_view(text ? text : "", len), &ids));
    if (s != GOLF_OK) return s;
    ids.insert(ids.begin(), model->model->config().bos_id);
    golf::ScoreOptions o;
    o.window = p.window > 0 ? p.window : std::min(model->model->config().max_seq_len, session->session->n_ctx());
    o.stride = p.stride;
    o.doc_isolated = p.doc_isolated != 0;
    golf::ScoreTotals totals;
    golf::SessionLogits logits(*session->session);
    golf::Scorer scorer(logits, *model->bytes, model->model->config().bos_id);
    s = check(scorer.score(ids.data(), (int64_t)ids.size(), o, &totals));
    session->session->reset();
    if (s != GOLF_OK) return s;
    out->total_nats = totals.nats;
    out->tokens = totals.tokens;
    out->bytes = (int64_t)len;
    out->bytes_challenge = totals.bytes_rule;
    out->loss = totals.loss();
    out->bits_per_byte = totals.bits_per_byte((int64_t)len);
    return GOLF_OK;
  });
}

}  // extern "C"
