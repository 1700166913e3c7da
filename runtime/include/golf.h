/* golf.h: the C API of libgolf. Load a .golf model (from a path, memory-mapped, or from a caller's buffer), read its
 * vocabulary, tokenize and detokenize, run it (logits for a batch of tokens, with a KV cache), generate text (in one
 * call with a streaming callback, or step by step) with cancellation from another thread, and score bits per byte.
 *
 * Conventions
 * - Errors: every function that can fail returns a golf_status; golf_last_error() gives the message of the last
 *   failure on the calling thread. Nothing in the library exits or aborts, whatever the input.
 * - Types: sizes are size_t, token ids int32_t, text is UTF-8 with an explicit length (no NUL needed). C99.
 * - Ownership: the caller owns what it passes in; objects made by golf_*_new / golf_model_load_* are freed by the
 *   matching golf_*_free (NULL is accepted and ignored). A model must outlive every session made from it. Pointers
 *   the library returns (names, pieces, text) stay valid for as long as the text beside each says.
 * - Thread safety, marked on each function:
 *     [any thread]   may be called from any number of threads at once;
 *     [session]      calls on one session must not overlap (use it from one thread at a time); different sessions,
 *                    even of the same model, run in parallel;
 *     [sampler]      likewise for one sampler.
 *
 * ABI: this header and libgolf.so.GOLF_API_VERSION_MAJOR stay compatible for every GOLF_API_VERSION_MINOR: functions
 * and enum values are only added, and struct fields only appended. Every struct starts with its size: a params
 * struct is filled by its golf_*_params_init (which records the size the caller was compiled with); an output
 * struct's size is passed beside it. So a program built against an older header keeps working with a newer library
 * (fields it does not know take their defaults), and one built against a newer header works with an older library
 * as long as it leaves the fields that library lacks at their defaults (it refuses anything else with
 * GOLF_ERR_UNSUPPORTED). Fields added later default to 0. */
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

#define GOLF_API_VERSION_MAJOR 1 /* the shared library's soversion: libgolf.so.1; changes only on a break */
#define GOLF_API_VERSION_MINOR 1 /* grows when functions, enum values or struct fields are added */
#define GOLF_API_VERSION (GOLF_API_VERSION_MAJOR * 1000 + GOLF_API_VERSION_MINOR)

/* GOLF_API_VERSION of the library running (not of the header compiled against). A program built with this header
 * runs on any library with golf_api_version() / 1000 == GOLF_API_VERSION_MAJOR and golf_api_version() >=
 * GOLF_API_VERSION; it may check that at start. [any thread] */
GOLF_API int golf_api_version(void);

typedef enum golf_status {
  GOLF_OK = 0,
  GOLF_ERR_IO = 1,                /* the OS refused: open, read, mmap */
  GOLF_ERR_BAD_FORMAT = 2,        /* the file does not follow format/SPEC.md */
  GOLF_ERR_CHECKSUM = 3,          /* the file is damaged */
  GOLF_ERR_UNSUPPORTED = 4,       /* valid, but needs a newer libgolf */
  GOLF_ERR_INVALID_ARGUMENT = 5,  /* a null pointer, a token id out of range, a bad parameter */
  GOLF_ERR_OUT_OF_MEMORY = 6,
  GOLF_ERR_BUFFER_TOO_SMALL = 7,  /* the output did not fit: the size needed is reported */
  GOLF_ERR_CONTEXT_FULL = 8,      /* golf_decode: the session's context (n_ctx tokens) is used up: reset it */
  GOLF_ERR_CANCELLED = 9          /* golf_session_cancel stopped the call */
} golf_status;

/* The message of the last failure on this thread ("" after a success); valid until the next golf_ call on this
 * thread. [any thread] */
GOLF_API const char* golf_last_error(void);
/* A short name of status ("checksum mismatch"); a static string. [any thread] */
GOLF_API const char* golf_status_name(golf_status status);

typedef struct golf_model golf_model;
typedef struct golf_session golf_session;
typedef struct golf_sampler golf_sampler;

/* ---- models ---------------------------------------------------------------------------------------------- */

typedef enum golf_compute {
  GOLF_COMPUTE_AUTO = 0,      /* int8/int4 kernels for quantized weights, fp32 for float weights */
  GOLF_COMPUTE_F32 = 1,       /* dequantize everything to fp32 at load: the reference path */
  GOLF_COMPUTE_QUANTIZED = 2  /* as AUTO */
} golf_compute;

typedef struct golf_model_params {
  size_t size;          /* set by golf_model_params_init */
  golf_compute compute; /* default GOLF_COMPUTE_AUTO */
  int verify_checksums; /* 1 (default): verify the file checksum at load (about 1 ms per 16 MB); 0: skip */
} golf_model_params;

