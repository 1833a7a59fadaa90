#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "weir/clock.hpp"
#include "weir/error.hpp"
#include "weir/log.hpp"
#include "weir/metrics.hpp"

namespace weir {

/// When and where a job takes checkpoints. With interval_ms > 0 the runtime
/// snapshots every operator's state and source positions consistently (an
/// aligned barrier snapshot) that often, keeps the last `retained`, and
/// restarts a failed job from the latest; a job with two-phase-commit sinks
/// then writes exactly-once output. A value type.
struct checkpoint_options {
  /// Milliseconds between two checkpoints; 0 takes none.
  uint64_t interval_ms = 0;
  /// A checkpoint not complete after this long is aborted; the job runs on.
  /// 0: no timeout.
  uint64_t timeout_ms = 60000;
  /// At least this long between the end of one checkpoint and the next.
  uint64_t min_pause_ms = 0;
  /// Complete checkpoints kept; older ones are deleted.
  uint32_t retained = 3;
  /// A directory for a LevelDB holding the checkpoints, so a run that did not
  /// finish resumes from its latest checkpoint when run again (same job,
  /// same arguments). Empty keeps checkpoints in memory: restarts within the
  /// process only.
  std::string state_dir;
  /// Start over even if state_dir holds an unfinished run: its checkpoints
  /// are discarded.
  bool fresh = false;
  /// Start from a savepoint in state_dir: "NAME" (its latest version) or
  /// "NAME@VERSION". It takes precedence over resuming an unfinished run
  /// (whose checkpoints are discarded); this run's checkpoints follow it in
  /// state_dir. State is mapped to operators by uid: every stateful operator
  /// needs an explicit uid, and a savepoint operator the job lacks is refused
  /// unless allow_non_restored_state. Operators new to the job start empty.
  std::string from_savepoint;
  /// With from_savepoint: leave the state of operators the job no longer has behind.
  bool allow_non_restored_state = false;
  /// Non-empty: SIGTERM stops the job with a savepoint of this name (as
  /// `weir job stop --savepoint` does) instead of killing the process; if
  /// the savepoint cannot be taken the job is cancelled. While the job runs,
  /// SIGTERM is blocked in every thread the runtime starts and is taken by
  /// one of its own. Needs checkpoints and a state dir.
  std::string savepoint_on_stop;
};

/// What happens when a task fails: the job restarts from its latest
/// checkpoint (or from the beginning without one) up to `max_attempts`
/// times, waiting between attempts; then it fails with the last error.
struct restart_strategy {
  /// How restarts are spaced: none (the first failure fails the job), a
  /// fixed delay, or a delay growing exponentially.
  enum class kind : uint8_t { none, fixed_delay, exponential_backoff };
  kind type = kind::none;     ///< Which strategy; none by default.
  uint32_t max_attempts = 0;  ///< The most restarts before the job fails.
  /// The delay before a restart; the first one for exponential backoff.
  uint64_t delay_ms = 1000;
  /// Exponential backoff: the delay grows by `multiplier` up to this.
  uint64_t max_delay_ms = 60000;
  /// Exponential backoff: each delay is the previous one times this (at
  /// least 1).
  double multiplier = 2.0;
  /// Each delay varies randomly by up to this fraction (0.1 = +-10%).
  double jitter = 0.1;

  /// No restarts: the first failure fails the job.
  static restart_strategy none() { return {}; }
  /// Up to `attempts` restarts, each after `delay_ms`, without jitter.
  static restart_strategy fixed_delay(uint32_t attempts, uint64_t delay_ms) {
    restart_strategy r;
    r.type = kind::fixed_delay;
    r.max_attempts = attempts;
    r.delay_ms = delay_ms;
    r.jitter = 0;
    return r;
  }
  /// Up to `attempts` restarts, the first after `initial_ms`, each delay
  /// `multiplier` times the one before up to `max_ms`, with the default jitter.
  static restart_strategy exponential_backoff(uint32_t attempts, uint64_t initial_ms,
                                              uint64_t max_ms = 60000) {
    restart_strategy r;
    r.type = kind::exponential_backoff;
    r.max_attempts = attempts;
    r.delay_ms = initial_ms;
    r.max_delay_ms = max_ms;
    return r;
  }
};

/// The scheduler_spin_polls a batch size gets by default: 10,000 from 1024
/// records per batch on (the pipeline bench at batch 1024 ran at 40-46% of
/// its loop against 23-26% with CAF's 100; at 4096 no change), CAF's 100
/// below (at batch 64 spinning halved throughput: every small frame moved to
/// the other core instead of staying warm on this one).
constexpr size_t spin_polls_for(size_t batch_size) noexcept {
  return batch_size >= 1024 ? 10000 : 100;
}

/// Live metrics (off unless a reporter is asked for): the supervisor asks
/// every running task for its figures each interval and hands the job's
/// snapshot (weir/metrics.hpp) to the reporters.
struct metrics_options {
  /// Serves Prometheus text at http://bind:port/metrics; -1: off, 0: a free
  /// port, said in the log.
  int port = -1;
  /// Serves the web dashboard at http://bind:ui_port/ (the job graph,
  /// rates, backpressure, the bottleneck, watermarks, checkpoints); -1: off,
  /// 0: a free port, said in the log.
  int ui_port = -1;
  /// The address the metrics endpoint and the dashboard listen on: loopback
  /// unless told.
  std::string bind = "127.0.0.1";
  /// Pushes InfluxDB line protocol to `influxdb_url`/write?db=`influxdb_db`
  /// (e.g. http://127.0.0.1:8086); empty: off. A server that is down or
  /// slow never slows the job: points wait in a bounded buffer.
  std::string influxdb_url;
  std::string influxdb_db = "weir"; ///< The InfluxDB database written to.
  /// Lines kept for InfluxDB while it cannot take them; beyond, the oldest
  /// are dropped and counted.
  size_t influxdb_buffer_lines = 100000;
  /// How often tasks are asked: the interval of rates and time shares.
  uint32_t interval_ms = 1000;
  /// Called with each snapshot from a runtime thread, one call at a time;
  /// must not block. Set, it turns metrics on like a reporter does.
  std::function<void(const job_metrics&)> on_metrics;

