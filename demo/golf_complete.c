/* golf-complete: streams a text completion from a .golf model. A small C99 program on the public C API
 * (runtime/include/golf.h) only, so it doubles as the example of how an app uses libgolf. */
#define _POSIX_C_SOURCE 200809L /* getline, isatty */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

static int fail(void) {
  fprintf(stderr, "golf-complete: %s\n", golf_last_error());
  return 1;
}

/* Writes the text of the prompt's last `kept` tokens: what the model reads when the prompt does not fit. */
static int echo_prompt_end(const golf_model* model, const char* prompt, size_t len, int kept) {
  size_t n = 0, text_len = 0;
  golf_tokenize(model, prompt, len, 0, NULL, 0, &n);
  int32_t* ids = malloc(sizeof(int32_t) * (n ? n : 1));
  char* text = NULL;
  int rc = 1;
  if (ids && golf_tokenize(model, prompt, len, 0, ids, n, &n) == GOLF_OK && (size_t)kept <= n) {
    golf_detokenize(model, ids + (n - (size_t)kept), (size_t)kept, NULL, 0, &text_len);
    text = malloc(text_len ? text_len : 1);
    if (text && golf_detokenize(model, ids + (n - (size_t)kept), (size_t)kept, text, text_len, &text_len) == GOLF_OK) {
      fwrite(text, 1, text_len, stdout);
      rc = 0;
    }
  }
  free(text);
  free(ids);
  return rc;
}

/* Completes one prompt: reads it (a prompt longer than the context keeps its end, with a notice), echoes what the
 * model reads when echo is set (only after the model has accepted it), streams the completion, then says whether
 * the context had to slide and, with verbose, how fast each part ran. */
static int complete(const golf_model* model, golf_session* session, const char* prompt, size_t len,
                    const golf_sampling_params* sp, int echo, int verbose) {
  if (golf_generate_begin(session, prompt, len, sp) != GOLF_OK) return fail();
  const int n_ctx = golf_session_n_ctx(session);
  golf_generation_stats st;
  golf_generation_get_stats(session, &st, sizeof st);
  if (st.prompt_dropped > 0) {
    const int kept = st.prompt_tokens - st.prompt_dropped;
    fprintf(stderr, "golf-complete: the prompt is %d tokens and the model's context holds %d: it reads only the "
            "last %d%s\n", st.prompt_tokens, n_ctx, kept, echo ? " (shown below)" : "");
    if (echo && echo_prompt_end(model, prompt, len, kept) != 0) return fail();
  } else if (echo) {
    fwrite(prompt, 1, len, stdout);
  }
  fflush(stdout);
  int32_t token = 0;
  int rc = 0;
  do {
    const char* text = NULL;
    size_t text_len = 0;
    if (golf_generate_next(session, &token, &text, &text_len) != GOLF_OK) { rc = fail(); break; }
    fwrite(text, 1, text_len, stdout);
    fflush(stdout);
  } while (token >= 0);
  printf("\n");
  fflush(stdout);
  golf_generation_get_stats(session, &st, sizeof st);
  if (st.context_shifts > 0)
    fprintf(stderr, "golf-complete: the context (%d tokens) filled up %d time%s; each time the oldest tokens were "
            "dropped and generation went on from the last %d\n", n_ctx, st.context_shifts,
            st.context_shifts == 1 ? "" : "s", n_ctx / 2);
  if (verbose) {
    const int read = st.prompt_tokens - st.prompt_dropped + 1; /* BOS + the prompt's tokens in the context */
    const double p_s = st.prompt_seconds > 0 ? st.prompt_seconds : 1e-9;
    const double g_s = st.generate_seconds > 0 ? st.generate_seconds : 1e-9;
    fprintf(stderr, "[prompt: %d tokens (BOS included) in %.1f ms, %.0f tokens/s; generated %d tokens in %.1f ms, "
            "%.1f tokens/s]\n", read, st.prompt_seconds * 1e3, read / p_s, st.generated, st.generate_seconds * 1e3,
            st.generated / g_s);
  }
  return rc;
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
    /* Lines of any length, each one prompt; echoed unless the terminal shows what the user typed already. */
    const int echo = !isatty(STDIN_FILENO);
    char* line = NULL;
    size_t cap = 0;
    ssize_t got;
    fprintf(stderr, "> ");
    while ((got = getline(&line, &cap, stdin)) >= 0) {
      size_t len = (size_t)got;
      while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
      if (len) rc |= complete(model, session, line, len, &sp, echo, verbose);
      fprintf(stderr, "> ");
    }
    free(line);
    fprintf(stderr, "\n");
  } else if (!prompt || !strcmp(prompt, "-")) {
    size_t len = 0;
    char* text = read_all(stdin, &len);
    if (!text) { fprintf(stderr, "golf-complete: out of memory reading standard input\n"); rc = 1; }
    else { rc = complete(model, session, text, len, &sp, 1, verbose); free(text); }
  } else {
    rc = complete(model, session, prompt, strlen(prompt), &sp, 1, verbose);
  }
  golf_session_free(session);
  golf_model_free(model);
  return rc;
}
