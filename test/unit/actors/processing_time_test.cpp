#include <catch2/catch.hpp>

#include "support/aggregates.hpp"
#include "support/fake_transport.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"

using namespace weir;
using std::chrono::milliseconds;

namespace {

/// Records without timestamps: processing time needs none.
std::vector<char> untimed(uint64_t seq, const std::vector<int64_t>& values) {
  std::vector<std::pair<int64_t, int64_t>> vts;
  for (auto v : values) vts.push_back({v, detail::no_timestamp});
  return test::int_frame(0, seq, vts);
}

/// src -> count per 10 ms tumbling processing-time window -> out; task 1 is
/// the window, stepped with `clock` and given credit downstream.
struct counting_window {
  environment env;
  std::unique_ptr<test::stepped_task> task;

  explicit counting_window(manual_clock& clock) {
    env.from_collection<int64_t>({1}).uid("src")
      .key_by([](int64_t) { return 0; })
      .window(tumbling_processing_time_windows::of(milliseconds(10)))
      .aggregate(test::count_aggregate{}).uid("count")
      .sink(collect_sink(std::make_shared<collected<int64_t>>())).uid("out");
    runtime_options o;
    o.clock = &clock;
    o.batch_size = 1;
    task = std::make_unique<test::stepped_task>(env, 1, o);
    REQUIRE_FALSE((*task)->start());
    REQUIRE_FALSE((*task)->on_credit(0, 10));
  }
};

} // namespace

TEST_CASE("a processing-time window fires when the injected clock passes its end",
          "[unit][processing_time]") {
  manual_clock clock(1000);
  counting_window w(clock);
  auto& t = *w.task;
  REQUIRE_FALSE(t->on_frame(0, untimed(0, {7, 8, 9})));
  CHECK(t.tr.timers == 1); // a timer for the window's end
  clock.set(1005);
  REQUIRE_FALSE(t->on_processing_timer());
  CHECK(t.tr.frames.empty());
  clock.set(1010);
  REQUIRE_FALSE(t->on_processing_timer());
  CHECK(t.tr.values() == std::vector<int64_t>{3});
}

// Found in review: the timer used to fire at the window's last millisecond,
// and a record arriving in that same millisecond was dropped as late.
TEST_CASE("a processing-time record in the last millisecond of a window is counted",
          "[unit][processing_time][regression]") {
  manual_clock clock(1000);
  counting_window w(clock);
  auto& t = *w.task;
  REQUIRE_FALSE(t->on_frame(0, untimed(0, {1})));
  clock.set(1009);
  REQUIRE_FALSE(t->on_processing_timer()); // [1000, 1010) is not over at 1009
  REQUIRE_FALSE(t->on_frame(0, untimed(1, {2})));
  clock.set(1030);
  REQUIRE_FALSE(t->on_processing_timer());
  REQUIRE_FALSE(t->on_frame(0, detail::make_end_of_input_frame(0, 2)));
  CHECK(t.tr.stats.late_records == 0);
  CHECK(t.tr.values() == std::vector<int64_t>{2});
}

TEST_CASE("a keyed process function fires processing-time timers by the injected clock",
          "[unit][processing_time]") {
  struct nothing {};
  manual_clock clock(500);
  environment env;
  env.from_collection<int64_t>({1}).uid("src")
    .key_by([](int64_t x) { return x; })
    .process<int64_t, nothing>(
      [](int64_t, nothing&, keyed_context<int64_t>& ctx, emitter<int64_t>&) {
        ctx.register_processing_time_timer(ctx.current_processing_time() + 50);
      },
      [](int64_t time, nothing&, keyed_context<int64_t>& ctx, emitter<int64_t>& out) {
        REQUIRE(ctx.processing_time_timer());
        out.emit(time + ctx.key());
      })
    .uid("timers")
    .sink(collect_sink(std::make_shared<collected<int64_t>>())).uid("out");
  runtime_options o;
  o.clock = &clock;
  o.batch_size = 1;
  test::stepped_task t(env, 1, o);
  REQUIRE_FALSE(t->start());
  REQUIRE_FALSE(t->on_credit(0, 10));
  REQUIRE_FALSE(t->on_frame(0, untimed(0, {4})));
  clock.set(549);
  REQUIRE_FALSE(t->on_processing_timer());
  CHECK(t.tr.frames.empty());
  clock.set(550);
  REQUIRE_FALSE(t->on_processing_timer());
  CHECK(t.tr.values() == std::vector<int64_t>{554});
}
