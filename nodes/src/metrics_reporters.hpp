#pragma once

// Where a running job's metrics go: a Prometheus endpoint it serves, a web
// dashboard, an InfluxDB it pushes to, and the embedder's own callback.
// No CAF here.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "weir/error.hpp"
#include "weir/metrics.hpp"
#include "weir/options.hpp"

namespace weir::nodes {

/// The reporters of one job run. publish() is called by the supervisor, one
/// call at a time; the endpoint and the pusher run on threads of their own,
/// so neither a slow scraper nor a slow or absent InfluxDB ever waits on the
/// job, nor the job on them. Destroying it stops both: a push under way may
/// take up to 3 s (connect and answer timeouts), then what is buffered gets
/// one last push if the server took the previous one.
class metrics_reporters {
public:
  using log_fn = std::function<void(const std::string&)>;

  /// Starts what `options` asks for; an error names what could not start
  /// (the port taken, a malformed InfluxDB URL).
  static expected<std::unique_ptr<metrics_reporters>> start(const metrics_options& options,
                                                            log_fn log);

  ~metrics_reporters();
  metrics_reporters(const metrics_reporters&) = delete;
  metrics_reporters& operator=(const metrics_reporters&) = delete;

  /// A new snapshot: served from now on, queued for InfluxDB, given to
  /// options.on_metrics.
  void publish(const job_metrics& m);

  /// The port the Prometheus endpoint listens on; 0 when it is off.
  uint16_t port() const noexcept;
  /// The port the dashboard listens on; 0 when it is off.
  uint16_t ui_port() const noexcept;

  struct impl;

private:
  explicit metrics_reporters(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

} // namespace weir::nodes
