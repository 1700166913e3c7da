/* test_capi_device.c: the device choice of golf_session_params (API 1.1) from C against the shared libgolf: "cpu"
 * and NULL run on the CPU exactly as an API 1.0 caller's params (the struct's old size) do; a malformed device is
 * INVALID_ARGUMENT; "cuda" is either a working session (a machine with a GPU and the module) or UNSUPPORTED with a
 * message saying why: "built without CUDA", "no CUDA device" or "cannot load the CUDA module". argv[2] names the
 * answers this build may give: "built-without", "module-missing", or "cuda-built": a GPU session that scores the
 * text as the CPU does (within the int8 activations of the CPU's default path), or "no CUDA device" (CI). */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "capi_test_util.h"  /* defines: CHECK, failures */

/* Whether the process has a library whose path contains name mapped (Linux: /proc/self/maps). */
static int mapped(const char* name) {
  FILE* f = fopen("/proc/self/maps", "r");
  char line[4096];
  int found = 0;
  while (f && fgets(line, sizeof line, f)) found |= strstr(line, name) != NULL;
  if (f) fclose(f);
  return found;
}

static int score(golf_model* model, const golf_session_params* sp, double* bpb) {
  golf_session* s = NULL;
  if (golf_session_new(model, sp, &s) != GOLF_OK) return 0;
  const char* text = "The quick brown fox jumps over the lazy dog, and then it naps in the sun.";
  golf_bpb_result r;
  const int ok = golf_score_bpb(s, text, strlen(text), NULL, &r, sizeof r) == GOLF_OK;
  *bpb = r.bits_per_byte;
  golf_session_free(s);
  return ok;
}

int main(int argc, char** argv) {
  if (argc != 3) { fprintf(stderr, "usage: test_capi_device MODEL.golf EXPECT\n"); return 2; }
  const char* expect = argv[2];
  golf_model* model = NULL;
  CHECK(golf_model_load_file(argv[1], NULL, &model) == GOLF_OK);
  if (!model) return 1;
  CHECK(golf_api_version() == 1001);

  /* The defaults, "cpu" and an API 1.0 caller's struct (without device and gpu_bf16) give the same session. */
  golf_session_params sp;
  golf_session_params_init(&sp, sizeof sp);
  CHECK(sp.device == NULL && sp.gpu_bf16 == 0);
  double bpb_default = 0, bpb_cpu = -1, bpb_old = -2;
  CHECK(score(model, &sp, &bpb_default));
  sp.device = "cpu";
  CHECK(score(model, &sp, &bpb_cpu));
  golf_session_params old;
  golf_session_params_init(&old, offsetof(golf_session_params, device));
  CHECK(old.size == offsetof(golf_session_params, device));
  CHECK(score(model, &old, &bpb_old));
  CHECK(bpb_default > 0 && bpb_default == bpb_cpu && bpb_default == bpb_old);
  /* CPU sessions never load the CUDA module, nor CUDA itself. */
  CHECK(!mapped("libgolf-cuda") && !mapped("libcudart") && !mapped("libcublas"));

  /* Malformed devices. */
  const char* bad[] = {"gpu", "cuda:", "cuda:x", "cuda:-1", "CUDA", "cuda0", "cpu:0", "cuda:123456"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    golf_session* s = NULL;
    sp.device = bad[i];
    CHECK(golf_session_new(model, &sp, &s) == GOLF_ERR_INVALID_ARGUMENT);
    CHECK(s == NULL && strstr(golf_last_error(), "expected cpu, cuda or cuda:N") != NULL);
  }

  /* The GPU: the answer this build and machine must give, never a crash. */
  golf_session* s = NULL;
  sp.device = "cuda";
  const golf_status st = golf_session_new(model, &sp, &s);
  const char* why = golf_last_error();
  if (strcmp(expect, "built-without") == 0) {
    CHECK(st == GOLF_ERR_UNSUPPORTED && strstr(why, "built without CUDA") != NULL);
  } else if (strcmp(expect, "cuda-built") == 0 && st == GOLF_OK) {
    golf_session_free(s);
    s = NULL;
    double bpb_gpu = 0;
    CHECK(score(model, &sp, &bpb_gpu));
    CHECK(bpb_gpu > 0 && fabs(bpb_gpu - bpb_cpu) < 1e-2 * bpb_cpu);
    printf("GPU session: bpb %.8f (CPU %.8f)\n", bpb_gpu, bpb_cpu);
  } else if (strcmp(expect, "cuda-built") == 0) {
    CHECK(st == GOLF_ERR_UNSUPPORTED && strstr(why, "no CUDA device") != NULL);
    CHECK(mapped("libgolf-cuda"));  /* asking for the GPU is what loads the module */
    printf("no GPU here: %s\n", why);
    sp.device = "cuda:7";
    CHECK(golf_session_new(model, &sp, &s) == GOLF_ERR_UNSUPPORTED && strstr(golf_last_error(), "cuda:7") != NULL);
  } else if (strcmp(expect, "module-missing") == 0) {
    CHECK(st == GOLF_ERR_UNSUPPORTED && strstr(why, "cannot load the CUDA module") != NULL);
  } else {
    CHECK(!"unknown EXPECT argument");
  }
  CHECK((st == GOLF_OK) == (s != NULL));
  golf_session_free(s);
  golf_model_free(model);
  if (failures) fprintf(stderr, "%d failure(s)\n", failures);
  return failures ? 1 : 0;
}
