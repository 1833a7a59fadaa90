#pragma once

/// \file
/// A file sink that writes lines into event-time partitions (Hive-style
/// directories such as dt=2023-11-14/hm=22:13) and commits each partition
/// once the watermark has passed its end: Flink's filesystem sink with
/// partition-time commit and the success-file policy.

#include <cstdint>
#include <functional>
#include <string>

#include "weir/functions.hpp"

namespace weir {

/// How event time maps to directories: a record of event time t belongs to
/// the partition [start, start + period_ms) with start = t rounded down to a
/// multiple of period_ms, written under `path(start)`.
struct time_partitions {
  /// The length of a partition in ms; must be positive (partitioned_file_sink
  /// throws std::invalid_argument otherwise).
  int64_t period_ms = 60'000;
  /// The partition's directory relative to the sink's DIR: no empty, "." or
  /// ".." component, not absolute. Called from the sink's thread.
  std::function<std::string(int64_t start)> path;
};

/// One partition per UTC minute: dt=<yyyy-MM-dd>/hm=<HH:mm>.
time_partitions hive_minutes();
/// One partition per UTC day: dt=<yyyy-MM-dd>.
time_partitions hive_days();

/// What stream::sink takes to write partitioned files; made by
/// partitioned_file_sink. The edge into it is all-to-all (rebalance unless
/// the stream chose hash or broadcast), because a subtask may commit a
/// partition only when every upstream subtask's watermark has passed it.
template <class T>
struct partitioned_sink {
  sink_factory<T> factory; ///< Makes the sink of each subtask.
};

/// Writes each record (a line) into the part files of its event-time
/// partition under DIR, exactly once, and commits partitions.
///
/// Files: a subtask's file in a partition is hidden
/// (".part-<uid>-<subtask>.<n>.inprogress") until the checkpoint that holds
/// it completes, then renamed to "part-<uid>-<subtask>.<n>"; without
/// checkpoints, when the job succeeds. Nothing else under DIR is a part file.
///
/// Partition commit: once the watermark passes a partition's end (at the
/// latest at the end of input) and the checkpoint after that completes (or
/// the job succeeds), every part file of that partition is visible and an
/// empty `_SUCCESS` file marks the directory complete. A record whose
/// partition was already sealed (late, behind the watermark) is still
/// written, in a file of its own committed with its checkpoint.
///
/// At most 64 files are open per subtask; a partition is closed when it is
/// sealed. A fresh run removes the sink's own part files and the `_SUCCESS`
/// files under DIR (regular files only); DIR is held by one run (as for
/// file_sink). Errors (cannot create or write, a bad partition path, a record
/// without event time) fail the job naming the file or the record's time.
partitioned_sink<std::string> partitioned_file_sink(std::string dir, time_partitions by);

} // namespace weir