/* Fills *params with the defaults; size is sizeof *params. [any thread] */
GOLF_API void golf_model_params_init(golf_model_params* params, size_t size);

/* Maps the file read-only; raw tensors are used in place. params may be NULL (defaults). On failure *out is NULL.
 * [any thread] */
GOLF_API golf_status golf_model_load_file(const char* path, const golf_model_params* params, golf_model** out);
/* Loads from a buffer, e.g. app assets or a WebAssembly heap. copy = 0: the buffer must stay valid and unchanged
 * until golf_model_free (zero copy; 64-byte alignment lets raw tensors be used in place). copy = 1: the library
 * keeps its own aligned copy and the caller may free the buffer on return. [any thread] */
GOLF_API golf_status golf_model_load_memory(const void* data, size_t size, int copy, const golf_model_params* params,
                                            golf_model** out);
/* Frees the model. Every session made from it must be freed first. [any thread, once no call uses the model] */
GOLF_API void golf_model_free(golf_model* model);

typedef struct golf_model_info {
  size_t size;            /* the size the library filled (the smaller of its own and the caller's) */
  const char* arch;       /* "golf-gpt"; valid while the model lives */
  int vocab_size;
  int model_dim;
  int num_layers;
  int num_heads;
  int num_kv_heads;
  int mlp_hidden;
  int max_seq_len;        /* the context the model was trained with: a session's default n_ctx */
  int bos_id;
  int eos_id;             /* -1 if none */
  int has_tokenizer;
  int64_t n_params;
  size_t file_bytes;
} golf_model_info;

/* Fills *out; out_size is sizeof *out. [any thread] */
GOLF_API golf_status golf_model_get_info(const golf_model* model, golf_model_info* out, size_t out_size);

/* ---- vocabulary and tokenizer ----------------------------------------------------------------------------- */

/* SentencePiece's piece types. */
typedef enum golf_token_kind {
  GOLF_TOKEN_NORMAL = 1,
  GOLF_TOKEN_UNKNOWN = 2,
  GOLF_TOKEN_CONTROL = 3,      /* BOS, EOS, padding: no text */
  GOLF_TOKEN_USER_DEFINED = 4,
  GOLF_TOKEN_UNUSED = 5,
  GOLF_TOKEN_BYTE = 6          /* one raw byte, "<0x41>", used where no piece spells the text */
} golf_token_kind;

/* The vocabulary entry of token as stored: UTF-8, spaces as U+2581 "▁", byte tokens as "<0xNN>". *piece (not
 * NUL-terminated) stays valid while the model lives; kind may be NULL. INVALID_ARGUMENT for an id outside
 * [0, vocab_size). [any thread] */
GOLF_API golf_status golf_vocab_piece(const golf_model* model, int32_t token, const char** piece, size_t* len,
                                      golf_token_kind* kind);
/* The bytes token stands for in the middle of decoded text: the piece with "▁" as a space, a byte token's one raw
 * byte (maybe part of a UTF-8 character), nothing for a control token. *len gets the count; BUFFER_TOO_SMALL when it
 * exceeds capacity (text may be NULL to query). For whole characters as text streams, use generation. [any thread] */
GOLF_API golf_status golf_token_text(const golf_model* model, int32_t token, char* text, size_t capacity, size_t* len);

/* Encodes UTF-8 text (any bytes accepted) into ids, with BOS first when add_bos. *n_tokens gets the count; when it
 * exceeds capacity nothing is written and GOLF_ERR_BUFFER_TOO_SMALL is returned (tokens may be NULL to query).
 * [any thread] */
GOLF_API golf_status golf_tokenize(const golf_model* model, const char* text, size_t len, int add_bos, int32_t* tokens,
                                   size_t capacity, size_t* n_tokens);
/* Decodes ids to UTF-8 text (not NUL-terminated; *len gets the byte count; GOLF_ERR_BUFFER_TOO_SMALL as above).
 * [any thread] */
GOLF_API golf_status golf_detokenize(const golf_model* model, const int32_t* tokens, size_t n, char* text,
                                     size_t capacity, size_t* len);

/* ---- sessions: run the model ----------------------------------------------------------------------------- */

