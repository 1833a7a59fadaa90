#pragma once

#include <cstdint>

namespace weir::test {

/// Counts the records of a window (an aggregate function for windows).
struct count_aggregate {
  int64_t create_accumulator() const { return 0; }
  template <class T>
  int64_t add(const T&, int64_t acc) const { return acc + 1; }
  int64_t merge(int64_t a, int64_t b) const { return a + b; }
  int64_t get_result(int64_t acc) const { return acc; }
};

/// Sums int64 records.
struct sum_aggregate {
  int64_t create_accumulator() const { return 0; }
  int64_t add(int64_t value, int64_t acc) const { return acc + value; }
  int64_t merge(int64_t a, int64_t b) const { return a + b; }
  int64_t get_result(int64_t acc) const { return acc; }
};

} // namespace weir::test
