#pragma once

/// \file The `weir bench nexmark` workloads: a Nexmark query as a Weir job and
/// as its hand-written single-threaded loop (nexmark/baseline.hpp) over the
/// same events, each folding its result lines into a count and an
/// order-independent checksum, so the two can be timed in one process and
/// checked against each other.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench/pipeline_bench.hpp"
#include "nexmark/capnp_events.hpp"
#include "nexmark/event.hpp"
#include "nexmark/generator.hpp"
#include "weir/error.hpp"
#include "weir/options.hpp"

namespace weir::apps::bench {

struct nexmark_config {
  std::string query = "q1";
  uint64_t events = 1000000;
  uint32_t parallelism = 1;
  bool chained = false;
  uint64_t checkpoint_interval_ms = 0; ///< 0: none; else into a temporary LevelDB
  /// Replay these pre-generated events (the runtime's own cost) instead of
  /// generating inside the source (end to end). Event n is (*replay)[n].
  std::shared_ptr<const std::vector<nexmark::event>> replay;
  /// Run the job over Cap'n Proto event records (read in place) instead of
  /// struct events; the loop stays the same. Replayed from `replay_records`.
  bool capnp_records = false;
  std::shared_ptr<const std::vector<nexmark::event_record>> replay_records;
  nexmark::generator_config generator;
  metrics_options metrics; ///< off by default (weir bench metrics turns it on)
};

/// One measured run of the job or of the loop.
struct nexmark_run {
  double seconds = 0;     ///< wall time
  double cpu_seconds = 0; ///< user + system time of the process over the run
  double peak_rss_mib = 0; ///< the process's largest resident set sampled during the run
  fold_result folded;
};

/// Folds one result line: count + a 64-bit hash of its bytes (wrapping sum).
void fold_line(fold_result& acc, const std::string& line) noexcept;
/// q12's fold: its lines depend on processing time, but the bids per bidder
/// do not: adds `bid_count`, and `bid_count` times the hash of `bidder`.
void fold_bidder_total(fold_result& acc, const std::string& line) noexcept;
using line_fold = void (*)(fold_result&, const std::string&) noexcept;
/// The fold that makes the job's and the loop's results comparable.
line_fold fold_for(const std::string& query) noexcept;

/// The hand-written loop over the same events, in the calling thread.
expected<nexmark_run> run_nexmark_loop(const nexmark_config& config);

/// The query as a Weir job; blocks until it ends.
expected<nexmark_run> run_nexmark_job(const nexmark_config& config);

} // namespace weir::apps::bench
