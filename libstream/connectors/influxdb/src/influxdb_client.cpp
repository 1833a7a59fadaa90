#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <utility>
#include <stdexcept>
#include <thread>

#include "weir/influxdb.hpp"

namespace weir::detail {

namespace {

constexpr size_t max_body = 1 << 20; // InfluxDB takes far more; smaller posts fail less at once

/// host and port of "http://host[:port][/]", or nullopt for any other URL
/// (cpp-httplib would take a path or a slash as part of the host name).
std::optional<std::pair<std::string, int>> parse_url(std::string url) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) return std::nullopt;
  url.erase(0, scheme.size());
  if (!url.empty() && url.back() == '/') url.pop_back();
  if (url.empty() || url.find_first_of("/?#@ ") != std::string::npos) return std::nullopt;
  auto colon = url.rfind(':');
  if (colon == std::string::npos) return std::make_pair(url, 80);
  auto port_text = url.substr(colon + 1);
  if (colon == 0 || port_text.empty() || port_text.size() > 5
      || !std::all_of(port_text.begin(), port_text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  int port = std::stoi(port_text);
  if (port < 1 || port > 65535) return std::nullopt;
  return std::make_pair(url.substr(0, colon), port);
}

bool valid_database(const std::string& db) {
  return !db.empty() && std::all_of(db.begin(), db.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

} // namespace

struct influxdb_writer::impl {
  influxdb_sink_options options;
  httplib::Client client;

  impl(influxdb_sink_options o, const std::string& host, int port)
    : options(std::move(o)), client(host, port) {
    auto timeout = std::chrono::milliseconds(options.timeout_ms);
    client.set_connection_timeout(timeout);
    client.set_read_timeout(timeout);
    client.set_write_timeout(timeout);
  }

  std::string server() const { return "InfluxDB at " + options.url + " (database " + options.database + ")"; }

  /// Runs `attempt` until it returns true, with backoff while it returns
  /// false (server away or failing), for at most retry_timeout_ms; `why`
  /// holds the last failure.
  template <class F>
  void retry(const std::string& what, F attempt) {
    using namespace std::chrono;
    auto give_up = steady_clock::now() + milliseconds(options.retry_timeout_ms);
    milliseconds backoff(100);
    std::string why;
    while (!attempt(why)) {
      if (steady_clock::now() + backoff > give_up)
        throw std::runtime_error(server() + ": " + what + " failed for "
                                 + std::to_string(options.retry_timeout_ms) + " ms: " + why);
      std::this_thread::sleep_for(backoff); // nothing to wait on: the server is away
      backoff = std::min(backoff * 2, milliseconds(2000));
    }
  }

  /// One POST; true when answered `ok`. A refusal (4xx other than a missing
  /// database) throws: sending it again would not help.
  bool post(const std::string& path, const std::string& body, int ok, std::string& why,
            bool* missing_db = nullptr) {
    auto res = path == "/query"
                   ? client.Post(path, httplib::Params{{"q", body}})
                   : client.Post(path, body, "text/plain");
    if (!res) {
      why = "unreachable: " + httplib::to_string(res.error());
      return false;
    }
    if (res->status == ok) return true;
    why = "HTTP " + std::to_string(res->status) + ": " + res->body.substr(0, 300);
    if (res->status == 404 && missing_db != nullptr) {
      *missing_db = true; // dropped while we ran: create it again, then retry
      return false;
    }
    if (res->status >= 400 && res->status < 500) throw std::runtime_error(server() + " refused the write: " + why);
    return false;
  }
};

influxdb_writer::influxdb_writer(influxdb_sink_options options) {
  if (!valid_database(options.database))
    throw std::invalid_argument("influxdb_sink: database '" + options.database
                                + "' must be letters, digits, '_' and '-'");
  auto where = parse_url(options.url);
  if (!where)
    throw std::invalid_argument("influxdb_sink: the URL '" + options.url + "' is not http://host[:port]");
  impl_ = std::make_unique<impl>(std::move(options), where->first, where->second);
}

influxdb_writer::~influxdb_writer() = default;

void influxdb_writer::create_database() {
  impl_->retry("CREATE DATABASE", [&](std::string& why) {
    return impl_->post("/query", "CREATE DATABASE \"" + impl_->options.database + "\"", 200, why);
  });
}

void influxdb_writer::write(const std::string& lines) {
  const std::string path = "/write?db=" + impl_->options.database + "&precision=ms";
  for (size_t at = 0; at < lines.size();) {
    size_t end = lines.size();
    if (end - at > max_body) { // cut after the last whole line that fits
      end = lines.rfind('\n', at + max_body - 1);
      end = end == std::string::npos || end < at ? lines.find('\n', at + max_body) : end;
      end = end == std::string::npos ? lines.size() : end + 1;
    }
    std::string chunk = lines.substr(at, end - at);
    impl_->retry("a write", [&](std::string& why) {
      bool missing = false;
      if (impl_->post(path, chunk, 204, why, &missing)) return true;
      if (missing) impl_->post("/query", "CREATE DATABASE \"" + impl_->options.database + "\"", 200, why);
      return false;
    });
    at = end;
  }
}

} // namespace weir::detail
