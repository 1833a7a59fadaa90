#pragma once

// What the connector benchmarks (weir bench redis|postgres|kafka) share:
// runs that alternate a plain client loop and a Weir job, and a markdown
// table of their medians.

#include <functional>
#include <string>
#include <vector>

namespace weir::apps::bench {

/// A connector benchmark's table: its two rate columns and its one row.
struct connector_table {
  std::string plain_column; ///< "records/s, plain hiredis loop"
  std::string job_column;   ///< "records/s, Weir job (exactly once, checkpoints 1 s)"
  std::string workload;     ///< "Redis stream -> stream, 200000 entries"
};

/// Appends each run's rates (records/s) of the plain loop and of the job;
/// `state_dir` is the job's, fresh for the first run.
using connector_runs =
    std::function<void(std::vector<double>& plain, std::vector<double>& job, const std::string& state_dir)>;

/// Runs `measure` with a state dir in the temporary directory, removed
/// however it ends, then prints `table` with the medians on stdout and
/// returns 0. An exception is printed as "weir bench NAME: what" on stderr
/// and returns 1.
int run_connector_bench(const std::string& name, const connector_table& table, const connector_runs& measure);

} // namespace weir::apps::bench
