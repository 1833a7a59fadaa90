#pragma once

/// \file The `weir bench pipeline` workload: bids go generator -> map (dollars
/// to euros) -> filter (reserve price) -> sink (count and checksum), once as a
/// Weir job and once as a hand-written single-threaded loop over the same
/// indices, so the two can be timed in the same process and checked against
/// each other.

#include <cstddef>
#include <cstdint>

#include "weir/error.hpp"
#include "weir/options.hpp"

namespace weir::apps::bench {

/// What the sink folds its records into. The checksum is a wrapping sum of
/// per-record hashes, so it does not depend on the order records arrive in or
/// on how they are split over subtasks: equal results mean equal records.
struct fold_result {
  uint64_t count = 0;
  uint64_t checksum = 0;

  fold_result& operator+=(const fold_result& other) noexcept {
    count += other.count;
    checksum += other.checksum;
    return *this;
  }
  bool operator==(const fold_result& other) const noexcept {
    return count == other.count && checksum == other.checksum;
  }
  bool operator!=(const fold_result& other) const noexcept { return !(*this == other); }
};

/// One point of the benchmark grid.
struct pipeline_config {
  bool chained = false;     ///< environment::set_chaining
  uint32_t parallelism = 1; ///< of every operator
  size_t batch_size = 1024;
  uint32_t credit_window = 4;
  size_t scheduler_threads = 0; ///< 0: CAF's default, max(cores, 4)
  metrics_options metrics;      ///< off by default (weir bench metrics turns it on)
};

/// What one job run reported, plus what its sinks folded.
struct pipeline_run {
  double seconds = 0;     ///< job_result::seconds: deployment to completion
  double cpu_seconds = 0; ///< user + system time of the whole process during execute()
  uint64_t source_records = 0;
  uint64_t sink_records = 0;
  fold_result folded; ///< summed over the sink's subtasks
};

/// CPU time (user + system) of all threads of this process so far. While
/// execute() blocks only the job's threads run, so the difference across it
/// is what the job cost; wall time alone mixes that cost with how well the
/// scheduler used the cores.
double process_cpu_seconds();

/// Generates, maps, filters and folds `records` bids in the calling thread,
/// exactly as the job does. Not inlined into callers, so a clock read on
/// either side of the call brackets the whole loop.
fold_result run_loop(uint64_t records);

/// Runs the job over `records` bids with `config` and blocks until it ends.
/// Returns the job's error if it failed.
expected<pipeline_run> run_pipeline(const pipeline_config& config, uint64_t records);

} // namespace weir::apps::bench
