#pragma once

// The exactly-once checks the connector tests share. Main thread only (they
// use Catch2 macros).

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <vector>

namespace weir::test {

/// Whether `seen` (n -> times written) holds every n in [0, count) exactly once.
inline bool exactly_once(const std::map<int, int>& seen, int count) {
  if (seen.size() != static_cast<size_t>(count)) return false;
  int expect = 0;
  for (const auto& [n, times] : seen)
    if (n != expect++ || times != 1) return false;
  return true;
}

/// Checks a keyed running count's committed output: per key, the counts
/// written (any order) are 1..per_key, none missing or doubled.
inline void check_counts_one_to_n(std::map<int, std::vector<int>>& counts, int per_key) {
  for (auto& [key, c] : counts) {
    std::sort(c.begin(), c.end());
    std::vector<int> expected(c.size());
    for (size_t i = 0; i < expected.size(); ++i)
      expected[i] = static_cast<int>(i) + 1;
    INFO("key " << key);
    CHECK(c == expected);
    CHECK(c.size() == static_cast<size_t>(per_key));
  }
}

} // namespace weir::test
