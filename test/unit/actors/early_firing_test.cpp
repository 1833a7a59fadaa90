// Early firings of event-time windows, stepped with a manual clock: every
// period each window not fired yet emits its result so far; the watermark
// still fires the final result, after which the window fires early no more.

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <memory>

#include "support/aggregates.hpp"
#include "support/fake_transport.hpp"
#include "weir/clock.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"
#include "weir/windows.hpp"

using namespace weir;
using std::chrono::milliseconds;

TEST_CASE("an event-time window fires early every period with its count so far, then finally on "
          "the watermark, then no more",
          "[unit][early_firing]") {
  manual_clock clock(10000);
  environment env;
  env.from_collection<int64_t>({1}).uid("src")
      .key_by([](int64_t x) { return x % 2; })
      .window(tumbling_event_time_windows::of(milliseconds(1000)))
      .early_firing_every(milliseconds(100))
      .aggregate(test::count_aggregate{}).uid("count")
      .sink(collect_sink(std::make_shared<collected<int64_t>>())).uid("out");
  runtime_options o;
  o.batch_size = 1;
  o.clock = &clock;
  test::stepped_task t(env, 1, o);
  REQUIRE_FALSE(t->start());
  REQUIRE_FALSE(t->on_credit(0, 100));
  REQUIRE_FALSE(t->on_frame(0, test::int_frame(0, 0, {{2, 10}, {4, 20}})));
  clock.set(10099);
  REQUIRE_FALSE(t->on_processing_timer());
  CHECK(t.tr.values().empty()); // not a period yet
  clock.set(10100);
  REQUIRE_FALSE(t->on_processing_timer());
  CHECK(t.tr.values() == std::vector<int64_t>{2}); // the even key's window so far
  REQUIRE_FALSE(t->on_frame(0, test::int_frame(0, 1, {{6, 30}, {1, 40}})));
  clock.set(10200);
  REQUIRE_FALSE(t->on_processing_timer());
  auto v = t.tr.values();
  std::sort(v.begin() + 1, v.end());
  CHECK(v == std::vector<int64_t>{2, 1, 3}); // both keys' windows so far
  REQUIRE_FALSE(t->on_frame(0, detail::make_watermark_frame(0, 2, 999)));
  CHECK(t.tr.values().size() == 5); // the final results, 3 and 1
  clock.set(10300);
  REQUIRE_FALSE(t->on_processing_timer());
  CHECK(t.tr.values().size() == 5); // fired windows fire early no more
}

TEST_CASE("early firings need a period and event-time windows", "[unit][early_firing]") {
  environment env;
  auto keyed = env.from_collection<int64_t>({1}).uid("src").key_by([](int64_t x) { return x; });
  CHECK_THROWS_WITH(keyed.window(tumbling_event_time_windows::of(milliseconds(10))).early_firing_every(milliseconds(0)),
                    Catch::Contains("at least 1 ms"));
  CHECK_THROWS_WITH(keyed.window(tumbling_processing_time_windows::of(milliseconds(10))).early_firing_every(milliseconds(5)),
                    Catch::Contains("event-time windows"));
}
