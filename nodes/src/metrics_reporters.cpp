#include "metrics_reporters.hpp"

#include "ui_files.hpp"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace weir::nodes {

namespace {

using namespace std::chrono_literals;

/// A GET route: its path, content type, and the body (empty: 204 No Content).
struct route {
  std::string path;
  std::string content_type;
  std::function<std::string()> body;
};

/// Serves `routes` on its own thread (one worker: a scrape or a page is
/// cheap, and a flood of clients queues, never spawns threads).
class http_endpoint {
public:
  ~http_endpoint() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }

  error start(const std::string& what, const std::string& bind, int port,
              const std::vector<route>& routes) {
    server_.new_task_queue = [] { return new httplib::ThreadPool(1); };
    server_.set_read_timeout(5, 0);
    server_.set_write_timeout(5, 0);
    server_.set_payload_max_length(4096); // only GETs: nothing to read
    for (const auto& r : routes)
      server_.Get(r.path, [r](const httplib::Request&, httplib::Response& res) {
        auto body = r.body();
        if (body.empty())
          res.status = 204;
        else
          res.set_content(std::move(body), r.content_type.c_str());
      });
    int bound =
        port == 0 ? server_.bind_to_any_port(bind) : (server_.bind_to_port(bind, port) ? port : -1);
    if (bound <= 0)
      return {errc::bad_argument, "cannot serve " + what + " on " + bind + ":"
                                      + std::to_string(port)
                                      + ": the address is not local or the port is taken"};
    port_ = static_cast<uint16_t>(bound);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    return {};
  }

  uint16_t port() const noexcept { return port_; }

private:
  httplib::Server server_;
  std::thread thread_;
  uint16_t port_ = 0;
};

/// Pushes line protocol to InfluxDB 1.x on its own thread: batches of at
/// most `batch_lines`, retried with backoff (100 ms doubling to 5 s) while
/// the server fails; lines wait in a buffer of at most `capacity`, the
/// oldest dropped (and counted) beyond it.
class influx_pusher {
public:
  influx_pusher(std::string url, std::string db, size_t capacity, metrics_reporters::log_fn log)
      : url_(std::move(url)), db_(std::move(db)), capacity_(std::max<size_t>(capacity, 1)),
        log_(std::move(log)) {}

