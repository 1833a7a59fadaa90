#pragma once

// The shapes a job's results must not depend on: parallelism, batch size,
// chaining, and a restart from a checkpoint. Tests run a job once per shape
// and compare each run with one oracle.

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <vector>

#include "weir/stream.hpp"

namespace weir::test {

struct run_shape {
  uint32_t parallelism;
  size_t batch_size;
  bool chaining;
  int failures; ///< How many times the test's job should throw once (0 or 1).
};

inline std::ostream& operator<<(std::ostream& out, const run_shape& s) {
  return out << "parallelism " << s.parallelism << ", batch " << s.batch_size << ", chaining "
             << (s.chaining ? "on" : "off") << ", failures " << s.failures;
}

/// One run with large batches, one record per batch with chaining, one
/// that fails once and restarts.
inline std::vector<run_shape> run_shapes() { return {{1, 1024, false, 0}, {3, 1, true, 0}, {2, 4096, false, 1}}; }

/// Applies `s` to `env`, with checkpoints every 20 ms and restarts allowed.
inline void apply_shape(environment& env, const run_shape& s) {
  env.set_parallelism(s.parallelism);
  env.set_chaining(s.chaining);
  env.options().batch_size = s.batch_size;
  env.options().checkpoints.interval_ms = 20;
  env.options().restart = restart_strategy::fixed_delay(2, 10);
}

} // namespace weir::test
