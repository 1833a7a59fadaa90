#pragma once

// Debian's PostgreSQL 15 for tests: a cluster made by initdb in a temporary
// directory, the server run as the postgres user (it refuses root) on
// loopback and a free port, with max_prepared_transactions for two-phase
// commit; killed on destruction. Main thread only.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace weir::test {

class postgres_server {
public:
  postgres_server();
  /// Waits up to `timeout_ms` for a connection to succeed.
  bool ready(int timeout_ms);
  /// Kills the server (SIGKILL) and starts it again on the same port and data,
  /// waiting up to 30 s for it to answer (ready() says whether it does).
  void restart();
  /// "host=127.0.0.1 port=P dbname=postgres user=weir".
  std::string conninfo() const;
  /// Runs `sql` (one statement) on a new connection; its rows as text, or
  /// nothing when it failed (`error` then says why).
  std::optional<std::vector<std::vector<std::string>>> query(const std::string& sql,
                                                             std::string* error = nullptr);

private:
  void start();
  temp_dir dir_;
  uint16_t port_;
  std::unique_ptr<child_process> process_;
};

} // namespace weir::test
