// golf_api_session.cpp: the C API of libgolf (include/golf.h), part 2: sessions, decoding, cancellation, the
// sampler, generation (golf::Generator does the work; this is glue) and bits-per-byte scoring.
#include "capi_internal.h"

#include <string_view>
#include <vector>

#include "scorer.h"  // defines: Scorer, SessionLogits, ScoreOptions

using namespace golf_capi;

namespace {

// The defaults, field by field in golf.h's order (size first).
golf_session_params default_session_params() {
  return {sizeof(golf_session_params), /*n_threads*/ 0, /*n_ctx*/ 0, /*n_batch*/ 0, /*device*/ nullptr,
          /*gpu_bf16*/ 0};
}

golf_sampling_params default_sampling_params() {
  return {sizeof(golf_sampling_params), /*temperature*/ 0.8f, /*top_k*/ 40, /*top_p*/ 0.95f, /*seed*/ 1,
          /*max_tokens*/ 128, /*stop_at_eos*/ 1};
}

golf_bpb_params default_bpb_params() {
  return {sizeof(golf_bpb_params), /*window*/ 0, /*stride*/ 0, /*doc_isolated*/ 0};
}

golf_status generate_options(const golf_sampling_params* params, const char* fn, golf::GenerateOptions* o) {
  golf_sampling_params p = default_sampling_params();
  golf_status s =
      read_params(params, GOLF_CAPI_V1_END(golf_sampling_params, stop_at_eos), fn, "golf_sampling_params_init", &p);
  if (s != GOLF_OK) return s;
  o->sampling.temperature = p.temperature;
  o->sampling.top_k = p.top_k;
  o->sampling.top_p = p.top_p;
  o->sampling.seed = p.seed;
  o->max_tokens = p.max_tokens;
  o->stop_at_eos = p.stop_at_eos != 0;
  return GOLF_OK;
}

// New work on the session: an earlier cancel request and any generation in progress are over.
golf::InferenceSession& start_work(golf_session* session) {
  session->session->clear_cancel();
  if (session->generator) session->generator->end();
  return *session->session;
}

bool need_generator(golf_session* session) {
  return need_tokenizer(session->owner) && session->generator != nullptr;
}

}  // namespace

