/* golf.h: the C API of libgolf. Load a .golf model (from a path, memory-mapped, or from a caller's buffer), tokenize
 * and detokenize with its built-in tokenizer, run it (logits for a batch of tokens, with a KV cache), generate text
 * with sampling and a streaming callback, and score bits per byte of a text.
 *
 * Conventions: every function that can fail returns a golf_status; golf_last_error() gives the message of the last
 * failure on the calling thread. Nothing in the library exits or aborts. A golf_model is immutable after loading
 * and may be shared by any number of threads; a golf_session (KV cache, scratch, worker threads) belongs to one
 * thread at a time. Sizes are size_t, token ids int32_t. C99-compatible. */
#ifndef GOLF_H
#define GOLF_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define GOLF_API __attribute__((visibility("default")))
#else
#define GOLF_API
#endif

#define GOLF_API_VERSION 1

typedef enum golf_status {
  GOLF_OK = 0,
  GOLF_ERR_IO = 1,                /* the OS refused: open, read, mmap */
  GOLF_ERR_BAD_FORMAT = 2,        /* the file does not follow format/SPEC.md */
  GOLF_ERR_CHECKSUM = 3,          /* the file is damaged */
  GOLF_ERR_UNSUPPORTED = 4,       /* valid, but needs a newer libgolf */
  GOLF_ERR_INVALID_ARGUMENT = 5,  /* a null pointer, a token id out of range, a bad parameter */
  GOLF_ERR_OUT_OF_MEMORY = 6,
  GOLF_ERR_BUFFER_TOO_SMALL = 7,  /* the output did not fit: the size needed is reported */
  GOLF_ERR_CONTEXT_FULL = 8       /* the session's context (n_ctx tokens) is used up: reset it */
} golf_status;

/* The message of the last failure on this thread ("" if none); valid until the next golf_ call on this thread. */
GOLF_API const char* golf_last_error(void);
GOLF_API const char* golf_status_name(golf_status status);

typedef struct golf_model golf_model;
typedef struct golf_session golf_session;

/* ---- models ---------------------------------------------------------------------------------------------- */

typedef enum golf_compute {
  GOLF_COMPUTE_AUTO = 0,      /* int8/int4 kernels for quantized weights, fp32 for float weights */
  GOLF_COMPUTE_F32 = 1,       /* dequantize everything to fp32 at load: the reference path */
  GOLF_COMPUTE_QUANTIZED = 2  /* as AUTO */
} golf_compute;

typedef struct golf_model_params {
  golf_compute compute;
  int verify_checksums; /* 1: verify the file checksum at load (about 1 ms per 16 MB); 0: skip */
} golf_model_params;

GOLF_API golf_model_params golf_model_default_params(void);

/* Maps the file read-only; raw tensors are used in place. params may be NULL (defaults). */
GOLF_API golf_status golf_model_load_file(const char* path, const golf_model_params* params, golf_model** out);
/* Loads from a buffer, e.g. app assets or a WebAssembly heap. copy = 0: the buffer must stay valid and unchanged
 * until golf_model_free (zero copy; 64-byte alignment lets raw tensors be used in place). copy = 1: the library
 * keeps its own aligned copy. */
GOLF_API golf_status golf_model_load_memory(const void* data, size_t size, int copy, const golf_model_params* params,
                                            golf_model** out);
GOLF_API void golf_model_free(golf_model* model);

typedef struct golf_model_info {
  const char* arch;       /* "golf-gpt"; valid while the model lives */
  int vocab_size;
  int model_dim;
  int num_layers;
  int num_heads;
  int num_kv_heads;
  int mlp_hidden;
  int max_seq_len;
  int bos_id;
  int eos_id;             /* -1 if none */
  int has_tokenizer;
  int64_t n_params;
  size_t file_bytes;
} golf_model_info;

GOLF_API golf_status golf_model_get_info(const golf_model* model, golf_model_info* out);

/* ---- tokenizer ------------------------------------------------------------------------------------------- */

/* Encodes UTF-8 text (any bytes accepted) into ids, with BOS first when add_bos. *n_tokens gets the count; when it
 * exceeds capacity nothing is written and GOLF_ERR_BUFFER_TOO_SMALL is returned (tokens may be NULL to query). */
