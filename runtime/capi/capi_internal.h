// capi_internal.h: what the C API's source files share: the objects behind golf.h's opaque handles, error
// reporting (golf_last_error's thread-local message, golf::Status -> golf_status, exceptions caught at the border)
// and the size-prefixed structs: reading a caller's params of any version and writing an output struct of any size.
#pragma once
#include "golf.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>

#include "aligned_buffer.h"  // defines: AlignedBuffer
#include "byte_count.h"      // defines: ByteCounter
#include "device.h"          // defines: create_session, InferenceSession
#include "generator.h"       // defines: Generator
#include "model.h"           // defines: Model
#include "sampler.h"         // defines: Sampler
#include "session.h"         // defines: Session

struct golf_model {
  golf::AlignedBuffer copy;  // the caller's bytes when loaded with copy = 1
  std::unique_ptr<golf::Model> model;
  std::unique_ptr<golf::ByteCounter> bytes;  // for golf_score_bpb; null without a tokenizer
};

struct golf_session {
  const golf_model* owner = nullptr;
  std::unique_ptr<golf::InferenceSession> session;  // the CPU Session or a device module's
  std::unique_ptr<golf::Generator> generator;  // null without a tokenizer
  std::string step_text;                       // golf_generate_next's *text
};

struct golf_sampler {
  golf::Sampler sampler;
};

namespace golf_capi {

// Records message as this thread's last error and returns code.
golf_status fail(golf_status code, const std::string& message);
// GOLF_OK, or the status's code with its message recorded.
golf_status check(const golf::Status& st);
void clear_error();
// Clears the last error, runs body and turns exceptions (allocation failures inside the standard library) into codes.
template <class Fn>
golf_status guarded(Fn&& body) {
  try {
    clear_error();
    return body();
  } catch (const std::bad_alloc&) {
    return fail(GOLF_ERR_OUT_OF_MEMORY, "out of memory");
  } catch (const std::exception& e) {
    return fail(GOLF_ERR_INVALID_ARGUMENT, std::string("internal error: ") + e.what());
  } catch (...) {
    return fail(GOLF_ERR_INVALID_ARGUMENT, "internal error");
  }
}
// UNSUPPORTED with a message unless the model has a tokenizer.
bool need_tokenizer(const golf_model* model);

// The end of a struct's fields as of API 1.0: no caller's struct is smaller, however old.
#define GOLF_CAPI_V1_END(type, last_field) (offsetof(type, last_field) + sizeof(((type*)nullptr)->last_field))

// golf_*_params_init: defaults for the fields that fit in the caller's size, zeros beyond them.
template <class T>
void init_params(T* params, size_t size, T defaults) {
  if (params == nullptr || size < sizeof(size_t)) return;
  std::memset(static_cast<void*>(params), 0, size);
  std::memcpy(static_cast<void*>(params), &defaults, std::min(size, sizeof(T)));
  params->size = size;
}

// Reads a caller's params into *out (which holds the defaults): the fields its size covers; with NULL, nothing.
// A struct smaller than API 1.0's was not made by golf_*_params_init; a larger one (a newer header) is accepted
// only while the fields this library does not know are zero (their defaults).
template <class T>
golf_status read_params(const T* in, size_t v1_end, const char* fn, const char* init_fn, T* out) {
  if (in == nullptr) return GOLF_OK;
  if (in->size < v1_end)
    return fail(GOLF_ERR_INVALID_ARGUMENT, std::string(fn) + ": params->size is " + std::to_string(in->size) +
                                               "; fill the params with " + init_fn + "(&params, sizeof params)");
  const size_t known = std::min(in->size, sizeof(T));
  std::memcpy(static_cast<void*>(out), in, known);
  out->size = sizeof(T);
  const unsigned char* extra = reinterpret_cast<const unsigned char*>(in) + known;
  for (size_t i = 0; i < in->size - known; i++)
    if (extra[i] != 0)
      return fail(GOLF_ERR_UNSUPPORTED, std::string(fn) + ": the params set a field this libgolf (API " +
                                            std::to_string(GOLF_API_VERSION) + ") does not know, at byte " +
                                            std::to_string(known + i) + "; use a newer libgolf");
  return GOLF_OK;
}

// Writes an output struct into the caller's, whose size is out_size: the fields both know; zeros beyond ours.
template <class T>
golf_status write_out(T full, size_t v1_end, const char* fn, T* out, size_t out_size) {
  if (out == nullptr || out_size < v1_end)
    return fail(GOLF_ERR_INVALID_ARGUMENT, std::string(fn) + ": the output is NULL or out_size (" +
                                               std::to_string(out_size) + ") is too small; pass sizeof *out");
  const size_t n = std::min(out_size, sizeof(T));
  full.size = n;
  std::memset(static_cast<void*>(out), 0, out_size);
  std::memcpy(static_cast<void*>(out), &full, n);
  return GOLF_OK;
}

}  // namespace golf_capi
