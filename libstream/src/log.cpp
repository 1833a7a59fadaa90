#include "weir/log.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace weir {

const char* to_string(log_level level) noexcept {
  switch (level) {
  case log_level::debug:
    return "debug";
  case log_level::info:
    return "info";
  case log_level::warn:
    return "warn";
  case log_level::error:
    return "error";
  }
  return "?";
}

std::optional<log_level> parse_log_level(const std::string& name) {
  for (auto l : {log_level::debug, log_level::info, log_level::warn, log_level::error})
    if (name == to_string(l)) return l;
  return std::nullopt;
}

int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string utc_text(int64_t ms, const char* format) {
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[64];
  return std::strftime(text, sizeof text, format, &tm) > 0 ? text : "";
}

std::string format_log_line(const log_event& e) {
  static const char* labels[] = {"DEBUG", "INFO ", "WARN ", "ERROR"};
  char millis[8];
  std::snprintf(millis, sizeof millis, ".%03dZ ", static_cast<int>(e.wall_ms % 1000));
  std::string line =
      utc_text(e.wall_ms, "%Y-%m-%dT%H:%M:%S") + millis + labels[static_cast<int>(e.level) & 3];
  if (!e.job.empty()) line += " job=" + e.job;
  if (!e.task.empty()) line += " task=" + e.task;
  return line + " " + e.message;
}

std::string log_text(const log_event& e) {
  return e.job.empty() ? e.message : "job '" + e.job + "': " + e.message;
}

} // namespace weir