typedef struct golf_session_params {
  size_t size;   /* set by golf_session_params_init */
  int n_threads; /* worker threads, at most 1024; 0 (default): all hardware threads */
  int n_ctx;     /* context length in tokens; 0 (default): the model's max_seq_len */
  int n_batch;   /* tokens per forward pass while reading a prompt; 0 (default): 256 */
  /* Added in API 1.1 (an older libgolf refuses a session whose params set them, with GOLF_ERR_UNSUPPORTED): */
  const char* device; /* where the session runs: NULL or "cpu" (default), "cuda" (= "cuda:0"), "cuda:N". The CUDA
                         module (libgolf-cuda.so) is loaded on first use only. A library built without CUDA, a
                         missing module or a machine without a GPU: GOLF_ERR_UNSUPPORTED, and golf_last_error()
                         says which ("built without CUDA", "no CUDA device", "cannot load the CUDA module") */
  int gpu_bf16;       /* device sessions: 0 (default) fp32 matrix products and attention, the reference; 1: bf16
                         activations on tensor cores (fp32 accumulation), faster and less exact (the GPU
                         self-test bounds its NLL at 1e-2 relative to fp32) */
  /* Later fields are appended here; a caller that does not set them gets the default. */
} golf_session_params;

/* Fills *params with the defaults; size is sizeof *params. [any thread] */
GOLF_API void golf_session_params_init(golf_session_params* params, size_t size);
/* A session: the KV cache, scratch memory and worker threads for running model, all allocated here (nothing is
 * allocated while decoding). params may be NULL (defaults). [any thread] */
GOLF_API golf_status golf_session_new(const golf_model* model, const golf_session_params* params, golf_session** out);
/* Frees the session; no call may be running on it. [session] */
GOLF_API void golf_session_free(golf_session* session);
/* Forgets the context (the KV cache) and any generation in progress. [session] */
GOLF_API void golf_session_reset(golf_session* session);
/* Tokens in the context. [session] */
GOLF_API int golf_session_n_past(const golf_session* session);
/* Positions the context holds (n_ctx). [any thread] */
GOLF_API int golf_session_n_ctx(const golf_session* session);
/* Asks the call running on session (golf_decode, golf_generate, golf_generate_begin/next, golf_score_bpb) to stop:
 * it returns GOLF_ERR_CANCELLED within one forward pass (one token while generating; at most n_batch tokens while
 * reading a prompt). A step-by-step generation stays cancelled: its next golf_generate_next returns
 * GOLF_ERR_CANCELLED. Calls that start new work (golf_decode, golf_generate, golf_generate_begin, golf_score_bpb,
 * golf_session_reset) clear the request, so a cancel that arrives when nothing runs is forgotten. The one session
 * function that may overlap other calls on the same session. [any thread, while the session lives] */
GOLF_API void golf_session_cancel(golf_session* session);

/* Appends n tokens to the context and computes logits: [n][vocab_size] floats when all_logits, else [vocab_size] for
 * the last token. logits may be NULL. On error (CONTEXT_FULL, INVALID_ARGUMENT, CANCELLED) the context is unchanged.
 * Ends any generation in progress. [session] */
GOLF_API golf_status golf_decode(golf_session* session, const int32_t* tokens, size_t n, float* logits, int all_logits);

/* ---- sampling --------------------------------------------------------------------------------------------- */

typedef struct golf_sampling_params {
  size_t size;       /* set by golf_sampling_params_init */
  float temperature; /* default 0.8; 0: greedy (argmax) */
  int top_k;         /* default 40; 0: off */
  float top_p;       /* default 0.95; 1: off */
  uint64_t seed;     /* default 1; same seed, same model, same prompt: same text */
  int max_tokens;    /* default 128: tokens to generate at most (generation only) */
  int stop_at_eos;   /* default 1: stop when the model emits EOS or BOS, which starts a new document (generation) */
} golf_sampling_params;

/* Fills *params with the defaults; size is sizeof *params. [any thread] */
GOLF_API void golf_sampling_params_init(golf_sampling_params* params, size_t size);

/* A sampler for driving generation yourself with golf_decode: temperature, then top-k, softmax, top-p, and a draw
 * from a generator seeded by params->seed (max_tokens and stop_at_eos are not used). params may be NULL. [any thread]*/
GOLF_API golf_status golf_sampler_new(const golf_sampling_params* params, golf_sampler** out);
/* Picks a token from logits [n_vocab] (as golf_decode writes them). [sampler] */
GOLF_API golf_status golf_sampler_sample(golf_sampler* sampler, const float* logits, size_t n_vocab, int32_t* token);
/* [sampler] */
GOLF_API void golf_sampler_free(golf_sampler* sampler);

/* ---- generation ------------------------------------------------------------------------------------------- */

/* The context: when it fills up during generation it slides: the oldest tokens are dropped and BOS with the most
 * recent n_ctx / 2 tokens are read again, so generation goes on for max_tokens; a prompt that does not fit keeps its
 * last n_ctx / 2 tokens. golf_generation_get_stats says when either happened. */

