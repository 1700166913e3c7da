/* test_capi.c: the C API from a C99 program linked against the shared libgolf: loading (path, memory with and
 * without copy), info, tokenize/detokenize, decode with the KV cache, generation (determinism, callbacks, limits),
 * BPB scoring, sessions on two threads at once, and every error path returning a status with a message. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capi_test_util.h"

struct collected { char text[4096]; size_t len; int tokens; int stop_after; };

static int collect(void* user, int32_t token, const char* text, size_t len) {
  struct collected* c = (struct collected*)user;
  if (token >= 0) c->tokens++;
  if (c->len + len < sizeof c->text) { memcpy(c->text + c->len, text, len); c->len += len; }
  return c->stop_after > 0 && c->tokens >= c->stop_after;
}

struct thread_job { golf_model* model; const char* prompt; struct collected out; golf_status status; };

static void* run_job(void* arg) {
  struct thread_job* job = (struct thread_job*)arg;
  golf_session* s = NULL;
  golf_session_params sp;
  golf_session_params_init(&sp, sizeof sp);
  sp.n_threads = 1;
  job->status = golf_session_new(job->model, &sp, &s);
  if (job->status != GOLF_OK) return NULL;
  golf_sampling_params p;
  golf_sampling_params_init(&p, sizeof p);
  p.temperature = 0;
  p.max_tokens = 24;
  p.stop_at_eos = 0;
  job->status = golf_generate(s, job->prompt, strlen(job->prompt), &p, collect, &job->out, NULL);
  golf_session_free(s);
  return NULL;
}

int main(int argc, char** argv) {
  if (argc != 2) { fprintf(stderr, "usage: test_capi MODEL.golf\n"); return 2; }
  const char* path = argv[1];

  /* Errors come back as codes with messages. */
  golf_model* model = NULL;
  CHECK(golf_model_load_file("/nonexistent/model.golf", NULL, &model) == GOLF_ERR_IO);
  CHECK(strstr(golf_last_error(), "/nonexistent/model.golf") != NULL);
  CHECK(model == NULL);
  CHECK(golf_model_load_file(NULL, NULL, &model) == GOLF_ERR_INVALID_ARGUMENT);
  CHECK(strcmp(golf_status_name(GOLF_ERR_CHECKSUM), "checksum mismatch") == 0);

  CHECK(golf_model_load_file(path, NULL, &model) == GOLF_OK);
  CHECK(golf_last_error()[0] == 0);
  if (!model) return 1;
  golf_model_info info;
  CHECK(golf_model_get_info(model, &info, sizeof info) == GOLF_OK);
  CHECK(strcmp(info.arch, "golf-gpt") == 0);
  CHECK(info.vocab_size == 1024 && info.has_tokenizer && info.bos_id == 1 && info.n_params > 0);

  /* Loading from memory: zero copy and copy give the same model; a damaged buffer is refused. */
  size_t size = 0;
  char *block = NULL, *bytes = NULL;
  CHECK(read_model(path, 0, &block, &bytes, &size));
  golf_model *m_nocopy = NULL, *m_copy = NULL, *m_bad = NULL;
  CHECK(golf_model_load_memory(bytes, size, 0, NULL, &m_nocopy) == GOLF_OK);
  CHECK(golf_model_load_memory(bytes, size, 1, NULL, &m_copy) == GOLF_OK);
  bytes[size - 10] ^= 0x55;
  CHECK(golf_model_load_memory(bytes, size, 1, NULL, &m_bad) == GOLF_ERR_CHECKSUM);
  CHECK(m_bad == NULL);
  golf_model_free(m_copy); /* its own copy: unaffected by the damage */

  /* Tokenizer round trip and buffer sizing. */
  const char* text = "The court held that the statute applies.";
  size_t n = 0;
  CHECK(golf_tokenize(model, text, strlen(text), 1, NULL, 0, &n) == GOLF_ERR_BUFFER_TOO_SMALL);
  CHECK(n > 2);
  int32_t ids[256];
  size_t n2 = 0;
  CHECK(golf_tokenize(model, text, strlen(text), 1, ids, 256, &n2) == GOLF_OK && n2 == n && ids[0] == 1);
  char back[256];
  size_t back_len = 0;
  CHECK(golf_detokenize(model, ids + 1, n - 1, back, sizeof back, &back_len) == GOLF_OK);
  CHECK(back_len == strlen(text) && memcmp(back, text, back_len) == 0);
  CHECK(golf_detokenize(model, ids, n, back, 3, &back_len) == GOLF_ERR_BUFFER_TOO_SMALL);
  int32_t bad_id = 999999;
  CHECK(golf_detokenize(model, &bad_id, 1, back, sizeof back, &back_len) == GOLF_ERR_INVALID_ARGUMENT);

  /* Decode: batched logits equal token-by-token logits through the KV cache. */
  golf_session_params sp;
  golf_session_params_init(&sp, sizeof sp);
  sp.n_ctx = 64;
  sp.n_threads = 2;
  golf_session* s = NULL;
  CHECK(golf_session_new(model, &sp, &s) == GOLF_OK);
  float* all = malloc(sizeof(float) * n * 1024);
  float last[1024];
  CHECK(golf_decode(s, ids, n, all, 1) == GOLF_OK);
  CHECK(golf_session_n_past(s) == (int)n);
  golf_session_reset(s);
  for (size_t i = 0; i < n; i++) CHECK(golf_decode(s, ids + i, 1, last, 0) == GOLF_OK);
  double max_diff = 0;
  for (int v = 0; v < 1024; v++) max_diff = fmax(max_diff, fabs(last[v] - all[(n - 1) * 1024 + v]));
  CHECK(max_diff < 1e-3);
  golf_session_reset(s);
  int32_t many[65] = {0};
  CHECK(golf_decode(s, many, 65, NULL, 0) == GOLF_ERR_CONTEXT_FULL);
  CHECK(golf_session_n_past(s) == 0);
  CHECK(golf_decode(s, &bad_id, 1, last, 0) == GOLF_ERR_INVALID_ARGUMENT);
  free(all);

  /* Generation: greedy is deterministic; seeds reproduce; the callback can stop; max_tokens holds. */
  golf_sampling_params gp;
  golf_sampling_params_init(&gp, sizeof gp);
  gp.temperature = 0;
  gp.max_tokens = 20;
  gp.stop_at_eos = 0;
  struct collected a = {{0}, 0, 0, 0}, b = {{0}, 0, 0, 0};
  size_t generated = 0;
  CHECK(golf_generate(s, "The court", 9, &gp, collect, &a, &generated) == GOLF_OK);
  CHECK(generated == 20 && a.tokens == 20);
  CHECK(golf_generate(s, "The court", 9, &gp, collect, &b, NULL) == GOLF_OK);
  CHECK(a.len == b.len && memcmp(a.text, b.text, a.len) == 0);
  gp.temperature = 0.9f;
  gp.seed = 42;
  struct collected c1 = {{0}, 0, 0, 0}, c2 = {{0}, 0, 0, 0}, stop = {{0}, 0, 0, 5};
  CHECK(golf_generate(s, "The court", 9, &gp, collect, &c1, NULL) == GOLF_OK);
  CHECK(golf_generate(s, "The court", 9, &gp, collect, &c2, NULL) == GOLF_OK);
  CHECK(c1.len == c2.len && memcmp(c1.text, c2.text, c1.len) == 0);
  CHECK(golf_generate(s, "The court", 9, &gp, collect, &stop, &generated) == GOLF_OK);
  CHECK(stop.tokens == 5 && generated == 5);
  gp.top_p = 0;
  CHECK(golf_generate(s, "x", 1, &gp, NULL, NULL, NULL) == GOLF_ERR_INVALID_ARGUMENT);

  /* BPB of one document: bytes are the text's bytes; document isolation changes nothing for one document. */
  golf_bpb_result r1, r2;
  golf_bpb_params bp;
  golf_bpb_params_init(&bp, sizeof bp);
  bp.window = 16;
  CHECK(golf_score_bpb(s, text, strlen(text), &bp, &r1, sizeof r1) == GOLF_OK);
  CHECK(r1.bytes == (int64_t)strlen(text) && r1.tokens == (int64_t)n - 1);
  CHECK(isfinite(r1.bits_per_byte) && r1.bits_per_byte > 0);
  CHECK(fabs(r1.bits_per_byte - r1.total_nats / (log(2.0) * (double)r1.bytes)) < 1e-12);
  bp.doc_isolated = 1;
  CHECK(golf_score_bpb(s, text, strlen(text), &bp, &r2, sizeof r2) == GOLF_OK);
  CHECK(fabs(r1.total_nats - r2.total_nats) < 1e-9);
  bp.window = 1000;  /* larger than the session's context */
  CHECK(golf_score_bpb(s, text, strlen(text), &bp, &r2, sizeof r2) == GOLF_ERR_INVALID_ARGUMENT);
  golf_session_free(s);

  /* One model, two threads, two sessions at once: the same results as one at a time. */
  struct thread_job jobs[2];
  memset(jobs, 0, sizeof jobs);
  jobs[0].model = model, jobs[0].prompt = "The court held";
  jobs[1].model = m_nocopy, jobs[1].prompt = "The court held";
  pthread_t th[2];
  for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, run_job, &jobs[i]);
  for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
  CHECK(jobs[0].status == GOLF_OK && jobs[1].status == GOLF_OK);
  CHECK(jobs[0].out.len == jobs[1].out.len && memcmp(jobs[0].out.text, jobs[1].out.text, jobs[0].out.len) == 0);
  struct thread_job again;
  memset(&again, 0, sizeof again);
  again.model = model, again.prompt = "The court held";
  run_job(&again);
  CHECK(again.out.len == jobs[0].out.len && memcmp(again.out.text, jobs[0].out.text, again.out.len) == 0);

  golf_model_free(m_nocopy);
  free(block);
  golf_model_free(model);
  golf_model_free(NULL);
  golf_session_free(NULL);
  if (failures) { fprintf(stderr, "%d checks failed\n", failures); return 1; }
  printf("capi: all checks passed\n");
  return 0;
}
