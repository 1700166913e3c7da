/* golf_jni.c: the JNI shim behind org.golf.GolfNative: each native method calls the C API (golf.h) and turns a
 * failure into an org.golf.GolfException carrying the golf_status and golf_last_error(). Text crosses as UTF-8
 * byte arrays; handles as jlong. C99, only golf.h and jni.h: it builds for any ABI an Android app ships. */
#include <jni.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "golf.h"

#define JNI_FN(name) JNICALL Java_org_golf_GolfNative_##name

/* ---- helpers ------------------------------------------------------------------------------------------------ */

static void throw_golf(JNIEnv* env, int status, const char* message) {
  if ((*env)->ExceptionCheck(env)) return; /* one pending exception at a time: keep the first */
  jclass cls = (*env)->FindClass(env, "org/golf/GolfException");
  if (!cls) return;
  jmethodID init = (*env)->GetMethodID(env, cls, "<init>", "(ILjava/lang/String;)V");
  jstring text = (*env)->NewStringUTF(env, message); /* library messages are ASCII */
  if (!init || !text) return;
  jobject e = (*env)->NewObject(env, cls, init, (jint)status, text);
  if (e) (*env)->Throw(env, (jthrowable)e);
}

/* Throws for a failed status; returns 1 when it did. */
static int failed(JNIEnv* env, golf_status status) {
  if (status == GOLF_OK) return 0;
  throw_golf(env, (int)status, golf_last_error());
  return 1;
}

static int out_of_memory(JNIEnv* env) {
  throw_golf(env, GOLF_ERR_OUT_OF_MEMORY, "out of memory in the JNI shim");
  return 1;
}

/* The bytes of a Java byte[] (a copy owned by the caller: free it), its length in *len. */
static char* bytes_of(JNIEnv* env, jbyteArray array, size_t* len) {
  jsize n = array ? (*env)->GetArrayLength(env, array) : 0;
  char* out = malloc(n > 0 ? (size_t)n : 1);
  if (!out) return NULL;
  if (n > 0) (*env)->GetByteArrayRegion(env, array, 0, n, (jbyte*)out);
  *len = (size_t)n;
  return out;
}

static jbyteArray new_bytes(JNIEnv* env, const char* data, size_t len) {
  jbyteArray out = (*env)->NewByteArray(env, (jsize)len);
  if (out && len) (*env)->SetByteArrayRegion(env, out, 0, (jsize)len, (const jbyte*)data);
  return out;
}

/* The ids of a Java int[] (a copy to free), its length in *n. */
static int32_t* ids_of(JNIEnv* env, jintArray array, size_t* n) {
  jsize len = array ? (*env)->GetArrayLength(env, array) : 0;
  int32_t* out = malloc(sizeof(int32_t) * (len > 0 ? (size_t)len : 1));
  if (!out) return NULL;
  if (len > 0) (*env)->GetIntArrayRegion(env, array, 0, len, (jint*)out);
  *n = (size_t)len;
  return out;
}

static golf_model* model_of(jlong h) { return (golf_model*)(intptr_t)h; }
static golf_session* session_of(jlong h) { return (golf_session*)(intptr_t)h; }

/* ---- models ------------------------------------------------------------------------------------------------- */

JNIEXPORT jint JNI_FN(apiVersion)(JNIEnv* env, jclass cls) {
  (void)env, (void)cls;
  return golf_api_version();
}

JNIEXPORT jlong JNI_FN(loadBytes)(JNIEnv* env, jclass cls, jbyteArray data) {
  (void)cls;
  jsize n = data ? (*env)->GetArrayLength(env, data) : 0;
  /* Critical access: the array in place, no JVM copy (no JNI call until released; the load makes none). */
  void* bytes = data ? (*env)->GetPrimitiveArrayCritical(env, data, NULL) : NULL;
  if (!bytes) return out_of_memory(env), 0;
  golf_model* model = NULL;
  golf_status st = golf_model_load_memory(bytes, (size_t)n, 1, NULL, &model); /* copy: the array may move */
  (*env)->ReleasePrimitiveArrayCritical(env, data, bytes, JNI_ABORT);
  return failed(env, st) ? 0 : (jlong)(intptr_t)model;
}

JNIEXPORT jlong JNI_FN(loadBuffer)(JNIEnv* env, jclass cls, jobject buffer, jlong size) {
  (void)cls;
  void* bytes = (*env)->GetDirectBufferAddress(env, buffer);
  if (!bytes) return throw_golf(env, GOLF_ERR_INVALID_ARGUMENT, "loadBuffer needs a direct ByteBuffer"), 0;
  golf_model* model = NULL;
  golf_status st = golf_model_load_memory(bytes, (size_t)size, 0, NULL, &model); /* zero copy */
  return failed(env, st) ? 0 : (jlong)(intptr_t)model;
}

