// run_log.cpp: run.log and metrics.jsonl writers (see run_log.h).
#include "run_log.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "mapped_file.h"  // defines: write_file_atomic
#include "text_format.h"  // defines: format_double, json_quote

namespace golf::train {

JsonLine& JsonLine::add(const std::string& key, const std::string& value) {
  return add_raw(key, json_quote(value));
}

JsonLine& JsonLine::add(const std::string& key, double value) {
  return add_raw(key, std::isfinite(value) ? format_double(value) : "null");
}

JsonLine& JsonLine::add(const std::string& key, int64_t value) { return add_raw(key, std::to_string(value)); }

JsonLine& JsonLine::add_raw(const std::string& key, const std::string& json) {
  body_ += (body_.size() > 1 ? ", " : "") + json_quote(key) + ": " + json;
  return *this;
}

RunLog::~RunLog() { close(); }

Status RunLog::open(const std::string& out_dir, bool active, bool append) {
  close();
  active_ = active;
  if (!active) return Status::Ok();
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) return Status(StatusCode::io_error, out_dir + ": cannot create directory: " + ec.message());
  const std::string log_path = (std::filesystem::path(out_dir) / "run.log").string();
  metrics_path_ = (std::filesystem::path(out_dir) / "metrics.jsonl").string();
  log_ = std::fopen(log_path.c_str(), append ? "a" : "w");
  if (!log_) return Status(StatusCode::io_error, log_path + ": cannot open for writing");
  metrics_ = std::fopen(metrics_path_.c_str(), append ? "a" : "w");
  if (!metrics_) return Status(StatusCode::io_error, metrics_path_ + ": cannot open for writing");
  return Status::Ok();
}

void RunLog::line(const std::string& text) {
  if (!active_) return;
  std::fprintf(stdout, "%s\n", text.c_str());
  std::fflush(stdout);
  if (log_) {
    std::fprintf(log_, "%s\n", text.c_str());
    std::fflush(log_);
  }
}

void RunLog::warn(const std::string& text) {
  if (!active_) return;
  std::fprintf(stderr, "%s\n", text.c_str());
  std::fflush(stderr);
  if (log_) {
    std::fprintf(log_, "%s\n", text.c_str());
    std::fflush(log_);
  }
}

void RunLog::event(const JsonLine& json) {
  if (!active_ || !metrics_) return;
  std::fprintf(metrics_, "%s\n", json.str().c_str());
  std::fflush(metrics_);
}

void RunLog::close() {
  if (log_) std::fclose(log_);
  if (metrics_) std::fclose(metrics_);
  log_ = metrics_ = nullptr;
}

Status metrics_truncate_after(const std::string& path, int64_t step) {
  std::ifstream in(path);
  if (!in) return Status::Ok();
  std::string kept, line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    // A torn last line (crash mid-write) is dropped along with later steps.
    if (j.is_discarded()) continue;
    if (j.is_object() && j.contains("step") && j["step"].is_number_integer() && j["step"].get<int64_t>() > step)
      continue;
    kept += line + "\n";
  }
  return write_file_atomic(path, kept.data(), kept.size());
}

}  // namespace golf::train
