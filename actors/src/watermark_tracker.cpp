#include "watermark_tracker.hpp"

#include <algorithm>

namespace weir::runtime {

void watermark_tracker::on_watermark(size_t input, int64_t watermark) {
  auto& in = inputs_[input];
  in.watermark = std::max(in.watermark, watermark);
  in.idle = false;
}

std::optional<int64_t> watermark_tracker::combined() const {
  int64_t lowest = INT64_MAX;
  bool any_active = false;
  bool any_idle = false;
  for (const auto& in : inputs_) {
    if (in.ended) continue;
    if (in.idle) {
      any_idle = true;
      continue;
    }
    any_active = true;
    lowest = std::min(lowest, in.watermark);
  }
  if (!any_active && any_idle) return std::nullopt;
  return lowest;
}

int64_t watermark_tracker::highest() const {
  int64_t best = INT64_MIN;
  for (const auto& in : inputs_)
    if (!in.ended) best = std::max(best, in.watermark);
  return best;
}

} // namespace weir::runtime
