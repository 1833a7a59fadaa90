#pragma once

// q13's bounded side input: `key,value` lines read whole before the job
// runs, shared read-only by every subtask (nexmark.md, "q13").

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "weir/error.hpp"

namespace weir::nexmark {

/// key -> every value given for it, in file order. Immutable once built, so
/// subtasks on any thread may read it.
using side_table = std::unordered_map<int64_t, std::vector<std::string>>;

/// Reads `path`: one `key,value` per line, key a decimal integer >= 0, value
/// the rest of the line after the first comma, taken literally (empty lines
/// are skipped; a trailing CR is kept as part of the value, as written).
/// Errors (errc::bad_argument or errc::io) name the file and line.
expected<std::shared_ptr<const side_table>> read_side_input(const std::string& path);

/// A table of `keys` keys 0 .. keys-1, each with one value "value-<key>":
/// what `weir bench nexmark` joins q13 with.
std::shared_ptr<const side_table> synthetic_side_input(int64_t keys);

} // namespace weir::nexmark
