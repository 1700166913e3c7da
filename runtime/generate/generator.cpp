// generator.cpp: the generation loop of libgolf (golf_generate and golf_generate_next are thin glue over it): the
// prompt pass, one sampled token per step, the sliding context and the stop rules.
#include "generator.h"

#include <algorithm>
#include <chrono>

namespace golf {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

Generator::Generator(InferenceSession& session, const Tokenizer& tokenizer)
    : session_(session), tokenizer_(tokenizer), sampler_(SamplerParams()), text_(tokenizer) {}

Status Generator::begin(std::string_view prompt, const GenerateOptions& options) {
  active_ = false;
  stats_ = GenerateStats();
  session_.clear_cancel();
  if (options.max_tokens < 0) return Status(StatusCode::invalid_argument, "generate: max_tokens must be >= 0");
  GOLF_RETURN_IF_ERROR(check_sampler_params(options.sampling));
  if (session_.n_ctx() < 2)
    return Status(StatusCode::invalid_argument, "generate: the session's context holds " +
                                                    std::to_string(session_.n_ctx()) +
                                                    " position; generation needs at least 2 (BOS and a token)");
  const auto start = std::chrono::steady_clock::now();
  options_ = options;
  sampler_ = Sampler(options.sampling);
  text_.reset();
  unread_ = -1;
  GOLF_RETURN_IF_ERROR(tokenizer_.encode(prompt, &context_));
  stats_.prompt_tokens = (int)context_.size();
  if ((int)context_.size() + 1 > session_.n_ctx()) {  // BOS + prompt do not fit: keep the prompt's end
    stats_.prompt_dropped = (int)context_.size() - keep_after_shift();
    context_.erase(context_.begin(), context_.begin() + stats_.prompt_dropped);
  }
  logits_.resize((size_t)session_.model().config().vocab_size);
  GOLF_RETURN_IF_ERROR(reread_context());
  stats_.prompt_seconds = seconds_since(start);
  active_ = true;
  return Status::Ok();
}

Status Generator::reread_context() {
  session_.reset();
  const int32_t bos = session_.model().config().bos_id;
  GOLF_RETURN_IF_ERROR(session_.decode(&bos, 1, context_.empty() ? logits_.data() : nullptr, false));
  return session_.decode(context_.data(), (int)context_.size(), logits_.data(), false);
}

Status Generator::feed(int32_t token) {
  context_.push_back(token);
  if (session_.n_past() < session_.n_ctx()) return session_.decode(&token, 1, logits_.data(), false);
  // Full: drop the oldest tokens, keep BOS and the most recent ones, and read them again from position 0 (positions
  // are baked into the KV cache, so the cache cannot simply be moved).
  context_.erase(context_.begin(), context_.end() - keep_after_shift());
  stats_.context_shifts++;
  return reread_context();
}

Status Generator::finish(StopReason why, Status status) {
  active_ = false;
  stats_.stop = why;
  return status;
}

Status Generator::next(int32_t* token, std::string* text) {
  *token = -1;
  text->clear();
  if (!active_) return Status::Ok();
  const auto start = std::chrono::steady_clock::now();
  struct AddTime {  // every way out of this step counts its time
    GenerateStats& stats;
    std::chrono::steady_clock::time_point start;
    ~AddTime() { stats.generate_seconds += seconds_since(start); }
  } add_time{stats_, start};
  if (session_.cancel_requested())
    return finish(StopReason::cancelled, Status(StatusCode::cancelled, "generate: cancelled"));
  if (stats_.generated >= options_.max_tokens) {
    *text = text_.flush();
    return finish(StopReason::max_tokens, Status::Ok());
  }
  if (unread_ >= 0) {
    Status st = feed(unread_);
    unread_ = -1;
    if (!st.ok()) return finish(st.code() == StatusCode::cancelled ? StopReason::cancelled : StopReason::error, st);
  }
  const ModelConfig& c = session_.model().config();
  const int32_t next_token = sampler_.sample(logits_.data(), c.vocab_size);
  if (options_.stop_at_eos && (next_token == tokenizer_.data().eos_id || next_token == c.bos_id)) {
    *text = text_.flush();
    return finish(StopReason::end_of_text, Status::Ok());
  }
  stats_.generated++;
  unread_ = next_token;
  *token = next_token;
  *text = text_.push(next_token);
  return Status::Ok();
}

Status Generator::run(std::string_view prompt, const GenerateOptions& options,
                      const std::function<bool(int32_t, std::string_view)>& on_token) {
  GOLF_RETURN_IF_ERROR(begin(prompt, options));
  int32_t token = 0;
  std::string text;
  while (active_) {
    GOLF_RETURN_IF_ERROR(next(&token, &text));
    if (token < 0) break;
    if (!on_token(token, text)) {
      (void)finish(StopReason::callback, Status::Ok());  // stopping as asked is no error
      text = text_.flush();
      break;
    }
  }
  if (!text.empty()) on_token(-1, text);
  return Status::Ok();
}

}  // namespace golf