JNIEXPORT jlong JNI_FN(loadFile)(JNIEnv* env, jclass cls, jstring path) {
  (void)cls;
  const char* p = path ? (*env)->GetStringUTFChars(env, path, NULL) : NULL;
  if (!p) return out_of_memory(env), 0;
  golf_model* model = NULL;
  golf_status st = golf_model_load_file(p, NULL, &model);
  (*env)->ReleaseStringUTFChars(env, path, p);
  return failed(env, st) ? 0 : (jlong)(intptr_t)model;
}

JNIEXPORT void JNI_FN(freeModel)(JNIEnv* env, jclass cls, jlong model) {
  (void)env, (void)cls;
  golf_model_free(model_of(model));
}

JNIEXPORT jintArray JNI_FN(modelInfo)(JNIEnv* env, jclass cls, jlong model) {
  (void)cls;
  golf_model_info info;
  if (failed(env, golf_model_get_info(model_of(model), &info, sizeof info))) return NULL;
  const jint v[] = {info.vocab_size, info.model_dim, info.num_layers,  info.num_heads, info.num_kv_heads,
                    info.mlp_hidden, info.max_seq_len, info.bos_id, info.eos_id};
  jintArray out = (*env)->NewIntArray(env, 9);
  if (out) (*env)->SetIntArrayRegion(env, out, 0, 9, v);
  return out;
}

/* ---- tokenizer ---------------------------------------------------------------------------------------------- */

/* After a size query (capacity 0): a buffer of `bytes` bytes, or NULL with an exception thrown (the query's own
 * error, or out of memory). */
static void* buffer_after_query(JNIEnv* env, golf_status query, size_t bytes) {
  if (query != GOLF_OK && query != GOLF_ERR_BUFFER_TOO_SMALL) return failed(env, query), NULL;
  void* buf = malloc(bytes ? bytes : 1);
  if (!buf) out_of_memory(env);
  return buf;
}

JNIEXPORT jintArray JNI_FN(tokenize)(JNIEnv* env, jclass cls, jlong model, jbyteArray utf8, jboolean bos) {
  (void)cls;
  size_t len = 0, n = 0;
  char* text = bytes_of(env, utf8, &len);
  if (!text) return out_of_memory(env), NULL;
  jintArray out = NULL;
  golf_status st = golf_tokenize(model_of(model), text, len, bos, NULL, 0, &n);
  int32_t* ids = buffer_after_query(env, st, sizeof(int32_t) * n);
  if (ids && !failed(env, golf_tokenize(model_of(model), text, len, bos, ids, n, &n))) {
    out = (*env)->NewIntArray(env, (jsize)n);
    if (out) (*env)->SetIntArrayRegion(env, out, 0, (jsize)n, (const jint*)ids);
  }
  free(ids);
  free(text);
  return out;
}

JNIEXPORT jbyteArray JNI_FN(detokenize)(JNIEnv* env, jclass cls, jlong model, jintArray tokens) {
  (void)cls;
  size_t n = 0, len = 0;
  int32_t* ids = ids_of(env, tokens, &n);
  if (!ids) return out_of_memory(env), NULL;
  golf_status st = golf_detokenize(model_of(model), ids, n, NULL, 0, &len);
  char* text = buffer_after_query(env, st, len);
  jbyteArray out = NULL;
  if (text && !failed(env, golf_detokenize(model_of(model), ids, n, text, len, &len))) out = new_bytes(env, text, len);
  free(text);
  free(ids);
  return out;
}

JNIEXPORT jbyteArray JNI_FN(piece)(JNIEnv* env, jclass cls, jlong model, jint token) {
  (void)cls;
  const char* piece = NULL;
  size_t len = 0;
  if (failed(env, golf_vocab_piece(model_of(model), token, &piece, &len, NULL))) return NULL;
  return new_bytes(env, piece, len);
}

/* ---- sessions ----------------------------------------------------------------------------------------------- */

JNIEXPORT jlong JNI_FN(newSession)(JNIEnv* env, jclass cls, jlong model, jint threads, jint context) {
  (void)cls;
  golf_session_params p;
  golf_session_params_init(&p, sizeof p);
  p.n_threads = threads;
  p.n_ctx = context;
  golf_session* session = NULL;
  return failed(env, golf_session_new(model_of(model), &p, &session)) ? 0 : (jlong)(intptr_t)session;
}

