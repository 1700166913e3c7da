/* test_capi_stream.c: the parts of the C API an app embeds with, from C99 against the shared libgolf: the API
 * version and size-prefixed structs (older and newer callers), the vocabulary and token text, step-by-step
 * generation against golf_generate and against a hand-driven loop of golf_decode + golf_sampler, the sliding
 * context and the cut prompt against the rule golf.h states, statistics, and cancellation from another thread. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capi_test_util.h"

#define MAX_TOKENS 512
struct stream { int32_t tokens[MAX_TOKENS]; int n; char text[8192]; size_t len; };

static void stream_add(struct stream* s, int32_t token, const char* text, size_t len) {
  if (token >= 0 && s->n < MAX_TOKENS) s->tokens[s->n++] = token;
  if (s->len + len < sizeof s->text) { memcpy(s->text + s->len, text, len); s->len += len; }
}

static int collect(void* user, int32_t token, const char* text, size_t len) {
  stream_add((struct stream*)user, token, text, len);
  return 0;
}

static int same_stream(const struct stream* a, const struct stream* b) {
  return a->n == b->n && memcmp(a->tokens, b->tokens, sizeof(int32_t) * (size_t)a->n) == 0 && a->len == b->len &&
         memcmp(a->text, b->text, a->len) == 0;
}

static golf_sampling_params sampling(float temperature, int max_tokens) {
  golf_sampling_params p;
  golf_sampling_params_init(&p, sizeof p);
  p.temperature = temperature;
  p.seed = 42;
  p.max_tokens = max_tokens;
  p.stop_at_eos = 0;
  return p;
}

static golf_session* new_session(golf_model* model, int n_ctx, int n_batch) {
  golf_session_params sp;
  golf_session_params_init(&sp, sizeof sp);
  sp.n_threads = 1, sp.n_ctx = n_ctx, sp.n_batch = n_batch;
  golf_session* s = NULL;
  CHECK(golf_session_new(model, &sp, &s) == GOLF_OK);
  return s;
}

/* The generation golf.h describes, driven by hand with golf_decode and a golf_sampler: BOS + ids (cut to the last
 * n_ctx / 2 when they do not fit), then sample; when the context is full, reset and read BOS + the last n_ctx / 2
 * tokens again. Returns the number of such shifts. */
static int generate_by_hand(golf_model* model, golf_session* s, const int32_t* ids, int n, int max_tokens,
                             float temperature, struct stream* out) {
  golf_model_info info;
  golf_model_get_info(model, &info, sizeof info);
  const int n_ctx = golf_session_n_ctx(s), keep = n_ctx / 2;
  int32_t* ctx = malloc(sizeof(int32_t) * (size_t)(n + max_tokens + 1));
  float* logits = malloc(sizeof(float) * (size_t)info.vocab_size);
  int n_in = n, shifts = 0;
  memcpy(ctx, ids, sizeof(int32_t) * (size_t)n);
  if (n + 1 > n_ctx) { memmove(ctx, ctx + (n - keep), sizeof(int32_t) * (size_t)keep); n_in = keep; }
  golf_sampling_params p = sampling(temperature, max_tokens);
  golf_sampler* sampler = NULL;
  CHECK(golf_sampler_new(&p, &sampler) == GOLF_OK);
  golf_session_reset(s);
  CHECK(golf_decode(s, &info.bos_id, 1, logits, 0) == GOLF_OK);
  CHECK(golf_decode(s, ctx, (size_t)n_in, logits, 0) == GOLF_OK);
  for (int i = 0; i < max_tokens; i++) {
    int32_t t = -1;
    CHECK(golf_sampler_sample(sampler, logits, (size_t)info.vocab_size, &t) == GOLF_OK);
    stream_add(out, t, "", 0);
    if (i + 1 == max_tokens) break;
    ctx[n_in++] = t;
    if (golf_session_n_past(s) < n_ctx) {
      CHECK(golf_decode(s, &t, 1, logits, 0) == GOLF_OK);
    } else {
      memmove(ctx, ctx + (n_in - keep), sizeof(int32_t) * (size_t)keep);
      n_in = keep;
      shifts++;
      golf_session_reset(s);
      CHECK(golf_decode(s, &info.bos_id, 1, NULL, 0) == GOLF_OK);
      CHECK(golf_decode(s, ctx, (size_t)n_in, logits, 0) == GOLF_OK);
    }
  }
  golf_sampler_free(sampler);
  free(logits);
  free(ctx);
  return shifts;
}