  /// Whether metrics are gathered at all: a port, the dashboard, InfluxDB
  /// or on_metrics is set.
  bool enabled() const {
    return port >= 0 || ui_port >= 0 || !influxdb_url.empty() || static_cast<bool>(on_metrics);
  }
  /// errc::bad_argument naming a value no reporter can use: a port beyond
  /// 65535 (or both on one port), a URL not http(s)://, a database name with other characters than
  /// letters, digits, '_' and '-'.
  error check() const;
};

/// How the runtime moves data. Every field bounds something: together they
/// bound the records in flight per channel to (credit_window + 3) *
/// batch_size (credits granted, one sealed batch waiting for credit, one
/// overflow batch, one batch being filled) plus one user call's output.
struct runtime_options {
  /// Records per batch (frame); a batch is sent when full or when it times out.
  size_t batch_size = 1024;
  /// A batch is also sealed once its payload reaches this many bytes.
  size_t max_batch_bytes = 1u << 20;
  /// Batches a consumer lets a producer have in flight per channel.
  uint32_t credit_window = 4;
  /// A partly filled batch is sent at most this long after its first record.
  uint32_t buffer_timeout_ms = 10;
  /// A task yields its thread after this many records so others progress.
  size_t records_per_turn = 8192;
  /// How long an idle source waits before it polls again.
  uint32_t idle_poll_ms = 10;
  /// A watchdog: a job still running after this many ms fails with
  /// errc::timed_out naming the tasks that have not finished; 0 means no
  /// limit. If 0, the environment variable WEIR_JOB_TIMEOUT_MS sets it (tests).
  uint64_t job_timeout_ms = 0;
  /// Processing time for windows and timers; null means the system clock.
  /// Must outlive the job. (Not sent to nodes: they use their system clock.)
  const weir::clock* clock = nullptr;
  /// CAF scheduler threads; 0 means one per core, at least 2.
  size_t scheduler_threads = 0;
  /// How many times an idle scheduler thread looks for work (its own queue,
  /// stealing every 10th time) before it starts to sleep between looks: CAF's
  /// work-stealing "aggressive-poll-attempts" (CAF's default is 100). 0 means
  /// spin_polls_for(batch_size). Spinning hands a batch to an actor on
  /// another core sooner, which pays with large batches and costs with small
  /// ones (see spin_polls_for).
  size_t scheduler_spin_polls = 0;
  /// Nodes ("host:port") to place subtasks on; empty runs everything in process.
  std::vector<std::string> nodes;
  /// Which operators run on the nodes: a subtask of an operator whose uid is
  /// listed runs remotely; empty means every operator is spread over the nodes.
  std::vector<std::string> remote_uids;
  /// TLS to the nodes (all three or none; the nodes must use TLS too): this
  /// coordinator's certificate chain and key (PEM) and the CA that signed
  /// every node's certificate. A node whose certificate another CA signed
  /// fails the handshake.
  std::string tls_certificate;
  std::string tls_key; ///< Path of this coordinator's private key (PEM); see tls_certificate.
  std::string tls_ca;  ///< Path of the CA certificate (PEM); see tls_certificate.
  /// Nodes connect to each other before tasks deploy, so a channel between
  /// tasks on two nodes goes directly between them; false leaves them
  /// connected to the coordinator only, which then relays that traffic.
  bool direct_node_channels = true;
  /// How long connecting to a node may take, the BASP handshake included: a
  /// port whose server accepts and never speaks is an error after this long.
  uint32_t node_connect_timeout_ms = 10000;
  /// A connection to a node that carried nothing for this long (not even
  /// the heartbeat each side sends every second) is closed, and the tasks on
  /// that node fail: how long a stopped or cut-off node goes unnoticed.
  uint32_t node_silence_timeout_ms = 10000;
  /// When a node is lost and the nodes left offer too few slots for the
  /// job, how long the job waits for a lost node to come back before it
  /// fails (0: it fails at once). A lost node is asked to rejoin every
  /// second from the moment it is lost; one that comes back (the same
  /// address, the same build) is used again from the next attempt on.
  uint32_t node_return_timeout_ms = 30000;
  /// The largest message this process reads from a node once connected
  /// (a larger announcement closes the connection: a bound on what a peer
  /// can make it allocate). Tasks' snapshots and restored state cross in
  /// parts of an eighth of it, so no state is too large to travel. Start
  /// the nodes with the same `--max-message-bytes`.
  size_t max_message_bytes = size_t{512} << 20;
  /// Checkpoints (off by default).
  checkpoint_options checkpoints;
  /// Live metrics and their reporters (off by default).
  metrics_options metrics;
  /// Restarts after a failure (none by default).
  restart_strategy restart;
  /// Told what the runtime does on its own: a resume from a checkpoint, a
  /// checkpoint skipped as corrupt, a restart: the events of log_events from
  /// info up, as plain text, when log_events is unset. Called from runtime
  /// threads, one call at a time (the runtime serializes them); unset,
  /// nothing is said.
  std::function<void(const std::string&)> log;
  /// The same lines as events, with level, job, task and time (weir/log.hpp;
  /// format_log_line prints them as the CLI does). Set, it is called instead
  /// of `log`; same threading contract.
  std::function<void(const log_event&)> log_events;
};

} // namespace weir
