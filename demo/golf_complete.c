/* golf-complete: streams a text completion from a .golf model. A small C99 program on the public C API
 * (runtime/include/golf.h) only, so it doubles as the example of how an app uses libgolf. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golf.h"

static void usage(FILE* f) {
  fprintf(f,
          "usage: golf-complete -m MODEL.golf [options] [PROMPT]\n"
          "Streams a completion of PROMPT (or of standard input when PROMPT is absent or \"-\").\n"
          "  -m, --model FILE     the .golf model (required)\n"
          "  -n, --max-tokens N   tokens to generate (default 128)\n"
          "  -t, --temperature T  sampling temperature (default 0.8; 0 = greedy)\n"
          "  --top-k K            keep the K most likely tokens (default 40; 0 = off)\n"
          "  --top-p P            nucleus sampling threshold (default 0.95; 1 = off)\n"
          "  -s, --seed S         random seed (default 1): the same seed gives the same text\n"
          "  --greedy             same as -t 0\n"
          "  --threads N          worker threads (default: all cores)\n"
          "  --no-stop            keep going past end-of-document tokens\n"
          "  -i, --interactive    read prompts line by line and complete each one\n"
          "  -v, --verbose        print model information and speed to stderr\n");
}

static int print_piece(void* user, int32_t token, const char* text, size_t len) {
  (void)user;
  (void)token;
  fwrite(text, 1, len, stdout);
  fflush(stdout);
  return 0;
}

static char* read_all(FILE* f, size_t* len) {
  size_t cap = 4096, n = 0;
  char* buf = malloc(cap);
  if (!buf) return NULL;
  for (;;) {
    if (n == cap) {
      char* bigger = realloc(buf, cap *= 2);
      if (!bigger) { free(buf); return NULL; }
      buf = bigger;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0) break;
  }
  *len = n;
  return buf;
}

static int complete(golf_session* session, const char* prompt, size_t len, const golf_sampling_params* sp, int verbose) {
  size_t generated = 0;
  fwrite(prompt, 1, len, stdout);
  golf_status st = golf_generate(session, prompt, len, sp, print_piece, NULL, &generated);
  printf("\n");
  if (st != GOLF_OK) {
    fprintf(stderr, "golf-complete: %s\n", golf_last_error());
    return 1;
  }
  if (verbose) fprintf(stderr, "[%zu tokens generated]\n", generated);
  return 0;
}

int main(int argc, char** argv) {
  const char* model_path = NULL;
  const char* prompt = NULL;
  int interactive = 0, verbose = 0;
  golf_sampling_params sp;
  golf_session_params sess;
  golf_sampling_params_init(&sp, sizeof sp);
  golf_session_params_init(&sess, sizeof sess);
  for (int i = 1; i < argc; i++) {
    const char* a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEEDS_VALUE() do { if (!v) { fprintf(stderr, "golf-complete: %s needs a value\n", a); return 2; } i++; } while (0)
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) { usage(stdout); return 0; }
    else if (!strcmp(a, "-m") || !strcmp(a, "--model")) { NEEDS_VALUE(); model_path = v; }
    else if (!strcmp(a, "-n") || !strcmp(a, "--max-tokens")) { NEEDS_VALUE(); sp.max_tokens = atoi(v); }
    else if (!strcmp(a, "-t") || !strcmp(a, "--temperature")) { NEEDS_VALUE(); sp.temperature = (float)atof(v); }
    else if (!strcmp(a, "--top-k")) { NEEDS_VALUE(); sp.top_k = atoi(v); }
    else if (!strcmp(a, "--top-p")) { NEEDS_VALUE(); sp.top_p = (float)atof(v); }
    else if (!strcmp(a, "-s") || !strcmp(a, "--seed")) { NEEDS_VALUE(); sp.seed = strtoull(v, NULL, 10); }
    else if (!strcmp(a, "--threads")) { NEEDS_VALUE(); sess.n_threads = atoi(v); }
    else if (!strcmp(a, "--greedy")) sp.temperature = 0;
    else if (!strcmp(a, "--no-stop")) sp.stop_at_eos = 0;
    else if (!strcmp(a, "-i") || !strcmp(a, "--interactive")) interactive = 1;
    else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) verbose = 1;
    else if (a[0] == '-' && strcmp(a, "-") != 0) { fprintf(stderr, "golf-complete: unknown option %s\n", a); usage(stderr); return 2; }
    else if (!prompt) prompt = a;
    else { fprintf(stderr, "golf-complete: give the prompt as one argument (quote it)\n"); return 2; }
#undef NEEDS_VALUE
  }
  if (!model_path) { fprintf(stderr, "golf-complete: -m MODEL.golf is required\n"); usage(stderr); return 2; }

  golf_model* model = NULL;
  if (golf_model_load_file(model_path, NULL, &model) != GOLF_OK) {
    fprintf(stderr, "golf-complete: %s\n", golf_last_error());
    return 1;
  }
  golf_session* session = NULL;
  if (golf_session_new(model, &sess, &session) != GOLF_OK) {
    fprintf(stderr, "golf-complete: %s\n", golf_last_error());
    golf_model_free(model);
    return 1;
  }
  if (verbose) {
    golf_model_info info;
    golf_model_get_info(model, &info, sizeof info);
    fprintf(stderr, "[%s: %s, %d layers x %d, vocab %d, %lld parameters, %zu bytes]\n", model_path, info.arch,
            info.num_layers, info.model_dim, info.vocab_size, (long long)info.n_params, info.file_bytes);
  }
  int rc = 0;
  if (interactive) {
    char line[65536];
    fprintf(stderr, "> ");
    while (fgets(line, sizeof line, stdin)) {
      size_t len = strlen(line);
      while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
      if (len) rc |= complete(session, line, len, &sp, verbose);
      fprintf(stderr, "> ");
    }
    fprintf(stderr, "\n");
  } else if (!prompt || !strcmp(prompt, "-")) {
    size_t len = 0;
    char* text = read_all(stdin, &len);
    if (!text) { fprintf(stderr, "golf-complete: out of memory reading standard input\n"); rc = 1; }
    else { rc = complete(session, text, len, &sp, verbose); free(text); }
  } else {
    rc = complete(session, prompt, strlen(prompt), &sp, verbose);
  }
  golf_session_free(session);
  golf_model_free(model);
  return rc;
}
