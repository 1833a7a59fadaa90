// Early firings in a job: a window far longer than the run (one hour of
// event time) gives early counts while records arrive over about a second,
// each key's counts growing, and its final count, at end of input, equal to
// the oracle's at parallelism 1 and 3.

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <tuple>
#include <utility>
#include <vector>

#include "support/aggregates.hpp"
#include "support/paced_source.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"
#include "weir/windows.hpp"

using namespace weir;
using std::chrono::milliseconds;

TEST_CASE("a long window fires early with growing counts and finally with the exact one",
          "[integration][early_firing]") {
  using event = std::pair<int64_t, int64_t>; // key, event time
  constexpr uint64_t n = 3000;               // at 3 a millisecond: about a second
  for (uint32_t p : {1u, 3u}) {
    environment env;
    env.set_parallelism(p);
    auto out = std::make_shared<collected<std::pair<int64_t, int64_t>>>();
    env.add_source<event>(test::paced(n, 3.0, [](uint64_t i) { return event{static_cast<int64_t>(i % 4), static_cast<int64_t>(i)}; }))
        .uid("events").parallelism(1)
        .assign_timestamps_and_watermarks(watermark_strategy<event>::for_monotonous_timestamps().with_timestamp_assigner(
            [](const event& e) { return e.second; }))
        .uid("time").parallelism(1)
        .key_by([](const event& e) { return e.first; })
        .window(tumbling_event_time_windows::of(std::chrono::hours(1)))
        .early_firing_every(milliseconds(50))
        .aggregate<std::pair<int64_t, int64_t>>(test::count_aggregate{},
                                                [](int64_t key, const time_window&, int64_t count,
                                                   emitter<std::pair<int64_t, int64_t>>& o) { o.emit({key, count}); })
        .uid("counts")
        .sink(collect_sink(out))
        .uid("out");
    auto result = env.execute("early");
    INFO("parallelism " << p << ": " << result.failure.to_string());
    REQUIRE(result.ok());
    std::map<int64_t, std::vector<int64_t>> per_key; // each key's results, in the order written
    for (const auto& [key, count] : out->values()) per_key[key].push_back(count);
    REQUIRE(per_key.size() == 4);
    size_t early = 0;
    for (const auto& [key, counts] : per_key) {
      INFO("key " << key);
      CHECK(counts.back() == static_cast<int64_t>(n / 4)); // the final result, exact
      CHECK(std::is_sorted(counts.begin(), counts.end()));
      early += counts.size() - 1;
    }
    CHECK(early >= 4); // at least one early result per key over about a second
  }
}
