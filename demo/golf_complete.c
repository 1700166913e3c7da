/* golf-complete: streams a text completion from a .golf model. A small C99 program on the public C API
 * (runtime/include/golf.h) only, so it doubles as the example of how an app uses libgolf. */
#define _POSIX_C_SOURCE 200809L /* getline, isatty */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args_c.h" /* the tools' shared argument parser (cli/) */
#include "golf.h"

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
  int greedy = 0, no_stop = 0;
  golf_args* args = golf_args_new("golf-complete", "-m MODEL.golf [options] [PROMPT]",
                                  "Streams a completion of PROMPT (or of standard input when PROMPT is absent or "
                                  "\"-\").");
  if (!args) { fprintf(stderr, "golf-complete: out of memory\n"); return 1; }
  golf_args_positional(args, "PROMPT", &prompt, "the text to complete (quote it: one argument)");
  golf_args_string(args, "-m,--model", &model_path, "FILE", "the .golf model");
  golf_args_required(args);
  golf_args_int(args, "-n,--max-tokens", &sp.max_tokens, 1, 1 << 30, "N", "tokens to generate (default 128)");
  golf_args_float(args, "-t,--temperature", &sp.temperature, 0, 100, "T",
                  "sampling temperature (default 0.8; 0 = greedy)");
  golf_args_int(args, "--top-k", &sp.top_k, 0, 1 << 30, "K", "keep the K most likely tokens (default 40; 0 = off)");
  golf_args_float(args, "--top-p", &sp.top_p, 0, 1, "P", "nucleus sampling threshold (default 0.95; 1 = off)");
  golf_args_uint64(args, "-s,--seed", &sp.seed, "S", "random seed (default 1): the same seed gives the same text");
  golf_args_flag(args, "--greedy", &greedy, "same as -t 0");
  golf_args_int(args, "--threads", &sess.n_threads, 0, GOLF_ARGS_MAX_THREADS, "N",
                "worker threads (default 0: all cores)");
  golf_args_device(args, "--device", &sess.device, "DEV",
                   "where to run: cpu (default), cuda (= cuda:0) or cuda:N (loads libgolf-cuda.so)");
  golf_args_flag(args, "--bf16", &sess.gpu_bf16, "GPU: bf16 tensor-core matrix products (default fp32)");
  golf_args_flag(args, "--no-stop", &no_stop, "keep going past end-of-document tokens");
  golf_args_flag(args, "-i,--interactive", &interactive, "read prompts line by line and complete each one");
  golf_args_flag(args, "-v,--verbose", &verbose, "print model information and speed to stderr");
  const int parsed = golf_args_parse(args, argc, argv);
  if (parsed >= 0) {
    golf_args_free(args);
    return parsed;
  }
  if (greedy) sp.temperature = 0;
  if (no_stop) sp.stop_at_eos = 0;

  golf_model* model = NULL;
  if (golf_model_load_file(model_path, NULL, &model) != GOLF_OK) {
    fprintf(stderr, "golf-complete: %s\n", golf_last_error());
    golf_args_free(args);
    return 1;
  }
  golf_session* session = NULL;
  if (golf_session_new(model, &sess, &session) != GOLF_OK) {
    fprintf(stderr, "golf-complete: %s\n", golf_last_error());
    golf_model_free(model);
    golf_args_free(args);
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
  golf_args_free(args);
  return rc;
}
