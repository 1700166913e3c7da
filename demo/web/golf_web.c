/* golf_web.c: the browser module's entry points over golf.h that take plain numbers instead of structs, so
 * worker.js never lays out a C struct by hand (wasm32 has a 4-byte size_t and an 8-aligned uint64_t). The rest of
 * what the worker calls (golf_last_error, golf_model_free, golf_session_free, golf_session_cancel) is golf.h itself. */
#include <emscripten.h>
#include <stddef.h>

#include "golf.h"

/* The model reads the caller's buffer in place (copy = 0): the worker keeps it until golf_model_free. NULL on error
 * (golf_last_error says why). */
EMSCRIPTEN_KEEPALIVE golf_model* golf_web_load(const void* data, size_t size) {
  golf_model* model = NULL;
  golf_model_load_memory(data, size, 0, NULL, &model);
  return model;
}

/* One thread: the module is built without pthreads (no SharedArrayBuffer or cross-origin isolation needed). */
EMSCRIPTEN_KEEPALIVE golf_session* golf_web_session_new(const golf_model* model) {
  golf_session_params params;
  golf_session_params_init(&params, sizeof params);
  params.n_threads = 1;
  golf_session* session = NULL;
  golf_session_new(model, &params, &session);
  return session;
}

EMSCRIPTEN_KEEPALIVE int golf_web_begin(golf_session* session, const char* prompt, size_t len, float temperature,
                                        int top_k, float top_p, double seed, int max_tokens) {
  golf_sampling_params params;
  golf_sampling_params_init(&params, sizeof params);
  params.temperature = temperature;
  params.top_k = top_k;
  params.top_p = top_p;
  params.seed = (uint64_t)seed; /* a JS number: exact up to 2^53 */
  params.max_tokens = max_tokens;
  return golf_generate_begin(session, prompt, len, &params);
}

/* One step: returns the token (-1 when generation is over, -2 on error); golf_web_text / golf_web_text_len give
 * the whole characters it completes, valid until the next call. */
static const char* step_text;
static size_t step_len;
EMSCRIPTEN_KEEPALIVE int golf_web_next(golf_session* session) {
  int32_t token = -1;
  if (golf_generate_next(session, &token, &step_text, &step_len) != GOLF_OK) return -2;
  return token;
}
EMSCRIPTEN_KEEPALIVE const char* golf_web_text(void) { return step_text; }
EMSCRIPTEN_KEEPALIVE size_t golf_web_text_len(void) { return step_len; }
