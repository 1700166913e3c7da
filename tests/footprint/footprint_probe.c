/* footprint_probe.c: what an app pays to use a model, measured through golf.h alone (scripts/footprint.sh runs it).
 * footprint_probe time MODEL.golf THREADS: time to load (golf_model_load_file + golf_session_new) and time to first
 * token (golf_generate_begin on a short prompt to the first golf_generate_next), medians of 7 runs.
 * footprint_probe score MODEL.golf THREADS TEXT_FILE: one load, golf_score_bpb over the text (at most 16 KB), then the
 * peak resident memory of the process (getrusage), in a process that did nothing else.
 * Prints one JSON object. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "golf.h"

#define RUNS 7

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int by_value(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

static double median(double* v) {
  qsort(v, RUNS, sizeof *v, by_value);
  return v[RUNS / 2];
}

static int fail(const char* what) {
  fprintf(stderr, "footprint_probe: %s: %s\n", what, golf_last_error());
  return 1;
}

static int time_load_and_first_token(const char* path, const golf_session_params* sp) {
  golf_sampling_params gp;
  golf_sampling_params_init(&gp, sizeof gp);
  gp.temperature = 0;
  gp.max_tokens = 1;
  double load_ms[RUNS], first_ms[RUNS];
  for (int r = 0; r < RUNS; r++) {
    golf_model* model;
    golf_session* session;
    double t0 = now_ms();
    if (golf_model_load_file(path, NULL, &model) != GOLF_OK) return fail("load");
    if (golf_session_new(model, sp, &session) != GOLF_OK) return fail("session");
    load_ms[r] = now_ms() - t0;
    const char* prompt = "The court held that";
    int32_t token;
    const char* piece;
    size_t len;
    t0 = now_ms();
    if (golf_generate_begin(session, prompt, strlen(prompt), &gp) != GOLF_OK) return fail("generate_begin");
    if (golf_generate_next(session, &token, &piece, &len) != GOLF_OK) return fail("generate_next");
    first_ms[r] = now_ms() - t0;
    golf_session_free(session);
    golf_model_free(model);
  }
  printf("{\"load_ms\": %.3f, \"first_token_ms\": %.3f, \"threads\": %d}\n", median(load_ms), median(first_ms),
         sp->n_threads);
  return 0;
}

static int score_peak_memory(const char* path, const golf_session_params* sp, const char* text_path) {
  FILE* f = fopen(text_path, "rb");
  if (!f) { perror(text_path); return 1; }
  static char text[16384]; /* a few windows of the baseline model: the peak comes from the first */
  size_t text_len = fread(text, 1, sizeof text, f);
  fclose(f);
  golf_model* model;
  golf_session* session;
  if (golf_model_load_file(path, NULL, &model) != GOLF_OK) return fail("load");
  if (golf_session_new(model, sp, &session) != GOLF_OK) return fail("session");
  golf_bpb_result res;
  double t0 = now_ms();
  if (golf_score_bpb(session, text, text_len, NULL, &res, sizeof res) != GOLF_OK) return fail("score_bpb");
  double score_s = (now_ms() - t0) / 1e3;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  golf_model_info info;
  golf_model_get_info(model, &info, sizeof info);
  printf("{\"file_bytes\": %zu, \"peak_rss_bytes\": %ld, \"bpb\": %.4f, \"scored_tokens\": %lld, "
         "\"score_tokens_per_s\": %.0f, \"threads\": %d}\n", info.file_bytes, ru.ru_maxrss * 1024L,
         res.bits_per_byte, (long long)res.tokens, res.tokens / score_s, sp->n_threads);
  golf_session_free(session);
  golf_model_free(model);
  return 0;
}

int main(int argc, char** argv) {
  int timing = argc == 4 && !strcmp(argv[1], "time"), scoring = argc == 5 && !strcmp(argv[1], "score");
  if (!timing && !scoring) {
    fprintf(stderr, "usage: footprint_probe time MODEL.golf THREADS | score MODEL.golf THREADS TEXT_FILE\n");
    return 2;
  }
  golf_session_params sp;
  golf_session_params_init(&sp, sizeof sp);
  sp.n_threads = atoi(argv[3]);
  return timing ? time_load_and_first_token(argv[2], &sp) : score_peak_memory(argv[2], &sp, argv[4]);
}
