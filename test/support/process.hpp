#pragma once

#include <string>
#include <vector>
#include <sys/types.h>

namespace weir::test {

/// A child process started from argv; killed (SIGKILL) and reaped on
/// destruction unless it already exited.
class child_process {
public:
  explicit child_process(const std::vector<std::string>& argv, const std::string& log_file = "");
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  pid_t pid() const noexcept { return pid_; }
  /// Sends SIGKILL and reaps; returns true if the process was still running.
  bool kill();

private:
  pid_t pid_ = -1;
};

/// Waits until `path` exists and holds a line, polling the file system every
/// 10 ms up to `timeout_ms`; returns its first line or "" on timeout.
std::string wait_for_file_line(const std::string& path, int timeout_ms);

} // namespace weir::test
