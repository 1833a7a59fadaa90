#pragma once

// A running job's metrics: what the supervisor gathers from its tasks every
// metrics interval, and the two text formats Weir reports them in
// (Prometheus exposition and InfluxDB line protocol). Plain values: copy
// them freely; nothing here is shared or locked.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace weir {

/// One task (a chain of operators at one subtask) at one moment. Counters
/// are totals since the task started in the current attempt; rates and
/// shares are over the last metrics interval (zero in the first one).
struct task_metrics {
  std::string operator_uid; ///< The chain's uids, "a->b" for a chain of two.
  uint32_t subtask = 0;     ///< The subtask index, in [0, parallelism).
  uint32_t parallelism = 1; ///< The chain's parallelism.
  std::string node;     ///< "host:port" of the node it runs on; empty: the coordinator's process.
  bool running = false; ///< Answered this interval (a finished or restarting task did not).
  int64_t watermark =
      INT64_MIN; ///< Event time in ms; INT64_MIN: none yet, INT64_MAX: end of input.
  uint64_t records_in = 0;    ///< Records read from input channels (0 for a source task).
  uint64_t records_out = 0;   ///< Records sealed into output frames (0 for a sink task).
  uint64_t bytes_in = 0;      ///< Bytes of the frames received.
  uint64_t bytes_out = 0;     ///< Bytes of the frames sent.
  uint64_t late_records = 0;  ///< Dropped or side-output for arriving past allowed lateness.
  uint64_t queued_frames = 0; ///< Input frames received and not yet processed.
  uint64_t credits = 0;       ///< Frames the task may still send, over its output channels.
  uint64_t busy_ns = 0;          ///< Wall time spent handling messages.
  uint64_t backpressured_ns = 0; ///< Wall time waiting with an output channel out of credit.
  uint64_t idle_ns = 0;          ///< Wall time waiting otherwise.
  double records_in_per_s = 0;   ///< records_in over the interval, per second.
  double records_out_per_s = 0;  ///< records_out over the interval, per second.
  double busy_share = 0; ///< Of wall time over the interval, 0..1.
  double backpressured_share = 0; ///< Of wall time over the interval, 0..1.
  double idle_share = 0;          ///< Of wall time over the interval, 0..1.
  uint64_t checkpoint_alignment_us = 0; ///< Inputs held for the latest checkpoint's barrier.
  uint64_t checkpoint_bytes = 0;        ///< State this task stored in the latest checkpoint.

  /// "count[0/2]", as logs and `weir job status` name it.
  std::string name() const;
};

/// A completed checkpoint.
struct checkpoint_metrics {
  uint64_t id = 0;           ///< The checkpoint's id.
  int64_t started_ms = 0; ///< Wall clock, epoch ms.
  uint64_t duration_ms = 0;  ///< From its trigger to the last snapshot stored.
  uint64_t alignment_us = 0; ///< The longest any task held its inputs.
  uint64_t bytes = 0;        ///< State stored.
};

/// A job at one moment.
struct job_metrics {
  std::string job;     ///< The job's name.
  int64_t wall_ms = 0; ///< When gathered, epoch ms.
  uint32_t attempt = 1;  ///< The current attempt: 1, then one more per restart.
  uint32_t restarts = 0; ///< Restarts after failures so far.
  uint64_t checkpoints_completed = 0; ///< Checkpoints completed in this run.
  uint64_t checkpoints_failed = 0;    ///< Checkpoints aborted in this run.
  uint64_t frames_rejected = 0; ///< Malformed frames a task refused (each failed an attempt).
  std::vector<task_metrics> tasks; ///< Every task of the current attempt.
  /// The channels between tasks as (producer, consumer) indexes into `tasks`,
  /// each pair once: the job graph at task level.
  std::vector<std::pair<uint32_t, uint32_t>> channels;
  /// The latest completed checkpoints, oldest first, at most max_history.
  std::vector<checkpoint_metrics> checkpoints;
  /// Index into `tasks` of the bottleneck (see `weir job status`), if any.
  std::optional<size_t> bottleneck;

  /// The most checkpoints `checkpoints` holds.
  static constexpr size_t max_history = 32;
};

/// The job as one, from the tasks that answered in a snapshot: what entered
/// through its sources and left through its sinks (a source task has no
/// input channel, a sink task no output channel), and what piles up.
struct job_rollup {
  uint64_t records_in = 0;  ///< Records the source tasks emitted.
  uint64_t records_out = 0; ///< Records the sink tasks took in.
  double records_in_per_s = 0;  ///< records_in over the interval, per second.
  double records_out_per_s = 0; ///< records_out over the interval, per second.
  uint64_t late_records = 0;  ///< Over every task.
  uint64_t queued_frames = 0; ///< Over every task.
  /// The least watermark over the sink tasks: how far the job's output has
  /// got in event time. INT64_MIN while a sink has none (or none answered).
  int64_t watermark = INT64_MIN;
  uint32_t backpressured_tasks = 0; ///< Backpressured over half the interval.
  uint32_t running_tasks = 0;       ///< That answered.
};

/// Rolls `m`'s tasks up (see job_rollup).
job_rollup rollup(const job_metrics& m);

/// The Prometheus text exposition format (version 0.0.4): one family per
/// metric, `weir_task_*{job,operator,subtask}` and `weir_job_*{job}`,
/// counters suffixed `_total`, label values escaped.
std::string prometheus_text(const job_metrics& m);

/// `s` as a Prometheus label value: backslash, double quote and newline escaped.
std::string prometheus_label_value(const std::string& s);

/// JSON for the web dashboard: the job's fields, `tasks` (an object per task
/// with the fields above; a watermark and its lag are null until there is
/// one, `end_of_input` true once it is), `channels` ([producer, consumer]),
/// `checkpoints`, and `bottleneck` (a task index or null).
std::string metrics_json(const job_metrics& m);

/// InfluxDB line protocol, one line per task (measurement `weir_task`, tags
/// job, operator, subtask) and one for the job (`weir_job`), at `m.wall_ms`
/// in nanoseconds; tag values and measurement names escaped.
std::string influx_lines(const job_metrics& m);

} // namespace weir