/* Receives each generated token and the text it completes (whole UTF-8 characters only: a token that ends inside a
 * multi-byte character gives len 0 and its bytes come with a later token); at the end, token -1 with any text still
 * pending. text is valid during the call. Return nonzero to stop. */
typedef int (*golf_token_callback)(void* user_data, int32_t token, const char* text, size_t len);

/* Resets the session, reads BOS + the prompt, then samples up to params->max_tokens tokens, calling callback (may
 * be NULL) for each, on the calling thread. params may be NULL (defaults). *n_generated (may be NULL) gets the number
 * generated. GOLF_ERR_CANCELLED after golf_session_cancel. [session] */
GOLF_API golf_status golf_generate(golf_session* session, const char* prompt, size_t len,
                                   const golf_sampling_params* params, golf_token_callback callback, void* user_data,
                                   size_t* n_generated);

/* Step by step (for an event loop: a UI thread, a Web Worker): golf_generate_begin resets the session and reads BOS +
 * the prompt; each golf_generate_next then makes one token. [session] */
GOLF_API golf_status golf_generate_begin(golf_session* session, const char* prompt, size_t len,
                                         const golf_sampling_params* params);
/* *token gets the next token, and *text / *len the whole characters it completes (maybe none yet); when generation
 * is over (max_tokens, EOS, cancelled), *token is -1 and *text the characters still pending (maybe none), and every
 * later call gives the same. *text is not NUL-terminated and stays valid until the next call on the session.
 * INVALID_ARGUMENT when no generation was begun. [session] */
GOLF_API golf_status golf_generate_next(golf_session* session, int32_t* token, const char** text, size_t* len);

typedef enum golf_stop_reason {
  GOLF_STOP_NONE = 0,        /* still running (or never started) */
  GOLF_STOP_MAX_TOKENS = 1,  /* max_tokens were generated */
  GOLF_STOP_END_OF_TEXT = 2, /* the model emitted EOS or BOS (stop_at_eos) */
  GOLF_STOP_CALLBACK = 3,    /* golf_generate's callback returned nonzero */
  GOLF_STOP_CANCELLED = 4,   /* golf_session_cancel */
  GOLF_STOP_ERROR = 5        /* a step failed */
} golf_stop_reason;

typedef struct golf_generation_stats {
  size_t size;               /* the size the library filled (the smaller of its own and the caller's) */
  int prompt_tokens;         /* the prompt's tokens, BOS not counted */
  int prompt_dropped;        /* of them, from the start, those the context could not hold (not read) */
  int generated;             /* tokens generated */
  int context_shifts;        /* times the context filled up during generation and slid */
  double prompt_seconds;     /* reading BOS + the prompt */
  double generate_seconds;   /* the generation steps (forward passes, context shifts, sampling; not the callback) */
  golf_stop_reason stop;
} golf_generation_stats;

/* Statistics of the session's last generation (golf_generate or golf_generate_begin/next); out_size is sizeof *out.
 * [session] */
GOLF_API golf_status golf_generation_get_stats(const golf_session* session, golf_generation_stats* out,
                                               size_t out_size);

/* ---- bits per byte --------------------------------------------------------------------------------------- */

typedef struct golf_bpb_params {
  size_t size;      /* set by golf_bpb_params_init */
  int window;       /* tokens per forward pass; 0 (default): the model's max_seq_len */
  int stride;       /* 0 (default): non-overlapping windows; S: sliding windows, each target scored once with
                       >= window-S context */
  int doc_isolated; /* 1: context never crosses a document boundary (BOS); default 0 */
} golf_bpb_params;

typedef struct golf_bpb_result {
  size_t size;            /* the size the library filled (the smaller of its own and the caller's) */
  double bits_per_byte;   /* total_nats / (ln 2 * bytes) */
  double loss;            /* mean nats per target token */
  double total_nats;
  int64_t tokens;         /* targets scored */
  int64_t bytes;          /* UTF-8 bytes of the text: the ground truth */
  int64_t bytes_challenge;/* bytes by the challenge's per-token rule (differs where normalization changes text) */
} golf_bpb_result;

/* Fills *params with the defaults; size is sizeof *params. [any thread] */
GOLF_API void golf_bpb_params_init(golf_bpb_params* params, size_t size);
/* Scores one document: BOS + its tokens; every byte of text counts. Resets the session. params may be NULL;
 * out_size is sizeof *out. [session] */
GOLF_API golf_status golf_score_bpb(golf_session* session, const char* text, size_t len, const golf_bpb_params* params,
                                    golf_bpb_result* out, size_t out_size);

#ifdef __cplusplus
}
#endif

#endif /* GOLF_H */
