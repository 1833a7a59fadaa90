#pragma once

/// \file
/// InfluxDB 1.x: a sink writing points, exactly once in effect.
/// Target `weir::influxdb` (library weir_influxdb, links cpp-httplib); the
/// core library links no HTTP client.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "weir/functions.hpp"

namespace weir {

/// One point of InfluxDB's line protocol, at millisecond precision.
struct influxdb_point {
  /// A field's value: an integer (written `42i`), a float, a boolean or a string.
  using field_value = std::variant<int64_t, double, bool, std::string>;

  std::string measurement; ///< Must not be empty.
  /// Tag keys and values (indexed, the series' identity). A tag with an
  /// empty value is left out, as InfluxDB refuses those.
  std::vector<std::pair<std::string, std::string>> tags;
  /// Field keys and values; at least one.
  std::vector<std::pair<std::string, field_value>> fields;
  int64_t time_ms = 0; ///< The point's time, ms since the epoch.

  /// The point as one line of line protocol (no newline), escaped as the
  /// protocol says. Throws std::invalid_argument naming the culprit for an
  /// empty measurement, no field, an empty key, a newline in a name, tag or
  /// string, or a float that is not finite.
  std::string line() const;
};

/// Where influxdb_sink writes, and how patiently.
struct influxdb_sink_options {
  std::string url = "http://127.0.0.1:8086"; ///< http://host:port of the server.
  /// The database; created when the sink opens if missing. Letters, digits,
  /// '_' and '-' only.
  std::string database = "weir";
  uint32_t timeout_ms = 2000; ///< One request (connect, send, answer) waits at most this long.
  /// A commit whose server is away or failing (5xx) is retried with backoff
  /// (100 ms doubling to 2 s) this long; then the subtask fails, naming the
  /// server, and the job restarts from its latest checkpoint.
  uint32_t retry_timeout_ms = 30000;
};

namespace detail {

/// The HTTP side of influxdb_sink, without the record type.
class influxdb_writer {
public:
  /// Checks the options (throws std::invalid_argument naming what is wrong).
  explicit influxdb_writer(influxdb_sink_options options);
  ~influxdb_writer();
  influxdb_writer(const influxdb_writer&) = delete;
  influxdb_writer& operator=(const influxdb_writer&) = delete;
  /// CREATE DATABASE (idempotent), retried as a commit is.
  void create_database();
  /// POSTs `lines` (newline-terminated line protocol) in chunks of at most
  /// 1 MiB, retrying as the options say; throws std::runtime_error naming
  /// the server and its answer when it refuses them (4xx) or stays away.
  void write(const std::string& lines);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// influxdb_sink's function: buffers lines, hands them to the checkpoint on
/// pre-commit, writes them on commit.
template <class T>
class influxdb_sink_function final : public sink_function<T> {
public:
  influxdb_sink_function(const influxdb_sink_options& options, std::function<influxdb_point(const T&)> to_point)
    : writer_(options), to_point_(std::move(to_point)) {}

  void open(const subtask_info&) override { writer_.create_database(); }
  /// Restored at another parallelism: this subtask writes again the points
  /// of the old subtasks i with i % parallelism == index (writes are
  /// idempotent, so which subtask does it does not matter; each is done once).
  bool read_rescaled_state(const subtask_info& now,
                           const std::vector<typename sink_function<T>::old_subtask>& old) override {
    for (const auto& o : old)
      if (o.index % now.parallelism == now.index)
        rescaled_.insert(rescaled_.end(), o.pre_committed.begin(), o.pre_committed.end());
    return true;
  }
  void recover(const std::vector<std::string>& pre_committed) override {
    for (const auto& lines : pre_committed) commit(lines);
    for (const auto& lines : std::exchange(rescaled_, {})) commit(lines);
  }
  void write(const T& value) override {
    pending_ += to_point_(value).line();
    pending_ += '\n';
  }
  bool transactional() const override { return true; }
  std::string pre_commit() override { return std::exchange(pending_, {}); }
  void commit(const std::string& lines) override {
    if (!lines.empty()) writer_.write(lines);
  }

private:
  influxdb_writer writer_;
  std::function<influxdb_point(const T&)> to_point_;
  std::string pending_;
  std::vector<std::string> rescaled_;
};

} // namespace detail

/// Writes each record as the point `to_point` makes of it. Write-ahead: the
/// points of a checkpoint interval are held by the subtask, stored in the
/// checkpoint on its barrier (pre-commit) and written once it completes
/// (commit); after a failure the restored checkpoint's points are written
/// again. InfluxDB keeps one point per series and time, and a rewrite sets
/// its fields again, so a replayed point that is the same as the first is
/// seen once: exactly once in effect for results that are the same on a
/// replay (event-time results are; processing-time ones are not). Two
/// records with the same series and millisecond are one point (the later
/// one's fields win); a replayed point with fewer fields keeps the others.
/// A checkpoint's points go in posts of at most 1 MiB: a reader may see
/// part of them until the rest are written (at the latest on recovery).
/// Rescalable: restored at another parallelism, the new subtasks share the
/// old ones' pending points.
///
/// Memory: a checkpoint interval's lines (and the checkpoint stores them):
/// keep the interval short for fast streams. Without checkpoints every
/// point is held until the job ends, so an unbounded job needs them.
/// Blocking: a commit waits for the server on the sink's thread, up to
/// retry_timeout_ms. Thread safety: `to_point` is called from the sink's
/// subtask only. Errors: bad options throw std::invalid_argument here; a
/// point the protocol cannot say fails the subtask naming it; a server that
/// refuses a write (a field's type changed, say) or stays away longer than
/// retry_timeout_ms fails it, naming the server and its answer. A refused
/// write is refused again on every restart from that checkpoint: the job
/// fails once its restarts are used up, and the points must be dropped by
/// hand (start from an earlier savepoint, or fix the measurement).
template <class T>
sink_factory<T> influxdb_sink(influxdb_sink_options options, std::function<influxdb_point(const T&)> to_point) {
  detail::influxdb_writer check(options); // bad options fail the job's build, not a subtask
  return [options, to_point] { return std::make_unique<detail::influxdb_sink_function<T>>(options, to_point); };
}

} // namespace weir