GOLF_API golf_status golf_tokenize(const golf_model* model, const char* text, size_t len, int add_bos, int32_t* tokens,
                                   size_t capacity, size_t* n_tokens);
/* Decodes ids to UTF-8 text (not NUL-terminated; *len gets the byte count; GOLF_ERR_BUFFER_TOO_SMALL as above). */
GOLF_API golf_status golf_detokenize(const golf_model* model, const int32_t* tokens, size_t n, char* text,
                                     size_t capacity, size_t* len);

/* ---- sessions: run the model ----------------------------------------------------------------------------- */

typedef struct golf_session_params {
  int n_threads; /* 0: all hardware threads */
  int n_ctx;     /* context length in tokens; 0: the model's max_seq_len */
  int n_batch;   /* tokens per forward pass during prompt processing; 0: 512 */
} golf_session_params;

GOLF_API golf_session_params golf_session_default_params(void);
GOLF_API golf_status golf_session_new(const golf_model* model, const golf_session_params* params, golf_session** out);
GOLF_API void golf_session_free(golf_session* session);
/* Forgets the context (the KV cache). */
GOLF_API void golf_session_reset(golf_session* session);
/* Tokens in the context. */
GOLF_API int golf_session_n_past(const golf_session* session);

/* Appends n tokens to the context and computes logits: [n][vocab_size] floats when all_logits, else [vocab_size] for
 * the last token. logits may be NULL. */
GOLF_API golf_status golf_decode(golf_session* session, const int32_t* tokens, size_t n, float* logits, int all_logits);

/* ---- generation ------------------------------------------------------------------------------------------- */

typedef struct golf_sampling_params {
  float temperature; /* 0: greedy (argmax) */
  int top_k;         /* 0: off */
  float top_p;       /* 1: off */
  uint64_t seed;     /* same seed, same model, same prompt: same text */
  int max_tokens;    /* tokens to generate at most */
  int stop_at_eos;   /* 1: stop when the model emits EOS (or BOS, which starts a new document) */
} golf_sampling_params;

GOLF_API golf_sampling_params golf_sampling_default_params(void);

/* Receives each generated token and the text it completes (whole UTF-8 characters only: a token that ends inside a
 * multi-byte character gives len 0 and its bytes come with a later token). Return nonzero to stop. */
typedef int (*golf_token_callback)(void* user_data, int32_t token, const char* text, size_t len);

/* Resets the session, feeds BOS + the prompt, then samples up to max_tokens tokens, calling callback (may be NULL)
 * for each. *n_generated (may be NULL) gets the number generated. */
GOLF_API golf_status golf_generate(golf_session* session, const char* prompt, size_t len,
                                   const golf_sampling_params* params, golf_token_callback callback, void* user_data,
                                   size_t* n_generated);

/* ---- bits per byte --------------------------------------------------------------------------------------- */

typedef struct golf_bpb_params {
  int window;       /* tokens per forward pass; 0: the model's max_seq_len */
  int stride;       /* 0: non-overlapping windows; S: sliding windows, each target scored once with >= window-S context */
  int doc_isolated; /* 1: context never crosses a document boundary (BOS) */
} golf_bpb_params;

typedef struct golf_bpb_result {
  double bits_per_byte;   /* total_nats / (ln 2 * bytes) */
  double loss;            /* mean nats per target token */
  double total_nats;
  int64_t tokens;         /* targets scored */
  int64_t bytes;          /* UTF-8 bytes of the text: the ground truth */
  int64_t bytes_challenge;/* bytes by the challenge's per-token rule (differs where normalization changes text) */
} golf_bpb_result;

GOLF_API golf_bpb_params golf_bpb_default_params(void);
/* Scores one document: BOS + its tokens; every byte of text counts. Resets the session. */
GOLF_API golf_status golf_score_bpb(golf_session* session, const char* text, size_t len, const golf_bpb_params* params,
                                    golf_bpb_result* out);

#ifdef __cplusplus
}
#endif

#endif /* GOLF_H */
