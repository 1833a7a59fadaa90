#pragma once

// How query results are written: shared by the queries and the benchmark's
// hand-written loops, so both produce the same lines.

#include <cstdint>
#include <initializer_list>
#include <string>

namespace weir::nexmark {

/// Fields joined by commas (each already formatted; see csv_field).
inline std::string join(std::initializer_list<std::string> fields) {
  std::string out;
  bool first = true; // not out.empty(): a first field may be empty
  for (const auto& f : fields) {
    if (!first) out += ',';
    first = false;
    out += f;
  }
  return out;
}

inline std::string str(int64_t v) { return std::to_string(v); }

} // namespace weir::nexmark
