// Naming the bottleneck from tasks' time shares: the busy task that the
// backpressured ones wait for, not every task in red.

#include <catch2/catch.hpp>

#include "bottleneck.hpp"

using weir::runtime::find_bottleneck;
using weir::runtime::task_share;

namespace {

// source (0) -> middle (1) -> sink (2)
const std::vector<std::pair<uint32_t, uint32_t>> chain{{0, 1}, {1, 2}};

task_share share(double busy, double backpressured) {
  return {true, busy, backpressured};
}

} // namespace

TEST_CASE("the busy task its backpressured feeder waits for is the bottleneck",
          "[unit][bottleneck]") {
  CHECK(find_bottleneck(chain, {share(0.1, 0.85), share(0.95, 0.0), share(0.05, 0.0)}) == 1u);
  // Moved downstream: the middle now waits too, and the sink is named.
  CHECK(find_bottleneck(chain, {share(0.1, 0.85), share(0.1, 0.85), share(0.9, 0.0)}) == 2u);
}

TEST_CASE(
    "no bottleneck is named without a waiting feeder, a busy enough task, or when it waits itself",
    "[unit][bottleneck]") {
  // A busy source: nothing feeds it, nothing waits (the job is bound by its input).
  CHECK_FALSE(find_bottleneck(chain, {share(0.95, 0.0), share(0.3, 0.0), share(0.2, 0.0)}));
  // Boundaries: busy exactly half and feeder waiting exactly half qualify; own wait a fifth does
  // not.
  CHECK(find_bottleneck(chain, {share(0.1, 0.5), share(0.5, 0.0), share(0.0, 0.0)}) == 1u);
  CHECK_FALSE(find_bottleneck(chain, {share(0.1, 0.49), share(0.9, 0.0), share(0.0, 0.0)}));
  CHECK_FALSE(find_bottleneck(chain, {share(0.1, 0.9), share(0.49, 0.0), share(0.0, 0.0)}));
  CHECK_FALSE(find_bottleneck(chain, {share(0.1, 0.9), share(0.7, 0.2), share(0.0, 0.0)}));
  // A task that did not answer neither qualifies nor makes its consumer qualify.
  CHECK_FALSE(find_bottleneck(chain, {task_share{}, share(0.9, 0.0), share(0.0, 0.0)}));
}

TEST_CASE("a waiting source two hops up makes the busy task the bottleneck", "[unit][bottleneck]") {
  // Under load the middle task looks idle between frames; the source ahead of it is stuck.
  std::vector<std::pair<uint32_t, uint32_t>> longer{{0, 1}, {1, 2}, {2, 3}};
  CHECK(find_bottleneck(longer,
                        {share(0.05, 0.95), share(0.05, 0.35), share(0.58, 0.01), share(0.01, 0.0)})
        == 2u);
  // Nothing upstream waits: no name.
  CHECK_FALSE(find_bottleneck(
      longer, {share(0.05, 0.3), share(0.05, 0.35), share(0.58, 0.01), share(0.01, 0.0)}));
}

TEST_CASE("of several candidates, the busiest is named", "[unit][bottleneck]") {
  // Two sources feeding two busy consumers.
  std::vector<std::pair<uint32_t, uint32_t>> two{{0, 2}, {1, 3}};
  CHECK(find_bottleneck(two, {share(0.1, 0.8), share(0.1, 0.8), share(0.7, 0.0), share(0.9, 0.1)})
        == 3u);
}
