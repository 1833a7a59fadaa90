#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "weir/error.hpp"
#include "weir/job_registry.hpp"

namespace weir::nexmark {

/// The queries `weir nexmark` runs (nexmark.md defines each one's output).
const std::vector<std::string>& query_names();

/// Registers the job "nexmark" with args: query, input, output, parallelism,
/// out-of-orderness-ms, skip-bad-lines ("true"/"false").
void register_nexmark();

/// Lines skipped as malformed (with skip-bad-lines) in this process so far.
uint64_t skipped_bad_lines();

/// "0.908 * price" with exactly three decimals, computed in integers.
std::string euros(int64_t price);

/// A CSV field: quoted (with doubled quotes) if it holds a comma, quote or newline.
std::string csv_field(const std::string& s);

} // namespace weir::nexmark
