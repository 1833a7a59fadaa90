#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>

#include "weir/options.hpp"

namespace weir::runtime {

/// The delay before restart number `attempt` (1 for the first): fixed, or
/// growing by the multiplier up to the maximum, varied by the jitter.
inline uint64_t restart_delay_ms(const restart_strategy& s, uint32_t attempt, std::mt19937_64& rng) {
  double delay = static_cast<double>(s.delay_ms);
  if (s.type == restart_strategy::kind::exponential_backoff) {
    delay *= std::pow(std::max(1.0, s.multiplier), static_cast<double>(attempt > 0 ? attempt - 1 : 0));
    delay = std::min(delay, static_cast<double>(s.max_delay_ms));
  }
  if (s.jitter > 0) {
    std::uniform_real_distribution<double> vary(-s.jitter, s.jitter);
    delay *= 1.0 + vary(rng);
  }
  return static_cast<uint64_t>(std::max(0.0, delay));
}

} // namespace weir::runtime