  ~influx_pusher() {
    {
      std::lock_guard<std::mutex> guard(mtx_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  void start() {
    thread_ = std::thread([this] { run(); });
  }

  /// Queues the lines of `text` (newline-terminated).
  void add(const std::string& text) {
    {
      std::lock_guard<std::mutex> guard(mtx_);
      size_t begin = 0;
      for (size_t end; (end = text.find('\n', begin)) != std::string::npos; begin = end + 1)
        lines_.push_back(text.substr(begin, end - begin));
      trim();
    }
    wake_.notify_all();
  }

  uint64_t dropped() const noexcept { return dropped_.load(); }
  uint64_t sent() const noexcept { return sent_.load(); }

private:
  static constexpr size_t batch_lines = 5000;

  void trim() { // with mtx_ held
    while (lines_.size() > capacity_) {
      lines_.pop_front();
      dropped_.fetch_add(1);
    }
  }

  void run() {
    auto backoff = 100ms;
    std::unique_lock<std::mutex> lock(mtx_);
    for (;;) {
      wake_.wait(lock, [this] { return stopping_ || !lines_.empty(); });
      if (lines_.empty()) return; // stopping, nothing left
      bool last = stopping_;
      if (last && complained_) { // the server failed the last push: no last try to wait for
        dropped_.fetch_add(lines_.size());
        return;
      }
      auto n = std::min(lines_.size(), batch_lines);
      std::deque<std::string> batch(lines_.begin(),
                                    lines_.begin() + static_cast<std::ptrdiff_t>(n));
      lines_.erase(lines_.begin(), lines_.begin() + static_cast<std::ptrdiff_t>(n));
      lock.unlock();
      bool ok = push(batch);
      lock.lock();
      if (ok) {
        sent_.fetch_add(n);
        backoff = 100ms;
        continue;
      }
      if (last) { // stopping: one try only, then what is left is dropped
        dropped_.fetch_add(n + lines_.size());
        return;
      }
      lines_.insert(lines_.begin(), batch.begin(), batch.end()); // oldest first again
      trim();
      wake_.wait_for(lock, backoff, [this] { return stopping_; });
      backoff = std::min<std::chrono::milliseconds>(backoff * 2, 5000ms);
    }
  }

  bool push(const std::deque<std::string>& batch) {
    httplib::Client client(url_);
    if (!client.is_valid())
      return complain("the InfluxDB URL " + url_ + " is not http(s)://host[:port]");
    client.set_connection_timeout(1, 0);
    client.set_read_timeout(2, 0);
    client.set_write_timeout(2, 0);
    if (!created_) {
      auto res = client.Post("/query", httplib::Params{{"q", "CREATE DATABASE \"" + db_ + "\""}});
      if (!res)
        return complain("InfluxDB at " + url_ + " unreachable: " + httplib::to_string(res.error()));
      if (res->status != 200)
        return complain("InfluxDB at " + url_ + " refused CREATE DATABASE: " + res->body);
      created_ = true;
    }
    std::string body;
    for (const auto& l : batch)
      body += l + "\n";
    auto res = client.Post(("/write?db=" + db_).c_str(), body, "text/plain"); // db_: [A-Za-z0-9_-]
    if (!res)
      return complain("InfluxDB at " + url_ + " unreachable: " + httplib::to_string(res.error()));
    if (res->status == 404) created_ = false; // the database went: create it again
    if (res->status != 204)
      return complain("InfluxDB at " + url_ + " refused a write (HTTP "
                      + std::to_string(res->status) + "): " + res->body.substr(0, 200));
    complained_ = false;
    return true;
  }

  /// Says why a push failed, once per outage.
  bool complain(const std::string& why) {
    if (!complained_ && log_)
      log_("metrics: " + why + "; retrying with backoff, buffering at most "
           + std::to_string(capacity_) + " lines");
    complained_ = true;
    return false;
  }

  std::string url_;
  std::string db_;
  size_t capacity_;
  metrics_reporters::log_fn log_;
  std::mutex mtx_;
  std::condition_variable wake_;
  std::deque<std::string> lines_;
  bool stopping_ = false;
  bool created_ = false;    // pusher thread only
  bool complained_ = false; // pusher thread only
  std::atomic<uint64_t> dropped_{0};
  std::atomic<uint64_t> sent_{0};
  std::thread thread_;
};

} // namespace

struct metrics_reporters::impl {
  metrics_options options;
  log_fn log;
  std::mutex mtx;
  std::string prometheus; // the latest snapshot's text
  std::string json;       // the same for the dashboard
  std::string job;        // the latest snapshot's: labels the reporter's own figures
  std::unique_ptr<influx_pusher> influx;
  // Destroyed first: their threads read the fields above.
  std::unique_ptr<http_endpoint> endpoint;
  std::unique_ptr<http_endpoint> dashboard;

  std::string latest(std::string impl::*text) {
    std::lock_guard<std::mutex> guard(mtx);
    return this->*text;
  }

  /// The reporter's own figures, after the job's (caller holds mtx).
  std::string own_text() const {
    if (!influx) return {};
    auto labels = "{job=\"" + prometheus_label_value(job) + "\"} ";
    return "# HELP weir_influxdb_lines_sent_total Lines InfluxDB accepted.\n"
           "# TYPE weir_influxdb_lines_sent_total counter\n"
           "weir_influxdb_lines_sent_total"
           + labels + std::to_string(influx->sent())
           + "\n# HELP weir_influxdb_lines_dropped_total Lines dropped: the buffer was full or the "
             "job ended.\n"
             "# TYPE weir_influxdb_lines_dropped_total counter\n"
             "weir_influxdb_lines_dropped_total"
           + labels + std::to_string(influx->dropped()) + "\n";
  }
};

expected<std::unique_ptr<metrics_reporters>>
metrics_reporters::start(const metrics_options& options, log_fn log) {
  auto p = std::make_unique<impl>();
  p->options = options;
  p->log = log;
  if (auto err = options.check()) return err;
  if (!options.influxdb_url.empty()) {
    p->influx = std::make_unique<influx_pusher>(options.influxdb_url, options.influxdb_db,
                                                options.influxdb_buffer_lines, log);
    p->influx->start();
  }
  auto* raw = p.get();
  if (options.port >= 0) {
    p->endpoint = std::make_unique<http_endpoint>();
    route metrics{"/metrics", "text/plain; version=0.0.4; charset=utf-8", [raw] {
                    std::lock_guard<std::mutex> guard(raw->mtx);
                    return raw->prometheus + raw->own_text();
                  }};
    route index{"/", "text/plain", [] { return std::string("Weir: metrics at /metrics\n"); }};
    if (auto err = p->endpoint->start("metrics", options.bind, options.port, {metrics, index}))
      return err;
    if (log)
      log("metrics: Prometheus text at http://" + options.bind + ":"
          + std::to_string(p->endpoint->port()) + "/metrics");
  }
  if (options.ui_port >= 0) {
    p->dashboard = std::make_unique<http_endpoint>();
    std::vector<route> routes{
        {"/api/metrics", "application/json", [raw] { return raw->latest(&impl::json); }}};
    for (const auto& f : ui_files())
      routes.push_back({f.path, f.content_type, [&f] { return f.body; }});
    routes.push_back({"/", "text/html; charset=utf-8", [] { return ui_files().front().body; }});
    if (auto err = p->dashboard->start("the dashboard", options.bind, options.ui_port, routes))
      return err;
    if (log)
      log("metrics: dashboard at http://" + options.bind + ":"
          + std::to_string(p->dashboard->port()) + "/");
  }
  return std::unique_ptr<metrics_reporters>(new metrics_reporters(std::move(p)));
}

metrics_reporters::metrics_reporters(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

metrics_reporters::~metrics_reporters() = default;

void metrics_reporters::publish(const job_metrics& m) {
  {
    std::lock_guard<std::mutex> guard(impl_->mtx);
    if (impl_->job != m.job) impl_->job = m.job;
  }
  if (impl_->endpoint) {
    auto text = prometheus_text(m);
    std::lock_guard<std::mutex> guard(impl_->mtx);
    impl_->prometheus = std::move(text);
  }
  if (impl_->dashboard) {
    auto text = metrics_json(m);
    std::lock_guard<std::mutex> guard(impl_->mtx);
    impl_->json = std::move(text);
  }
  if (impl_->influx) impl_->influx->add(influx_lines(m));
  if (impl_->options.on_metrics) impl_->options.on_metrics(m);
}

uint16_t metrics_reporters::port() const noexcept {
  return impl_->endpoint ? impl_->endpoint->port() : 0;
}

} // namespace weir::nodes
