#include "bottleneck.hpp"

namespace weir::runtime {

namespace {

constexpr double busy_at_least = 0.5;
constexpr double own_wait_under = 0.2;
constexpr double feeder_waits_at_least = 0.5;

// Whether a task upstream of `task` (a feeder, or a feeder's feeder...)
// waits for credit at least half the time: backpressure travels upstream
// hop by hop, and under load a direct feeder may look idle between frames
// while the source ahead of it is stuck.
bool fed_by_a_waiting_task(uint32_t task, const std::vector<std::pair<uint32_t, uint32_t>>& edges,
                           const std::vector<task_share>& shares) {
  std::vector<bool> seen(shares.size(), false);
  std::vector<uint32_t> todo{task};
  while (!todo.empty()) {
    auto t = todo.back();
    todo.pop_back();
    for (const auto& [producer, consumer] : edges) {
      if (consumer != t || producer >= shares.size() || seen[producer]) continue;
      seen[producer] = true;
      if (shares[producer].known && shares[producer].backpressured >= feeder_waits_at_least)
        return true;
      todo.push_back(producer);
    }
  }
  return false;
}

} // namespace

std::optional<uint32_t> find_bottleneck(const std::vector<std::pair<uint32_t, uint32_t>>& edges,
                                        const std::vector<task_share>& shares) {
  std::optional<uint32_t> found;
  for (uint32_t t = 0; t < shares.size(); ++t) {
    const auto& s = shares[t];
    if (!s.known || s.busy < busy_at_least || s.backpressured >= own_wait_under) continue;
    if (!fed_by_a_waiting_task(t, edges, shares)) continue;
    if (!found || s.busy > shares[*found].busy) found = t;
  }
  return found;
}

} // namespace weir::runtime
