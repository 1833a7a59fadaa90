#pragma once

/// \file The `weir bench checkpoint` workloads: a keyed running count over a
/// given number of distinct keys, and a windowed count per auction over
/// generated bids (Nexmark-like), each run with checkpoints into a LevelDB
/// state dir or without, so the two can be compared in one process.

#include <cstdint>
#include <string>

#include "weir/error.hpp"

namespace weir::apps::bench {

struct checkpoint_config {
  bool windowed = false;    ///< false: keyed running count; true: 10 s tumbling windows per auction
  uint64_t keys = 1000000;  ///< distinct keys (auctions)
  uint64_t records = 0;
  uint64_t interval_ms = 0; ///< 0: no checkpoints
  uint32_t parallelism = 2;
};

/// One run: throughput, and the periodic checkpoints' figures (the final one
/// at the job's end is left out).
struct checkpoint_run {
  double seconds = 0;
  uint64_t sink_records = 0;
  uint64_t checkpoints = 0;
  double mean_ms = 0;
  double max_ms = 0;
  double mean_alignment_ms = 0;
  double max_alignment_ms = 0;
  double mean_bytes = 0;
};

/// Runs one job (state dir in a temporary directory, removed after).
expected<checkpoint_run> run_checkpoint_bench(const checkpoint_config& config);

} // namespace weir::apps::bench