extern "C" {

void golf_session_params_init(golf_session_params* params, size_t size) {
  init_params(params, size, default_session_params());
}

golf_status golf_session_new(const golf_model* model, const golf_session_params* params, golf_session** out) {
  return guarded([&]() -> golf_status {
    if (!model || !out) return fail(GOLF_ERR_INVALID_ARGUMENT, "golf_session_new: NULL argument");
    *out = nullptr;
    golf_session_params p = default_session_params();
    golf_status st = read_params(params, GOLF_CAPI_V1_END(golf_session_params, n_batch), "golf_session_new",
                                 "golf_session_params_init", &p);
    if (st != GOLF_OK) return st;
    if (p.n_threads < 0 || p.n_ctx < 0 || p.n_batch < 0)
      return fail(GOLF_ERR_INVALID_ARGUMENT, "golf_session_new: n_threads, n_ctx and n_batch must be >= 0");
    golf::SessionCreateOptions o;
    o.cpu.n_threads = p.n_threads;
    o.cpu.n_ctx = p.n_ctx;
    if (p.n_batch > 0) o.cpu.n_batch = p.n_batch;
    o.device = p.device ? p.device : "cpu";
    o.precision = p.gpu_bf16 ? golf::DevicePrecision::bf16 : golf::DevicePrecision::fp32;
    std::unique_ptr<golf_session> s(new golf_session);
    s->owner = model;
    st = check(golf::create_session(*model->model, o, &s->session));
    if (st != GOLF_OK) return st;
    if (const golf::Tokenizer* t = model->model->tokenizer()) s->generator.reset(new golf::Generator(*s->session, *t));
    *out = s.release();
    return GOLF_OK;
  });
}

void golf_session_free(golf_session* session) { delete session; }

void golf_session_reset(golf_session* session) {
  if (session) start_work(session).reset();
}

int golf_session_n_past(const golf_session* session) { return session ? session->session->n_past() : 0; }

int golf_session_n_ctx(const golf_session* session) { return session ? session->session->n_ctx() : 0; }

void golf_session_cancel(golf_session* session) {
  if (session) session->session->request_cancel();
}

golf_status golf_decode(golf_session* session, const int32_t* tokens, size_t n, float* logits, int all_logits) {
  return guarded([&]() -> golf_status {
    if (!session || (!tokens && n)) return fail(GOLF_ERR_INVALID_ARGUMENT, "golf_decode: NULL argument");
    golf::InferenceSession& s = start_work(session);
    if ((size_t)s.n_past() + n > (size_t)s.n_ctx())
      return fail(GOLF_ERR_CONTEXT_FULL, "golf_decode: " + std::to_string(n) + " more tokens do not fit: " +
                                             std::to_string(s.n_past()) + " of " + std::to_string(s.n_ctx()) +
                                             " positions are used; call golf_session_reset");
    if (n == 0) return GOLF_OK;
    return check(s.decode(tokens, (int)n, logits, all_logits != 0));
  });
}

void golf_sampling_params_init(golf_sampling_params* params, size_t size) {
  init_params(params, size, default_sampling_params());
}

golf_status golf_sampler_new(const golf_sampling_params* params, golf_sampler** out) {
  return guarded([&]() -> golf_status {
    if (!out) return fail(GOLF_ERR_INVALID_ARGUMENT, "golf_sampler_new: NULL out");
    *out = nullptr;
    golf::GenerateOptions o;
    golf_status s = generate_options(params, "golf_sampler_new", &o);
    if (s != GOLF_OK) return s;
    s = check(golf::check_sampler_params(o.sampling));
    if (s != GOLF_OK) return s;
    *out = new golf_sampler{golf::Sampler(o.sampling)};
    return GOLF_OK;
  });
}

golf_status golf_sampler_sample(golf_sampler* sampler, const float* logits, size_t n_vocab, int32_t* token) {
  return guarded([&]() -> golf_status {
    if (!sampler || !logits || !token || n_vocab == 0 || n_vocab > (size_t)INT32_MAX)
      return fail(GOLF_ERR_INVALID_ARGUMENT, "golf_sampler_sample: NULL argument or n_vocab out of range");
    *token = sampler->sampler.sample(logits, (int)n_vocab);
    return GOLF_OK;
  });
}

void golf_sampler_free(golf_sampler* sampler) { delete sampler; }

golf_status golf_generate(golf_session* session, const char* prompt, size_t len, const golf_sampling_params* params,
                          golf_token_callback callback, void* user_data, size_t* n_generated) {
  return guarded([&]() -> golf_status {
    if (n_generated) *n_generated = 0;
    if (!session || (!prompt && len)) return fail(GOLF_ERR_INVALID_ARGUMENT, "golf_generate: NULL argument");
    if (!need_generator(session)) return GOLF_ERR_UNSUPPORTED;
    golf::GenerateOptions o;
    golf_status s = generate_options(params, "golf_generate", &o);
    if (s != GOLF_OK) return s;
    golf::Generator& gen = *session->generator;
    s = check(gen.run(std::string_view(prompt ? prompt : "", len), o, [&](int32_t token, std::string_view text) {
      return !(callback && callback(user_data, token, text.data(), text.size()));
    }));
    if (n_generated) *n_generated = (size_t)gen.stats().generated;
    return s;
  });
}

golf_status golf_generate_begin(golf_session* session, const char* prompt, size_t len,
                                const golf_sampling_params* params) {
  return guarded([&]() -> golf_status {
    if (!session || (!prompt && len)) return fail(GOLF_ERR_INVALID_ARGUMENT, "golf_generate_begin: NULL argument");
    if (!need_generator(session)) return GOLF_ERR_UNSUPPORTED;
    golf::GenerateOptions o;
    golf_status s = generate_options(params, "golf_generate_begin", &o);
    if (s != GOLF_OK) return s;
    return check(session->generator->begin(std::string_view(prompt ? prompt : "", len), o));
  });
}

golf_status golf_generate_next(golf_session* session, int32_t* token, const char** text, size_t* len) {
  return guarded([&]() -> golf_status {
    if (!session || !token || !text || !len)
      return fail(GOLF_ERR_INVALID_ARGUMENT, "golf_generate_next: NULL argument");
    *token = -1;
    *text = "";
    *len = 0;
    golf::Generator* gen = session->generator.get();
    if (!gen || (!gen->active() && gen->stats().stop == golf::StopReason::running))
      return fail(GOLF_ERR_INVALID_ARGUMENT, "golf_generate_next: no generation in progress; call golf_generate_begin");
    golf_status s = check(gen->next(token, &session->step_text));
    *text = session->step_text.data();
    *len = session->step_text.size();
    return s;
  });
}

golf_status golf_generation_get_stats(const golf_session* session, golf_generation_stats* out, size_t out_size) {
  return guarded([&]() -> golf_status {
    if (!session) return fail(GOLF_ERR_INVALID_ARGUMENT, "golf_generation_get_stats: NULL session");
    golf_generation_stats c;
    std::memset(&c, 0, sizeof c);
    if (session->generator) {
      const golf::GenerateStats& g = session->generator->stats();
      c.prompt_tokens = g.prompt_tokens;
      c.prompt_dropped = g.prompt_dropped;
      c.generated = g.generated;
      c.context_shifts = g.context_shifts;
      c.prompt_seconds = g.prompt_seconds;
      c.generate_seconds = g.generate_seconds;
      c.stop = (golf_stop_reason)g.stop;  // the same values
    }
    return write_out(c, GOLF_CAPI_V1_END(golf_generation_stats, stop), "golf_generation_get_stats", out, out_size);
  });
}

void golf_bpb_params_init(golf_bpb_params* params, size_t size) { init_params(params, size, default_bpb_params()); }

golf_status golf_score_bpb(golf_session* session, const char* text, size_t len, const golf_bpb_params* params,
                           golf_bpb_result* out, size_t out_size) {
  return guarded([&]() -> golf_status {
    if (!session || (!text && len) || !out) return fail(GOLF_ERR_INVALID_ARGUMENT, "golf_score_bpb: NULL argument");
    const size_t out_v1_end = GOLF_CAPI_V1_END(golf_bpb_result, bytes_challenge);
    if (out_size < out_v1_end)
      return fail(GOLF_ERR_INVALID_ARGUMENT, "golf_score_bpb: out_size is too small; pass sizeof *out");
    const golf_model* model = session->owner;
    if (!need_tokenizer(model)) return GOLF_ERR_UNSUPPORTED;
    golf_bpb_params p = default_bpb_params();
    golf_status s = read_params(params, GOLF_CAPI_V1_END(golf_bpb_params, doc_isolated), "golf_score_bpb",
                                "golf_bpb_params_init", &p);
    if (s != GOLF_OK) return s;
    golf::InferenceSession& sess = start_work(session);
    std::vector<int32_t> ids;
    s = check(model->model->tokenizer()->encode(std::string_view(text ? text : "", len), &ids));
    if (s != GOLF_OK) return s;
    ids.insert(ids.begin(), model->model->config().bos_id);
    golf::ScoreOptions o;
    o.window = p.window > 0 ? p.window : std::min(model->model->config().max_seq_len, sess.n_ctx());
    o.stride = p.stride;
    o.doc_isolated = p.doc_isolated != 0;
    golf::ScoreTotals totals;
    golf::SessionLogits logits(sess);
    golf::Scorer scorer(logits, *model->bytes, model->model->config().bos_id);
    s = check(scorer.score(ids.data(), (int64_t)ids.size(), o, &totals));
    sess.reset();
    if (s != GOLF_OK) return s;
    golf_bpb_result r;
    std::memset(&r, 0, sizeof r);
    r.total_nats = totals.nats;
    r.tokens = totals.tokens;
    r.bytes = (int64_t)len;
    r.bytes_challenge = totals.bytes_rule;
    r.loss = totals.loss();
    r.bits_per_byte = totals.bits_per_byte((int64_t)len);
    return write_out(r, out_v1_end, "golf_score_bpb", out, out_size);
  });
}

}  // extern "C"
