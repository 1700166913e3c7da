// run_log.h: golf-train's outputs while it runs: human log lines (stdout and OUT/run.log, in the challenge's
// format, e.g. "step:200/20000 train_loss:3.1234 train_time:1234ms step_avg:6.17ms tok/s:12345") and machine
// events (OUT/metrics.jsonl, one JSON object per line: {"event": "train", "step": 200, ...}). Only rank 0 writes;
// on the other ranks every call is a no-op. Lines are flushed as they are written, so a crash loses nothing
// already logged.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>

#include "status.h"  // defines: Status

namespace golf::train {

// Builds one JSON object, field by field: JsonLine().add("step", 3).add("loss", 2.5).str().
class JsonLine {
 public:
  JsonLine& add(const std::string& key, const std::string& value);
  JsonLine& add(const std::string& key, const char* value) { return add(key, std::string(value)); }
  JsonLine& add(const std::string& key, double value);  // non-finite -> null (JSON has no NaN)
  JsonLine& add(const std::string& key, int64_t value);
  JsonLine& add(const std::string& key, int value) { return add(key, (int64_t)value); }
  JsonLine& add_raw(const std::string& key, const std::string& json);  // value already JSON
  std::string str() const { return body_ + "}"; }

 private:
  std::string body_ = "{";
};

class RunLog {
 public:
  RunLog() = default;
  ~RunLog();
  RunLog(const RunLog&) = delete;
  RunLog& operator=(const RunLog&) = delete;
  // Opens OUT/run.log and OUT/metrics.jsonl for appending (append = false truncates them first). active = false
  // (ranks other than 0) opens nothing.
  Status open(const std::string& out_dir, bool active, bool append);
  bool active() const { return active_; }
  // A line to stdout and run.log.
  void line(const std::string& text);
  // A line to stderr and run.log (warnings, errors).
  void warn(const std::string& text);
  // One JSON object to metrics.jsonl.
  void event(const JsonLine& json);
  std::string metrics_path() const { return metrics_path_; }
  void close();

 private:
  bool active_ = false;
  FILE* log_ = nullptr;
  FILE* metrics_ = nullptr;
  std::string metrics_path_;
};

// On resume: drops from metrics.jsonl the events of steps after `step` (logged after the checkpoint the run
// continues from, and about to be redone), so the file and the loss plot describe one consistent history.
// Rewrites the file atomically; a missing file is fine.
Status metrics_truncate_after(const std::string& path, int64_t step);

}  // namespace golf::train
