#pragma once

#include <cstddef>
#include <cstdint>

#include "weir/clock.hpp"
#include <string>
#include <vector>

namespace weir {

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
  /// Nodes ("host:port") to place subtasks on; empty runs everything in process.
  std::vector<std::string> nodes;
  /// Which operators run on the nodes: a subtask of an operator whose uid is
  /// listed runs remotely; empty means every operator is spread over the nodes.
  std::vector<std::string> remote_uids;
};

} // namespace weir
