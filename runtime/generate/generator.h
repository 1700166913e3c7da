// generator.h: golf::Generator, text generation on a session of any backend: read BOS + a prompt, then sample one token at a time,
// streaming each token's text in whole UTF-8 characters. Driven step by step (begin, next) or in one loop (run).
// When the context is full it slides: the oldest tokens are dropped, BOS and the most recent n_ctx / 2 tokens are
// read again from position 0, and generation goes on; a prompt longer than the context keeps its end the same way.
// stats() says when either happened, how long each part took and why generation stopped.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "piece_text.h"  // defines: PieceTextStream
#include "sampler.h"     // defines: Sampler, SamplerParams
#include "session.h"     // defines: Session (the CPU backend), InferenceSession
#include "status.h"      // defines: Status
#include "tokenizer.h"   // defines: Tokenizer

namespace golf {

struct GenerateOptions {
  SamplerParams sampling;
  int max_tokens = 128;     // tokens to generate at most
  bool stop_at_eos = true;  // stop at EOS, or at BOS (the start of a new document)
};

enum class StopReason {
  running = 0,      // not over yet (or never started)
  max_tokens = 1,   // max_tokens were generated
  end_of_text = 2,  // the model emitted EOS or BOS (stop_at_eos)
  callback = 3,     // run()'s callback asked to stop
  cancelled = 4,    // InferenceSession::request_cancel
  error = 5,        // a step failed; its Status said why
};

struct GenerateStats {
  int prompt_tokens = 0;    // the prompt's tokens, BOS not counted
  int prompt_dropped = 0;   // of them, from the start, those the context could not hold (not read)
  int generated = 0;        // tokens generated (an EOS that stopped generation not counted)
  int context_shifts = 0;   // times the context filled up during generation and slid
  double prompt_seconds = 0;    // reading BOS + the prompt
  double generate_seconds = 0;  // the generation steps: forward passes, context shifts and sampling
  StopReason stop = StopReason::running;
};

class Generator {
 public:
  // The session and tokenizer must outlive the generator; the tokenizer is the session's model's.
  Generator(InferenceSession& session, const Tokenizer& tokenizer);

  // Clears a cancel request, resets the session and reads BOS + prompt (its last n_ctx / 2 tokens when BOS + prompt
  // do not fit). invalid_argument for max_tokens < 0, a bad sampling parameter or a context under 2 positions;
  // cancelled. On error no generation is active.
  Status begin(std::string_view prompt, const GenerateOptions& options);
  // One step: reads the previous token (sliding the context if it is full), samples the next one and sets *token to
  // its id and *text to the characters it completes (maybe none yet). When generation is over *token is -1 and
  // *text the characters still pending (maybe none); later calls give the same until begin(). A cancel request ->
  // cancelled, and generation is over.
  Status next(int32_t* token, std::string* text);
  // begin(), then next() until over, calling on_token(token, text) for each token and once with token -1 for text
  // still pending at the end (only when there is some). on_token returns false to stop (StopReason::callback).
  Status run(std::string_view prompt, const GenerateOptions& options,
             const std::function<bool(int32_t token, std::string_view text)>& on_token);

  bool active() const { return active_; }
  // Forgets the generation in progress (the session is about to be used for something else).
  void end() { active_ = false; }
  const GenerateStats& stats() const { return stats_; }
  // Tokens the context keeps after a shift (BOS not counted).
  int keep_after_shift() const { return session_.n_ctx() / 2; }

 private:
  // Reads token into the context after the tokens already there, sliding it first when it is full.
  Status feed(int32_t token);
  // Resets the session and reads BOS + context_ (the tokens after BOS), logits of the last into logits_.
  Status reread_context();
  Status finish(StopReason why, Status status);

  InferenceSession& session_;
  const Tokenizer& tokenizer_;
  GenerateOptions options_;
  Sampler sampler_;
  PieceTextStream text_;
  std::vector<int32_t> context_;  // the tokens in the session after BOS, oldest first
  std::vector<float> logits_;     // [vocab] of the position after the last token read
  int32_t unread_ = -1;           // the token sampled last, read at the next step
  bool active_ = false;
  GenerateStats stats_;
};

}  // namespace golf
