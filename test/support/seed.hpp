#pragma once

#include <cstdint>
#include <cstdlib>
#include <random>

namespace weir::test {

/// The seed for a randomized test: WEIR_TEST_SEED if set (decimal or 0x hex),
/// else a fresh one. Tests print it so a failure can be replayed.
inline uint64_t test_seed() {
  if (const char* s = std::getenv("WEIR_TEST_SEED")) return std::strtoull(s, nullptr, 0);
  return (uint64_t{std::random_device{}()} << 32) | std::random_device{}();
}

} // namespace weir::test
