#pragma once

#include <optional>
#include <string>
#include <vector>
#include <sys/types.h>

namespace weir::test {

/// A child process started from argv; killed (SIGKILL) and reaped on
/// destruction unless it already exited, and killed by the kernel when the
/// thread that started it ends (PR_SET_PDEATHSIG), so a crashed test leaves
/// no daemon behind. Start it from the thread that outlives it.
class child_process {
public:
  explicit child_process(const std::vector<std::string>& argv, const std::string& log_file = "");
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  pid_t pid() const noexcept { return pid_; }
  /// Sends SIGKILL and reaps; returns true if the process was still running.
  bool kill();
  /// Waits up to `timeout_ms` for the process to exit (a pidfd, no polling);
  /// returns its exit code (-1 if a signal ended it), or nothing if it still runs.
  std::optional<int> wait(int timeout_ms);

private:
  pid_t pid_ = -1;
};

/// How a command ended: its exit code (-1 if it was killed at the
/// deadline or by a signal) and everything it wrote to stdout and stderr.
struct command_result {
  int exit_code = -1;
  std::string output;
};

/// Runs argv to completion, killing it after `timeout_ms`.
command_result run_command(const std::vector<std::string>& argv, int timeout_ms = 60000);

/// Waits until `path` exists and holds a line, polling the file system every
/// 10 ms up to `timeout_ms`; returns its first line or "" on timeout.
std::string wait_for_file_line(const std::string& path, int timeout_ms);

} // namespace weir::test
