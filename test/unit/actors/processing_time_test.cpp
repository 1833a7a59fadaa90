#include <catch2/catch.hpp>

#include "support/aggregates.hpp"
#include "support/fake_transport.hpp"
#include "task_core.hpp"
#include "weir/codec.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"

using namespace weir;
using runtime::task_core;
using std::chrono::milliseconds;

namespace {

using clocked_transport = test::fake_transport;

std::vector<char> frame_of(std::vector<int64_t> values) {
  detail::batch_builder b;
  for (auto v : values) b.add(detail::no_timestamp, [&](auto& p) { encode_value(v, p); });
  return b.seal(0, 0);
}


} // namespace

TEST_CASE("a processing-time window fires when the injected clock passes its end",
          "[unit][processing_time]") {
  manual_clock clock(1000);
  environment env;
  env.from_collection<int64_t>({1}).uid("src")
    .key_by([](int64_t) { return 0; })
    .window(tumbling_processing_time_windows::of(milliseconds(10)))
    .aggregate(test::count_aggregate{}).uid("count")
    .sink(collect_sink(std::make_shared<collected<int64_t>>())).uid("out");
  auto plan = *detail::make_plan(env.graph());
  runtime_options o;
  o.clock = &clock;
  o.batch_size = 1;
  clocked_transport tr;
  task_core window(env.graph(), plan, 1, o, tr);
  REQUIRE_FALSE(window.start());
  REQUIRE_FALSE(window.on_credit(0, 10));
  REQUIRE_FALSE(window.on_frame(0, frame_of({7, 8, 9}))); // no timestamps: processing time needs none
  CHECK(tr.timers == 1);                                 // a timer for the window's end
  clock.set(1005);
  REQUIRE_FALSE(window.on_processing_timer());
  CHECK(tr.frames.empty());
  clock.set(1010);
  REQUIRE_FALSE(window.on_processing_timer());
  CHECK(tr.values() == std::vector<int64_t>{3});
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
  auto plan = *detail::make_plan(env.graph());
  runtime_options o;
  o.clock = &clock;
  o.batch_size = 1;
  clocked_transport tr;
  task_core timers(env.graph(), plan, 1, o, tr);
  REQUIRE_FALSE(timers.start());
  REQUIRE_FALSE(timers.on_credit(0, 10));
  REQUIRE_FALSE(timers.on_frame(0, frame_of({4})));
  clock.set(549);
  REQUIRE_FALSE(timers.on_processing_timer());
  CHECK(tr.frames.empty());
  clock.set(550);
  REQUIRE_FALSE(timers.on_processing_timer());
  CHECK(tr.values() == std::vector<int64_t>{554});
}
