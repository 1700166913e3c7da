// inference_session.h: golf::InferenceSession, the one interface every backend's session implements (the CPU
// Session of session.h; the CUDA session of runtime/cuda, loaded on demand by device.h). Generation, scoring and the
// C API see only this. Every virtual function is defined here (no key function), so a separately loaded backend
// module needs nothing of libgolf's object code to derive from it.
#pragma once
#include <atomic>
#include <cstdint>
#include <string>

#include "status.h"

namespace golf {

class Model;

class InferenceSession {
 public:
  virtual ~InferenceSession() = default;
  InferenceSession() = default;
  InferenceSession(const InferenceSession&) = delete;
  InferenceSession& operator=(const InferenceSession&) = delete;

  virtual const Model& model() const = 0;
  // The device it runs on: "cpu", "cuda:0", ...
  virtual std::string device() const { return "cpu"; }
  // Forgets every position (the cache is reused from position 0).
  virtual void reset() = 0;
  virtual int n_past() const = 0;
  virtual int n_ctx() const = 0;
  virtual int n_batch() const = 0;
  // Appends tokens [n] at positions n_past() .. and writes logits (after the softcap): [n][vocab] when all_logits,
  // else [vocab] of the last token; logits may be null. Changes nothing on error (see Session::decode).
  virtual Status decode(const int32_t* tokens, int n, float* logits, bool all_logits) = 0;

  // Scoring: logits [B·T][vocab] of B independent sequences of T tokens, each at positions 0..T-1; the context is
  // reset before and after. B·T <= max_sequence_tokens(). This default reads them one after another through
  // decode(); a device backend runs many sequences in one forward pass.
  virtual Status forward_sequences(const int32_t* ids, int B, int T, float* logits, int vocab) {
    for (int b = 0; b < B; b++) {
      reset();
      Status st = decode(ids + (size_t)b * T, T, logits + (size_t)b * T * vocab, true);
      if (!st.ok()) {
        reset();
        return st;
      }
    }
    reset();
    return Status::Ok();
  }
  // Scoring on the device: nll (B·T) = −ln softmax(logits of row i)[targets[i]] in double, for the rows whose
  // target is >= 0 (0 for the others), computed where the logits are, so they never travel to the host. Only a
  // session with has_device_nll() implements it; the scorer computes the NLL itself from forward_sequences otherwise.
  virtual bool has_device_nll() const { return false; }
  virtual Status forward_nll(const int32_t* /*ids*/, const int32_t* /*targets*/, int /*B*/, int /*T*/,
                             double* /*nll*/) {
    return Status(StatusCode::unsupported, "forward_nll: this session computes logits only");
  }
  // B·T one forward_sequences call takes at most.
  virtual int max_sequence_tokens() const { return n_ctx(); }
  // Device memory the session has used at most (weights, cache, scratch); 0 on the CPU.
  virtual int64_t device_peak_bytes() const { return 0; }

  // Cancellation: the one call that may come from another thread while the session runs. decode() checks the
  // request before each forward pass; the request stays until clear_cancel(), which whoever starts new work calls.
  void request_cancel() { cancel_.store(true, std::memory_order_relaxed); }
  void clear_cancel() { cancel_.store(false, std::memory_order_relaxed); }
  bool cancel_requested() const { return cancel_.load(std::memory_order_relaxed); }

 private:
  std::atomic<bool> cancel_{false};
};

}  // namespace golf