JNIEXPORT void JNI_FN(freeSession)(JNIEnv* env, jclass cls, jlong session) {
  (void)env, (void)cls;
  golf_session_free(session_of(session));
}

JNIEXPORT void JNI_FN(cancel)(JNIEnv* env, jclass cls, jlong session) {
  (void)env, (void)cls;
  golf_session_cancel(session_of(session));
}

JNIEXPORT jint JNI_FN(contextLength)(JNIEnv* env, jclass cls, jlong session) {
  (void)env, (void)cls;
  return golf_session_n_ctx(session_of(session));
}

/* The generation callback: hands each token to the Java sink on this (the calling) thread. */
struct sink { JNIEnv* env; jobject sink; jmethodID on_token; };

static int to_java(void* user, int32_t token, const char* text, size_t len) {
  struct sink* s = (struct sink*)user;
  JNIEnv* env = s->env;
  jbyteArray bytes = new_bytes(env, text, len);
  if (!bytes) return 1;
  jboolean go_on = (*env)->CallBooleanMethod(env, s->sink, s->on_token, (jint)token, bytes);
  (*env)->DeleteLocalRef(env, bytes);
  return (*env)->ExceptionCheck(env) || !go_on; /* a listener's exception stops generation and propagates */
}

JNIEXPORT jint JNI_FN(generate)(JNIEnv* env, jclass cls, jlong session, jbyteArray prompt, jint max_tokens,
                                jfloat temperature, jint top_k, jfloat top_p, jlong seed, jboolean stop_at_eos,
                                jobject sink) {
  (void)cls;
  jclass sink_cls = (*env)->GetObjectClass(env, sink);
  struct sink s = {env, sink, (*env)->GetMethodID(env, sink_cls, "onToken", "(I[B)Z")};
  if (!s.on_token) return 0;
  size_t len = 0, generated = 0;
  char* text = bytes_of(env, prompt, &len);
  if (!text) return out_of_memory(env), 0;
  golf_sampling_params p;
  golf_sampling_params_init(&p, sizeof p);
  p.max_tokens = max_tokens, p.temperature = temperature, p.top_k = top_k, p.top_p = top_p;
  p.seed = (uint64_t)seed, p.stop_at_eos = stop_at_eos;
  golf_status st = golf_generate(session_of(session), text, len, &p, to_java, &s, &generated);
  free(text);
  failed(env, st);
  return (jint)generated;
}

JNIEXPORT jdoubleArray JNI_FN(generationStats)(JNIEnv* env, jclass cls, jlong session) {
  (void)cls;
  golf_generation_stats st;
  if (failed(env, golf_generation_get_stats(session_of(session), &st, sizeof st))) return NULL;
  const jdouble v[] = {st.prompt_tokens, st.prompt_dropped, st.generated,      st.context_shifts,
                       st.prompt_seconds, st.generate_seconds, (jdouble)st.stop};
  jdoubleArray out = (*env)->NewDoubleArray(env, 7);
  if (out) (*env)->SetDoubleArrayRegion(env, out, 0, 7, v);
  return out;
}

JNIEXPORT jdouble JNI_FN(bitsPerByte)(JNIEnv* env, jclass cls, jlong session, jbyteArray utf8) {
  (void)cls;
  size_t len = 0;
  char* text = bytes_of(env, utf8, &len);
  if (!text) return out_of_memory(env), 0;
  golf_bpb_result r;
  golf_status st = golf_score_bpb(session_of(session), text, len, NULL, &r, sizeof r);
  free(text);
  return failed(env, st) ? 0 : r.bits_per_byte;
}

JNIEXPORT jfloatArray JNI_FN(logits)(JNIEnv* env, jclass cls, jlong session, jintArray tokens, jint vocab) {
  (void)cls;
  golf_session* s = session_of(session);
  size_t n = 0;
  int32_t* ids = ids_of(env, tokens, &n);
  float* logits = ids ? malloc(sizeof(float) * (n ? n : 1) * (size_t)vocab) : NULL;
  jfloatArray out = NULL;
  if (!logits) {
    out_of_memory(env);
  } else {
    golf_session_reset(s);
    if (!failed(env, golf_decode(s, ids, n, logits, 1))) {
      out = (*env)->NewFloatArray(env, (jsize)(n * (size_t)vocab));
      if (out) (*env)->SetFloatArrayRegion(env, out, 0, (jsize)(n * (size_t)vocab), logits);
    }
  }
  free(logits);
  free(ids);
  return out;
}