static void generate_by_steps(golf_session* s, const char* prompt, const golf_sampling_params* p, struct stream* out) {
  CHECK(golf_generate_begin(s, prompt, strlen(prompt), p) == GOLF_OK);
  for (int guard = 0; guard < 10000; guard++) {
    int32_t token = 0;
    const char* text = NULL;
    size_t len = 0;
    CHECK(golf_generate_next(s, &token, &text, &len) == GOLF_OK);
    stream_add(out, token, text, len);
    if (token < 0) break;
  }
}

/* Cancellation from another thread, deterministic: the callback's first call waits until the main thread has called
 * golf_session_cancel, so the next step must see the request. */
struct cancel_job {
  golf_session* session;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int started, cancelled;
  golf_status status;
  size_t generated;
};

static int wait_for_cancel(void* user, int32_t token, const char* text, size_t len) {
  (void)token, (void)text, (void)len;
  struct cancel_job* job = (struct cancel_job*)user;
  pthread_mutex_lock(&job->mu);
  job->started = 1;
  pthread_cond_broadcast(&job->cv);
  while (!job->cancelled) pthread_cond_wait(&job->cv, &job->mu);
  pthread_mutex_unlock(&job->mu);
  return 0;
}

static void* run_cancel_job(void* arg) {
  struct cancel_job* job = (struct cancel_job*)arg;
  golf_sampling_params p = sampling(0.8f, 1000000);
  job->status = golf_generate(job->session, "The court", 9, &p, wait_for_cancel, job, &job->generated);
  return NULL;
}

/* Cancelling a long golf_decode: another thread keeps cancelling while it runs (n_batch 1: a check per token). */
struct spinner { golf_session* session; int stop, spinning; };
static void* keep_cancelling(void* arg) {
  struct spinner* sp = (struct spinner*)arg;
  while (!__atomic_load_n(&sp->stop, __ATOMIC_RELAXED)) {
    golf_session_cancel(sp->session);
    __atomic_store_n(&sp->spinning, 1, __ATOMIC_RELAXED);
  }
  return NULL;
}

