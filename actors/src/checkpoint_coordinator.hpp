#pragma once

// When checkpoints start, which snapshots they are made of, and when they are
// complete: the supervisor's checkpoint logic, free of CAF. The supervisor
// carries out what it asks for through coordinator_host and reports back.

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "weir/error.hpp"
#include "weir/options.hpp"

namespace weir::runtime {

/// A task's snapshot as it travels: encoded detail::task_snapshot messages
/// of a few MiB each (see detail::encode_task_snapshot_chunks).
using snapshot_chunks = std::vector<std::vector<char>>;

/// What a completed checkpoint is, for its manifest and the job's summary.
struct checkpoint_summary {
  uint64_t id = 0;
  int64_t started_ms = 0;   ///< Wall clock (epoch ms) when it was triggered.
  uint64_t duration_ms = 0; ///< Trigger to the last snapshot stored.
  uint64_t alignment_us = 0; ///< The longest any task held its inputs for it.
  uint64_t bytes = 0;       ///< State stored.
  bool final = false;       ///< Taken once every task had finished.
  std::string savepoint;    ///< Non-empty: the store also keeps it as a version of this savepoint.
  uint32_t savepoint_version = 0; ///< The version the store kept (once stored).
};

/// What the coordinator asks of the supervisor. Calls into the coordinator
/// report the outcome; none happens re-entrantly.
class coordinator_host {
public:
  virtual ~coordinator_host() = default;
  /// Sends trigger(id) to every source task still running.
  virtual void trigger_sources(uint64_t id) = 0;
  /// Stores one chunk of task `task`'s snapshot for checkpoint `id`; report
  /// on_stored() for each.
  virtual void store_snapshot(uint64_t id, uint32_t task, const std::vector<char>& chunk) = 0;
  /// Writes the checkpoint's manifest, last; report on_manifest_stored().
  virtual void store_manifest(const checkpoint_summary& summary) = 0;
  /// Tells the tasks and the store that checkpoint `id` is abandoned.
  virtual void abort_checkpoint(uint64_t id, const std::string& why) = 0;
  /// Tells every task checkpoint `id` completed; `includes_final[t]`: it
  /// holds task t's final snapshot (t then commits all and ends).
  virtual void checkpoint_completed(const checkpoint_summary& summary,
                                    const std::vector<bool>& includes_final) = 0;
  /// Calls on_trigger() after `delay_ms`.
  virtual void schedule_trigger(uint64_t delay_ms) = 0;
  /// Calls on_timeout(id) after `delay_ms`.
  virtual void schedule_timeout(uint64_t id, uint64_t delay_ms) = 0;
  /// The wall clock in epoch milliseconds.
  virtual int64_t now_ms() = 0;
  /// The job cannot go on (its final checkpoint keeps failing).
  virtual void fail(errc code, const std::string& why) = 0;
  /// Savepoint request `request` ended: `taken` is its checkpoint (the
  /// version kept set), or null and `failure` says why none was taken.
  virtual void savepoint_done(uint64_t request, const checkpoint_summary* taken, const std::string& failure) = 0;
};

/// One attempt's checkpoints. One checkpoint at a time; a task that finished
/// contributes its final snapshot to every checkpoint after; once all tasks
/// finished, a final checkpoint holds them all and completes the job.
/// Without persistence (no checkpoints), completion is told at once then.
class checkpoint_coordinator {
public:
  /// `sources[t]`: task t runs a source. Checkpoint ids start at `next_id`.
  checkpoint_coordinator(std::vector<bool> sources, const checkpoint_options& options, bool persist,
                         uint64_t next_id, coordinator_host& host);

  /// Every task started: checkpoints begin after one interval.
  void start();
  void on_trigger();
  void on_snapshot(uint32_t task, uint64_t id, snapshot_chunks snapshot, uint64_t alignment_us);
  void on_task_finished(uint32_t task, snapshot_chunks snapshot);
  void on_stored(uint64_t id, uint32_t task, uint64_t bytes, const std::string& failure);
  /// The store wrote the manifest (`failure` empty) and, for a savepoint,
  /// kept version `savepoint_version` of it (or `savepoint_failure` says why not).
  void on_manifest_stored(uint64_t id, const std::string& failure, uint32_t savepoint_version = 0,
                          const std::string& savepoint_failure = "");
  void on_timeout(uint64_t id);
  /// Takes a savepoint named `name` as the next checkpoint: at once when none
  /// is in flight, else right after the one in flight (requests wait in
  /// order, at most max_waiting_savepoints). Reported by savepoint_done(request, ...).
  void request_savepoint(uint64_t request, std::string name);

  static constexpr size_t max_waiting_savepoints = 16;

  /// The checkpoint in flight, or 0.
  uint64_t in_flight() const noexcept { return flight_ ? flight_->id : 0; }
  /// The id the next checkpoint will get (ids never repeat across attempts).
  uint64_t next_id() const noexcept { return next_id_; }
  uint64_t completed() const noexcept { return completed_; }
  bool done() const noexcept { return done_; }

private:
  struct flight {
    uint64_t id = 0;
    int64_t started_ms = 0;
    std::vector<bool> acked;
    std::vector<bool> uses_final;
    size_t acks = 0;    // tasks whose snapshot arrived
    size_t pending = 0; // chunks sent to the store and not stored yet
    uint64_t bytes = 0;
    uint64_t alignment_us = 0;
    bool final = false;
    std::optional<std::pair<uint64_t, std::string>> savepoint; // request, name
  };

  void begin(bool final);
  void begin_savepoint();
  void fail_waiting_savepoints(const std::string& why);
  void ack(uint32_t task, const snapshot_chunks& snapshot, bool final_snapshot);
  void abandon(errc code, const std::string& why);
  void after_checkpoint();
  bool all_finished() const;
  bool sources_running() const;

  std::vector<bool> sources_;
  checkpoint_options options_;
  bool persist_;
  uint64_t next_id_;
  coordinator_host& host_;
  std::vector<bool> finished_;
  std::vector<snapshot_chunks> final_snapshots_;
  std::optional<flight> flight_;
  std::deque<std::pair<uint64_t, std::string>> waiting_savepoints_; // request, name
  int64_t last_started_ms_ = 0;
  uint32_t final_failures_ = 0;
  uint64_t completed_ = 0;
  bool started_ = false;
  bool trigger_scheduled_ = false;
  bool done_ = false;
};

} // namespace weir::runtime
