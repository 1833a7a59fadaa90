#pragma once

// What the runtime logs: one event per thing it did on its own (a resume, a
// checkpoint skipped as corrupt, a restart, a node lost), with its level,
// job and task, and the line Weir's CLI prints for it.

#include <cstdint>
#include <optional>
#include <string>

namespace weir {

/// How much a log event matters, least first.
enum class log_level : uint8_t { debug = 0, info, warn, error };

/// "debug", "info", "warn", "error".
const char* to_string(log_level level) noexcept;

/// The level named `name` (as to_string gives it), or nothing.
std::optional<log_level> parse_log_level(const std::string& name);

/// One thing the runtime did on its own, as it logs it.
struct log_event {
  log_level level = log_level::info; ///< How much it matters.
  std::string job;  ///< The job it concerns; empty before a job is known.
  std::string task; ///< The task it concerns ("count[0/2]"); empty for the job as a whole.
  std::string message; ///< What happened, for people.
  int64_t wall_ms = 0; ///< When, epoch ms.
};

/// The wall clock in epoch milliseconds, as log events carry it.
int64_t wall_clock_ms();

/// Epoch milliseconds `ms` as UTC in strftime's `format` (at most 63 bytes).
std::string utc_text(int64_t ms, const char* format);

/// "2026-12-02T16:20:01.123Z WARN  job=wordcount task=count[0/2] message":
/// UTC time, level, job and task when known, the message.
std::string format_log_line(const log_event& e);

/// The line runtime_options::log receives for `e` (no time or level):
/// "job 'wordcount': message" when it concerns a job, else the message.
std::string log_text(const log_event& e);

} // namespace weir
