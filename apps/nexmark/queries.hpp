#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nexmark/event.hpp"
#include "nexmark/generator.hpp"
#include "nexmark/side_input.hpp"
#include "weir/error.hpp"
#include "weir/job_registry.hpp"
#include "weir/stream.hpp"

namespace weir::nexmark {

/// The queries `weir nexmark` runs (nexmark.md defines each one's output).
const std::vector<std::string>& query_names();

/// Whether the query's lines go into partitions by the minute of their event
/// time (DIR/dt=yyyy-MM-dd/hm=HH:mm/part-*, each committed with _SUCCESS)
/// rather than into DIR/part-*.
bool writes_partitions(const std::string& query);

/// What some queries need besides the events.
struct query_inputs {
  /// q13's side input (see side_input.hpp); required by q13.
  std::shared_ptr<const side_table> side;
};

/// Query `name` (one of query_names()) over `events`, as CSV lines; an
/// unknown name, or q13 without a side input, is an errc::bad_argument error.
expected<stream<std::string>> apply_query(const std::string& name, stream<event> events,
                                          const query_inputs& inputs = {});

/// `count` generated events (source uid "generator"), timestamped, with
/// watermarks ("event-time"), at the environment's parallelism.
stream<event> generated_events(environment& env, const generator_config& config, uint64_t count);

/// Registers the job "nexmark" with args: query, output, parallelism, and
/// either events, rate, seed (generated) or input, out-of-orderness-ms,
/// skip-bad-lines ("true"/"false"); side-input for q13.
void register_nexmark();

/// Lines skipped as malformed (with skip-bad-lines) in this process so far.
uint64_t skipped_bad_lines();

/// "0.908 * price" with exactly three decimals, computed in integers.
std::string euros(int64_t price);

/// A CSV field: quoted (with doubled quotes) if it holds a comma, quote or newline.
std::string csv_field(const std::string& s);

} // namespace weir::nexmark
