#pragma once

// Debian's redis-server for tests: on loopback, a free port, a temporary
// directory, appending every write to its log (appendfsync always) so a
// restart keeps the streams; killed on destruction. Main thread only.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "weir/redis.hpp"

namespace weir::test {

class redis_server {
public:
  redis_server();
  /// Waits up to `timeout_ms` for PING to answer.
  bool ready(int timeout_ms);
  /// Kills the server (SIGKILL) and starts it again on the same port and files.
  void restart();
  void stop();
  /// Runs a command; its reply as text (an integer as digits, an error as
  /// "ERR ..."), or nothing when the server did not answer.
  std::optional<std::string> command(const std::vector<std::string>& argv);
  /// Runs every command of `commands` over one connection, pipelined;
  /// whether each got an answer that is not an error.
  bool pipeline(const std::vector<std::vector<std::string>>& commands);
  /// Every entry of `stream`, in order (XRANGE - +).
  std::vector<redis_entry> entries(const std::string& stream);
  /// Keys matching `pattern` (KEYS: fine for a test's few keys).
  std::vector<std::string> keys(const std::string& pattern);
  weir::redis_server where() const;

private:
  void start();
  temp_dir dir_;
  uint16_t port_;
  std::unique_ptr<child_process> process_;
};

} // namespace weir::test