int main(int argc, char** argv) {
  if (argc != 2) { fprintf(stderr, "usage: test_capi_stream MODEL.golf\n"); return 2; }

  /* Version: the library is the one this header describes. */
  CHECK(golf_api_version() == GOLF_API_VERSION);
  CHECK(golf_api_version() / 1000 == GOLF_API_VERSION_MAJOR);

  /* Size-prefixed params: an old caller (smaller than API 1.0: never made by init) is refused; a newer caller's
   * larger struct works while its unknown fields stay zero, and is refused with UNSUPPORTED otherwise. */
  golf_model* model = NULL;
  struct { golf_model_params p; int extra[4]; } newer;
  golf_model_params_init(&newer.p, sizeof newer);
  CHECK(newer.p.size == sizeof newer && newer.p.verify_checksums == 1 && newer.extra[0] == 0 && newer.extra[3] == 0);
  CHECK(golf_model_load_file(argv[1], &newer.p, &model) == GOLF_OK);
  golf_model_free(model);
  newer.extra[2] = 7;
  CHECK(golf_model_load_file(argv[1], &newer.p, &model) == GOLF_ERR_UNSUPPORTED && model == NULL);
  CHECK(strstr(golf_last_error(), "newer libgolf") != NULL);
  golf_model_params old;
  golf_model_params_init(&old, sizeof old);
  old.size = sizeof(size_t) + sizeof(int);
  CHECK(golf_model_load_file(argv[1], &old, &model) == GOLF_ERR_INVALID_ARGUMENT);
  CHECK(strstr(golf_last_error(), "golf_model_params_init") != NULL);
  CHECK(golf_model_load_file(argv[1], NULL, &model) == GOLF_OK);
  if (!model) return 1;

  /* Zero copy from a buffer at an odd address (an asset mapped from inside an APK is rarely 64-byte aligned):
   * loads, and tokenizes and generates as the mapped file does. */
  char *block = NULL, *odd = NULL;
  size_t size = 0;
  CHECK(read_model(argv[1], 1, &block, &odd, &size));
  golf_model* unaligned = NULL;
  CHECK(odd && golf_model_load_memory(odd, size, 0, NULL, &unaligned) == GOLF_OK);
  if (unaligned) {
    golf_session *a = new_session(model, 0, 0), *b = new_session(unaligned, 0, 0);
    golf_sampling_params p = sampling(0.0f, 12);
    struct stream sa, sb;
    memset(&sa, 0, sizeof sa), memset(&sb, 0, sizeof sb);
    CHECK(golf_generate(a, "The court", 9, &p, collect, &sa, NULL) == GOLF_OK);
    CHECK(golf_generate(b, "The court", 9, &p, collect, &sb, NULL) == GOLF_OK);
    CHECK(sa.n == 12 && same_stream(&sa, &sb));
    golf_session_free(a);
    golf_session_free(b);
    golf_model_free(unaligned);
  }
  free(block);

  /* Output structs: a larger caller struct gets zeros past the library's fields; a smaller one is refused. */
  struct { golf_model_info info; int64_t extra[2]; } big;
  memset(&big, 0xAB, sizeof big);
  CHECK(golf_model_get_info(model, &big.info, sizeof big) == GOLF_OK);
  CHECK(big.info.size == sizeof(golf_model_info) && big.extra[0] == 0 && big.extra[1] == 0);
  golf_model_info info;
  CHECK(golf_model_get_info(model, &info, 16) == GOLF_ERR_INVALID_ARGUMENT);
  CHECK(golf_model_get_info(model, &info, sizeof info) == GOLF_OK && info.size == sizeof info);
  CHECK(info.vocab_size == 1024 && info.bos_id == 1);

  /* Vocabulary: pieces as stored, their kinds, and the text each stands for mid-text. */
  const char* piece = NULL;
  size_t len = 0;
  golf_token_kind kind = GOLF_TOKEN_NORMAL;
  CHECK(golf_vocab_piece(model, info.bos_id, &piece, &len, &kind) == GOLF_OK);
  CHECK(kind == GOLF_TOKEN_CONTROL && len == 3 && memcmp(piece, "<s>", 3) == 0);
  char text[64];
  CHECK(golf_token_text(model, info.bos_id, text, sizeof text, &len) == GOLF_OK && len == 0);
  int32_t byte_a = -1, space_the = -1;
  for (int32_t id = 0; id < info.vocab_size; id++) {
    CHECK(golf_vocab_piece(model, id, &piece, &len, &kind) == GOLF_OK);
    if (kind == GOLF_TOKEN_BYTE && len == 6 && memcmp(piece, "<0x41>", 6) == 0) byte_a = id;
    if (kind == GOLF_TOKEN_NORMAL && len == 6 && memcmp(piece, "\xE2\x96\x81the", 6) == 0) space_the = id;
  }
  CHECK(byte_a >= 0 && space_the >= 0);
  CHECK(golf_token_text(model, byte_a, text, sizeof text, &len) == GOLF_OK && len == 1 && text[0] == 'A');
  CHECK(golf_token_text(model, space_the, NULL, 0, &len) == GOLF_ERR_BUFFER_TOO_SMALL && len == 4);
  CHECK(golf_token_text(model, space_the, text, sizeof text, &len) == GOLF_OK && memcmp(text, " the", 4) == 0);
  CHECK(golf_vocab_piece(model, info.vocab_size, &piece, &len, NULL) == GOLF_ERR_INVALID_ARGUMENT);
  CHECK(golf_token_text(model, -1, text, sizeof text, &len) == GOLF_ERR_INVALID_ARGUMENT);
  /* The token texts of a text, concatenated, are the text (this tokenizer adds no dummy-prefix space). */
  const char* sentence = "The court held that the statute applies.";
  int32_t ids[600];
  size_t n = 0;
  CHECK(golf_tokenize(model, sentence, strlen(sentence), 0, ids, 600, &n) == GOLF_OK);
  char joined[256];
  size_t joined_len = 0;
  for (size_t i = 0; i < n; i++) {
    CHECK(golf_token_text(model, ids[i], joined + joined_len, sizeof joined - joined_len, &len) == GOLF_OK);
    joined_len += len;
  }
  CHECK(joined_len == strlen(sentence) && memcmp(joined, sentence, joined_len) == 0);

  /* Step by step = golf_generate = a hand-driven golf_decode + golf_sampler loop, greedy and sampled. */
  golf_session* s = new_session(model, 0, 0);
  for (int k = 0; k < 2; k++) {
    golf_sampling_params p = sampling(k == 0 ? 0.0f : 0.9f, 24);
    struct stream whole, steps, by_hand;
    memset(&whole, 0, sizeof whole), memset(&steps, 0, sizeof steps), memset(&by_hand, 0, sizeof by_hand);
    CHECK(golf_generate(s, sentence, strlen(sentence), &p, collect, &whole, NULL) == GOLF_OK);
    generate_by_steps(s, sentence, &p, &steps);
    generate_by_hand(model, s, ids, (int)n, 24, p.temperature, &by_hand);
    CHECK(whole.n == 24 && same_stream(&whole, &steps));
    CHECK(by_hand.n == 24 && memcmp(by_hand.tokens, whole.tokens, sizeof(int32_t) * 24) == 0);
  }
  golf_generation_stats st;
  CHECK(golf_generation_get_stats(s, &st, sizeof st) == GOLF_OK);
  CHECK(st.size == sizeof st && st.prompt_tokens == (int)n && st.prompt_dropped == 0 && st.generated == 24);
  CHECK(st.stop == GOLF_STOP_MAX_TOKENS && st.context_shifts == 0 && st.prompt_seconds > 0 && st.generate_seconds > 0);
  int32_t token = 0;
  const char* piece_text = NULL;
  CHECK(golf_generate_next(s, &token, &piece_text, &len) == GOLF_OK && token == -1 && len == 0);
  /* golf_decode ends a generation; golf_generate_next then says none is in progress. */
  CHECK(golf_generate_begin(s, "x", 1, NULL) == GOLF_OK);
  CHECK(golf_decode(s, ids, 1, NULL, 0) == GOLF_OK);
  CHECK(golf_generate_next(s, &token, &piece_text, &len) == GOLF_ERR_INVALID_ARGUMENT);
  golf_session_free(s);

  /* A small context slides (the rule above, checked by the hand-driven loop) and generation runs to max_tokens. */
  s = new_session(model, 16, 0);
  for (int k = 0; k < 2; k++) {
    golf_sampling_params p = sampling(k == 0 ? 0.0f : 0.9f, 60);
    struct stream whole, by_hand;
    memset(&whole, 0, sizeof whole), memset(&by_hand, 0, sizeof by_hand);
    CHECK(golf_generate(s, sentence, strlen(sentence), &p, collect, &whole, NULL) == GOLF_OK);
    CHECK(golf_generation_get_stats(s, &st, sizeof st) == GOLF_OK);
    CHECK(whole.n == 60 && st.generated == 60 && st.prompt_dropped == 0);
    CHECK(generate_by_hand(model, s, ids, (int)n, 60, p.temperature, &by_hand) == st.context_shifts);
    /* BOS + 13 prompt tokens; 59 generated tokens are read: the 3rd finds the context full, then every 8th. */
    CHECK(n == 13 && st.context_shifts == 8);
    CHECK(by_hand.n == 60 && memcmp(by_hand.tokens, whole.tokens, sizeof(int32_t) * 60) == 0);
  }
  /* A prompt longer than the context keeps its last n_ctx / 2 tokens. */
  char long_prompt[2048] = "";
  for (int i = 0; i < 8; i++) strcat(long_prompt, "The court held that the statute applies. ");
  CHECK(golf_tokenize(model, long_prompt, strlen(long_prompt), 0, ids, 600, &n) == GOLF_OK && n > 16);
  golf_sampling_params p = sampling(0.0f, 10);
  struct stream whole, by_hand;
  memset(&whole, 0, sizeof whole), memset(&by_hand, 0, sizeof by_hand);
  CHECK(golf_generate(s, long_prompt, strlen(long_prompt), &p, collect, &whole, NULL) == GOLF_OK);
  CHECK(golf_generation_get_stats(s, &st, sizeof st) == GOLF_OK);
  CHECK(st.prompt_tokens == (int)n && st.prompt_dropped == (int)n - 8 && whole.n == 10);
  generate_by_hand(model, s, ids, (int)n, 10, 0.0f, &by_hand);
  CHECK(memcmp(by_hand.tokens, whole.tokens, sizeof(int32_t) * 10) == 0);
  /* A context of one position cannot generate. */
  golf_session* one = new_session(model, 1, 0);
  CHECK(golf_generate(one, "x", 1, &p, NULL, NULL, NULL) == GOLF_ERR_INVALID_ARGUMENT);
  golf_session_free(one);
  golf_session_free(s);

  /* Cancellation: from another thread during golf_generate; between steps; a stale request is forgotten. */
  struct cancel_job job;
  memset(&job, 0, sizeof job);
  job.session = new_session(model, 32, 0);
  pthread_mutex_init(&job.mu, NULL);
  pthread_cond_init(&job.cv, NULL);
  pthread_t th;
  pthread_create(&th, NULL, run_cancel_job, &job);
  pthread_mutex_lock(&job.mu);
  while (!job.started) pthread_cond_wait(&job.cv, &job.mu);
  golf_session_cancel(job.session);
  job.cancelled = 1;
  pthread_cond_broadcast(&job.cv);
  pthread_mutex_unlock(&job.mu);
  pthread_join(th, NULL);
  CHECK(job.status == GOLF_ERR_CANCELLED && job.generated == 1);
  CHECK(golf_generation_get_stats(job.session, &st, sizeof st) == GOLF_OK && st.stop == GOLF_STOP_CANCELLED);
  s = job.session;
  CHECK(golf_generate_begin(s, "The court", 9, &p) == GOLF_OK);
  CHECK(golf_generate_next(s, &token, &piece_text, &len) == GOLF_OK && token >= 0);
  golf_session_cancel(s);
  CHECK(golf_generate_next(s, &token, &piece_text, &len) == GOLF_ERR_CANCELLED && token == -1);
  CHECK(golf_generate_next(s, &token, &piece_text, &len) == GOLF_OK && token == -1);
  golf_session_cancel(s); /* nothing runs: forgotten by the next call */
  int n_past = golf_session_n_past(s);
  CHECK(golf_decode(s, ids, 4, NULL, 0) == GOLF_OK && golf_session_n_past(s) == n_past + 4);
  golf_session_free(s);
  pthread_mutex_destroy(&job.mu);
  pthread_cond_destroy(&job.cv);

  /* A long golf_decode stops within a token of the request and leaves the context as it was. Another thread keeps
   * cancelling; a decode of 600 tokens takes a few ms, and on a loaded machine that thread may be off the CPU for
   * a whole one, so decode until one is cancelled (at most 1000 times); every decode not cancelled must be whole. */
  enum { LONG = 600 };
  int32_t many[LONG];
  for (int i = 0; i < LONG; i++) many[i] = ids[i % n];
  s = new_session(model, LONG, 1);
  struct spinner sp = {s, 0, 0};
  pthread_create(&th, NULL, keep_cancelling, &sp);
  while (!__atomic_load_n(&sp.spinning, __ATOMIC_RELAXED)) {}
  int cancelled = 0, attempts = 0;
  for (; attempts < 1000 && !cancelled; attempts++) {
    golf_session_reset(s);
    golf_status r = golf_decode(s, many, LONG, NULL, 0);
    if (r == GOLF_ERR_CANCELLED) {
      cancelled = 1;
      CHECK(golf_session_n_past(s) == 0);
    } else {
      CHECK(r == GOLF_OK && golf_session_n_past(s) == LONG);
    }
  }
  __atomic_store_n(&sp.stop, 1, __ATOMIC_RELAXED);
  pthread_join(th, NULL);
  CHECK(cancelled);
  if (attempts > 1) printf("a decode was cancelled at attempt %d\n", attempts);
  golf_session_free(s);

  golf_model_free(model);
  if (failures) { fprintf(stderr, "%d checks failed\n", failures); return 1; }
  printf("capi_stream: all checks passed\n");
  return 0;
}
