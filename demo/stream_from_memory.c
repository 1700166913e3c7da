/* stream_from_memory.c: the smallest app on libgolf. Reads a .golf file into memory (as an app reads its assets),
 * loads the model from that buffer and streams a greedy completion of a prompt to stdout. Build it against an
 * installed libgolf:  cc stream_from_memory.c $(pkg-config --cflags --libs golf) -o stream_from_memory */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <golf.h>

static int print_text(void* user_data, int32_t token, const char* text, size_t len) {
  (void)user_data, (void)token;
  fwrite(text, 1, len, stdout); /* whole UTF-8 characters as they complete */
  fflush(stdout);
  return 0; /* nonzero would stop */
}

int main(int argc, char** argv) {
  if (argc != 4) { fprintf(stderr, "usage: %s MODEL.golf PROMPT N_TOKENS\n", argv[0]); return 2; }
  if (golf_api_version() / 1000 != GOLF_API_VERSION_MAJOR || golf_api_version() < GOLF_API_VERSION) {
    fprintf(stderr, "libgolf API %d cannot serve this program (built for %d)\n", golf_api_version(), GOLF_API_VERSION);
    return 1;
  }
  FILE* f = fopen(argv[1], "rb");
  long size = -1;
  if (f && fseek(f, 0, SEEK_END) == 0) size = ftell(f);
  char* bytes = size > 0 ? malloc((size_t)size) : NULL;
  if (!bytes || fseek(f, 0, SEEK_SET) != 0 || fread(bytes, 1, (size_t)size, f) != (size_t)size) {
    fprintf(stderr, "cannot read %s\n", argv[1]);
    return 1;
  }
  fclose(f);

  golf_model* model = NULL;
  golf_session* session = NULL;
  golf_status st = golf_model_load_memory(bytes, (size_t)size, 1, NULL, &model); /* copy = 1: keeps its own copy */
  free(bytes);
  if (st == GOLF_OK) st = golf_session_new(model, NULL, &session); /* NULL: default params */
  if (st == GOLF_OK) {
    golf_sampling_params params;
    golf_sampling_params_init(&params, sizeof params);
    params.temperature = 0; /* greedy */
    params.max_tokens = atoi(argv[3]);
    fputs(argv[2], stdout);
    st = golf_generate(session, argv[2], strlen(argv[2]), &params, print_text, NULL, NULL);
    putchar('\n');
  }
  if (st != GOLF_OK) fprintf(stderr, "error: %s (%s)\n", golf_last_error(), golf_status_name(st));
  golf_session_free(session);
  golf_model_free(model);
  return st == GOLF_OK ? 0 : 1;
}
