#pragma once

// Real servers the tests start themselves (Debian's prometheus and influxd),
// on loopback, on free ports, in temporary directories; stopped on
// destruction. A server that does not come up is a test failure naming it.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace weir::test {

/// A TCP port on 127.0.0.1 that was free a moment ago.
uint16_t free_port();

/// A socket listening on a free loopback port that never accepts: connects
/// succeed (into the backlog) and nothing ever answers. Closed on destruction.
class silent_listener {
public:
  silent_listener();
  ~silent_listener();
  silent_listener(const silent_listener&) = delete;
  silent_listener& operator=(const silent_listener&) = delete;
  /// 0 if the socket could not be set up.
  uint16_t port() const noexcept { return port_; }

private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

/// GET http://127.0.0.1:port/target; the body, or nothing when the request
/// failed or the status was not 2xx.
std::optional<std::string> http_get(uint16_t port, const std::string& target);

/// POST a form to http://127.0.0.1:port/path; the body, or nothing.
std::optional<std::string> http_post_form(uint16_t port, const std::string& path,
                                          const std::string& key, const std::string& value);

/// The ports a job's log says its metrics endpoint and dashboard took
/// (runtime_options::log = callback(), with metrics.port or ui_port 0).
struct ports_from_log {
  std::atomic<int> metrics{0};
  std::atomic<int> ui{0};
  std::function<void(const std::string&)> callback();
  /// Waits up to `timeout_ms` for the metrics port (the log line is all that tells).
  bool wait(int timeout_ms);
};

/// Whether `program` is installed (in /usr/bin or /usr/sbin).
bool installed(const std::string& program);

/// Prometheus scraping `target` ("127.0.0.1:P", path /metrics) every second,
/// keeping the target's own `job` label (honor_labels, as the README says).
class prometheus_server {
public:
  explicit prometheus_server(const std::string& target);
  /// Waits up to `timeout_ms` for it to answer /-/ready.
  bool ready(int timeout_ms);
  /// GET /api/v1/query?query=`promql`: the JSON answer, or nothing.
  std::optional<std::string> query(const std::string& promql);
  uint16_t port() const noexcept { return port_; }

private:
  temp_dir dir_;
  uint16_t port_;
  std::unique_ptr<child_process> process_;
};

/// InfluxDB 1.x with its HTTP API on a free port.
class influxdb_server {
public:
  influxdb_server();
  /// Waits up to `timeout_ms` for GET /ping to answer 204.
  bool ready(int timeout_ms);
  /// GET /query?db=`db`&q=`influxql`: the JSON answer, or nothing.
  std::optional<std::string> query(const std::string& db, const std::string& influxql);
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

private:
  temp_dir dir_;
  uint16_t port_;
  std::unique_ptr<child_process> process_;
};

} // namespace weir::test
