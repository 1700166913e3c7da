/* capi_test_util.h: what the C API tests share: CHECK, which counts a failure and prints the library's last error,
 * and reading a model file into memory at a chosen offset from a 64-byte boundary (0: aligned, as an app's
 * allocator may give; 1: the odd address of an asset mapped from inside an APK). */
#ifndef CAPI_TEST_UTIL_H
#define CAPI_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>

#include "golf.h"

static int failures = 0;
#define CHECK(cond)                                                                                                \
  do {                                                                                                             \
    if (!(cond)) {                                                                                                 \
      fprintf(stderr, "%s:%d: CHECK failed: %s (last error: %s)\n", __FILE__, __LINE__, #cond, golf_last_error()); \
      failures++;                                                                                                  \
    }                                                                                                              \
  } while (0)

/* The file's bytes at *data (offset bytes past a 64-byte boundary); free *block afterwards. 0 on failure. */
static inline int read_model(const char* path, size_t offset, char** block, char** data, size_t* size) {
  FILE* f = fopen(path, "rb");
  long n = -1;
  if (f && fseek(f, 0, SEEK_END) == 0) n = ftell(f);
  *block = NULL;
  if (n <= 0 || fseek(f, 0, SEEK_SET) != 0 || posix_memalign((void**)block, 64, (size_t)n + offset) != 0 ||
      fread(*block + offset, 1, (size_t)n, f) != (size_t)n) {
    if (f) fclose(f);
    free(*block);
    return 0;
  }
  fclose(f);
  *data = *block + offset;
  *size = (size_t)n;
  return 1;
}

#endif /* CAPI_TEST_UTIL_H */
