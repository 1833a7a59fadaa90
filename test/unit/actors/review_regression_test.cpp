// Regression tests for bugs a code review found (each reproduced first).

#include <catch2/catch.hpp>

#include "support/aggregates.hpp"
#include "support/fake_transport.hpp"
#include "task_core.hpp"
#include "weir/codec.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"

using namespace weir;
using std::chrono::milliseconds;

namespace {

std::vector<char> data(uint32_t ch, uint64_t seq, std::vector<std::pair<int64_t, int64_t>> vts) {
  return test::int_frame(ch, seq, vts);
}

} // namespace

// Found in review: a task whose input went idle, then sent a record (no watermark advance),
// then went idle again, never tells its consumers it is idle again.
TEST_CASE("a task that forwarded records after going idle says idle again", "[unit][regression]") {
  environment env;
  env.from_collection<int64_t>({1}).uid("src")
    .map([](int64_t x) { return x; }).uid("m")
    .sink(collect_sink(std::make_shared<collected<int64_t>>())).uid("out");
  runtime_options o;
  o.batch_size = 1;
  test::stepped_task m(env, 1, o);
  REQUIRE_FALSE(m->start());
  REQUIRE_FALSE(m->on_credit(0, 10));
  REQUIRE_FALSE(m->on_frame(0, detail::make_watermark_frame(0, 0, 100)));
  REQUIRE_FALSE(m->on_frame(0, detail::make_idle_frame(0, 1)));
  REQUIRE_FALSE(m->on_frame(0, data(0, 2, {{7, 50}})));
  REQUIRE_FALSE(m->on_frame(0, detail::make_idle_frame(0, 3)));
  CHECK(m.tr.kinds() == std::vector<std::string>{"wm 100", "idle", "data 7", "idle"});
}

// Found in review: session windows with allowed lateness: a record inside an existing
// session re-creates the same window and a second timer: the window fires twice.
TEST_CASE("a session window with allowed lateness fires once", "[unit][regression]") {
  environment env;
  env.from_collection<int64_t>({1}).uid("src")
    .key_by([](int64_t) { return int64_t{0}; })
    .window(event_time_session_windows::with_gap(milliseconds(10)))
    .allowed_lateness(milliseconds(100))
    .aggregate(test::count_aggregate{}).uid("count")
    .sink(collect_sink(std::make_shared<collected<int64_t>>())).uid("out");
  runtime_options o;
  o.batch_size = 10;
  test::stepped_task w(env, 1, o);
  REQUIRE_FALSE(w->start());
  REQUIRE_FALSE(w->on_credit(0, 10));
  REQUIRE_FALSE(w->on_frame(0, data(0, 0, {{1, 0}, {2, 1}, {3, 0}})));
  REQUIRE_FALSE(w->on_frame(0, detail::make_watermark_frame(0, 1, 20)));
  CHECK(w.tr.kinds() == std::vector<std::string>{"data 3", "wm 20"});
}

// Found in review: processing-time timer of a keyed process function fires after end of
// input was queued (task blocked for credit): a data frame follows end of input.
TEST_CASE("no processing-time timer fires after end of input", "[unit][regression]") {
  struct nothing {};
  manual_clock clock(500);
  environment env;
  env.from_collection<int64_t>({1}).uid("src")
    .key_by([](int64_t x) { return x; })
    .process<int64_t, nothing>(
      [](int64_t, nothing&, keyed_context<int64_t>& ctx, emitter<int64_t>&) {
        ctx.register_event_time_timer(ctx.timestamp());
        ctx.register_processing_time_timer(ctx.current_processing_time() + 50);
      },
      [](int64_t time, nothing&, keyed_context<int64_t>&, emitter<int64_t>& out) { out.emit(time); })
    .uid("timers")
    .sink(collect_sink(std::make_shared<collected<int64_t>>())).uid("out");
  runtime_options o;
  o.clock = &clock;
  o.batch_size = 1;
  test::stepped_task t(env, 1, o);
  REQUIRE_FALSE(t->start());
  REQUIRE_FALSE(t->on_frame(0, data(0, 0, {{4, 5}})));
  REQUIRE_FALSE(t->on_frame(0, detail::make_end_of_input_frame(0, 1)));
  CHECK_FALSE(t.tr.done); // blocked: the timer's output waits for credit
  clock.set(600);
  REQUIRE_FALSE(t->on_processing_timer());
  REQUIRE_FALSE(t->on_credit(0, 10));
  CHECK(t.tr.kinds() == std::vector<std::string>{"data 5", "end"});
}

// Found in review: keyed state re-created by a timer after clear_state: never erased.
namespace {
int live_states = 0;
struct counted {
  counted() { ++live_states; }
  counted(const counted&) { ++live_states; }
  ~counted() { --live_states; }
};
} // namespace

TEST_CASE("a timer for a cleared key does not bring its state back", "[unit][regression]") {
  environment env;
  env.from_collection<int64_t>({1}).uid("src")
    .key_by([](int64_t x) { return x; })
    .process<int64_t, counted>(
      [](int64_t, counted&, keyed_context<int64_t>& ctx, emitter<int64_t>&) {
        ctx.register_event_time_timer(ctx.timestamp() + 10);
        ctx.clear_state();
      },
      [](int64_t, counted&, keyed_context<int64_t>&, emitter<int64_t>&) {})
    .uid("p")
    .sink(collect_sink(std::make_shared<collected<int64_t>>())).uid("out");
  runtime_options o;
  {
    test::stepped_task t(env, 1, o);
    REQUIRE_FALSE(t->start());
    REQUIRE_FALSE(t->on_credit(0, 10));
    REQUIRE_FALSE(t->on_frame(0, data(0, 0, {{1, 5}, {2, 5}, {3, 5}})));
    CHECK(live_states == 0);
    REQUIRE_FALSE(t->on_frame(0, detail::make_watermark_frame(0, 1, 100)));
    CHECK(live_states == 0);
  }
}

// Found in review: a window join with a processing-time assigner runs on event time.
TEST_CASE("a window join rejects processing-time windows", "[unit][regression]") {
  environment env;
  auto a = env.from_collection<int64_t>({1}).uid("a");
  auto b = env.from_collection<int64_t>({1}).uid("b");
  auto joined = a.join(b)
    .where([](int64_t x) { return x; })
    .equal_to([](int64_t x) { return x; });
  CHECK_THROWS_WITH(joined.window(tumbling_processing_time_windows::of(milliseconds(10))),
                    Catch::Contains("needs event-time windows"));
}
