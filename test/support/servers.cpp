#include "support/servers.hpp"

#include <httplib.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <fstream>
#include <regex>
#include <thread>

namespace weir::test {

namespace {

/// Polls `ok` every 100 ms up to `timeout_ms`: a server's readiness is only
/// known by asking it.
template <class F> bool poll_until(int timeout_ms, F ok) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (ok()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return ok();
}

/// `s` percent-encoded for a query string.
std::string url_encoded(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

httplib::Client client_for(uint16_t port) {
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(2, 0);
  c.set_read_timeout(5, 0);
  return c;
}

} // namespace

uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0
      && ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

silent_listener::silent_listener() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0
      && ::listen(fd_, 1) == 0 && ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port_ = ntohs(addr.sin_port);
}

silent_listener::~silent_listener() {
  if (fd_ >= 0) ::close(fd_);
}

std::optional<std::string> http_get(uint16_t port, const std::string& target) {
  auto c = client_for(port);
  auto res = c.Get(target.c_str());
  if (!res || res->status / 100 != 2) return std::nullopt;
  return res->body;
}

std::optional<std::string> http_post_form(uint16_t port, const std::string& path,
                                          const std::string& key, const std::string& value) {
  auto c = client_for(port);
  auto res = c.Post(path.c_str(), httplib::Params{{key, value}});
  if (!res || res->status / 100 != 2) return std::nullopt;
  return res->body;
}

std::function<void(const std::string&)> ports_from_log::callback() {
  return [this](const std::string& line) {
    std::smatch m;
    if (std::regex_search(line, m,
                          std::regex(R"(Prometheus text at http://127\.0\.0\.1:([0-9]+)/)")))
      metrics = std::stoi(m[1].str());
    if (std::regex_search(line, m, std::regex(R"(dashboard at http://127\.0\.0\.1:([0-9]+)/)")))
      ui = std::stoi(m[1].str());
  };
}

bool ports_from_log::wait(int timeout_ms) {
  return poll_until(timeout_ms, [this] { return metrics != 0; });
}

bool installed(const std::string& program) {
  return ::access(("/usr/bin/" + program).c_str(), X_OK) == 0
         || ::access(("/usr/sbin/" + program).c_str(), X_OK) == 0;
}

prometheus_server::prometheus_server(const std::string& target) : port_(free_port()) {
  std::ofstream(dir_.file("prometheus.yml"))
      << "global:\n  scrape_interval: 1s\n"
      << "scrape_configs:\n  - job_name: weir\n    honor_labels: true\n"
      << "    static_configs:\n      - targets: ['" << target << "']\n";
  process_ = std::make_unique<child_process>(
      std::vector<std::string>{"/usr/bin/prometheus",
                               "--config.file=" + dir_.file("prometheus.yml"),
                               "--storage.tsdb.path=" + dir_.file("data"),
                               "--web.listen-address=127.0.0.1:" + std::to_string(port_)},
      dir_.file("prometheus.log"));
}

bool prometheus_server::ready(int timeout_ms) {
  return poll_until(timeout_ms, [this] { return http_get(port_, "/-/ready").has_value(); });
}

std::optional<std::string> prometheus_server::query(const std::string& promql) {
  return http_get(port_, "/api/v1/query?query=" + url_encoded(promql));
}

influxdb_server::influxdb_server() : port_(free_port()) {
  std::ofstream(dir_.file("influxdb.conf"))
      << "reporting-disabled = true\n"
      << "bind-address = \"127.0.0.1:" << free_port() << "\"\n"
      << "[meta]\n  dir = \"" << dir_.file("meta") << "\"\n"
      << "[data]\n  dir = \"" << dir_.file("data") << "\"\n  wal-dir = \"" << dir_.file("wal")
      << "\"\n"
      << "[http]\n  bind-address = \"127.0.0.1:" << port_ << "\"\n  log-enabled = false\n";
  process_ = std::make_unique<child_process>(
      std::vector<std::string>{"/usr/bin/influxd", "-config", dir_.file("influxdb.conf")},
      dir_.file("influxd.log"));
}

bool influxdb_server::ready(int timeout_ms) {
  return poll_until(timeout_ms, [this] {
    auto c = client_for(port_);
    auto res = c.Get("/ping");
    return res && res->status == 204;
  });
}

std::optional<std::string> influxdb_server::query(const std::string& db,
                                                  const std::string& influxql) {
  return http_get(port_, "/query?db=" + db + "&q=" + url_encoded(influxql));
}

} // namespace weir::test
