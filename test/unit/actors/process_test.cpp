// A process function without keys, stepped through its task: records out
// with the input's timestamp, side outputs, the context's times.

#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "support/fake_transport.hpp"
#include "weir/clock.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"

using namespace weir;

TEST_CASE("a process function without keys emits and writes side outputs with the record's "
          "timestamp and sees event and processing time",
          "[unit][side_output]") {
  manual_clock clock(5000);
  environment env;
  output_tag<int64_t> big("big");
  auto split = env.from_collection<int64_t>({1}).uid("src")
                   .process([big](const int64_t& x, process_context& ctx, emitter<int64_t>& out) {
                     if (x >= 100) ctx.output(big, x);
                     else out.emit(x + ctx.timestamp() * 1000 + (ctx.current_watermark() == 40 ? 7 : 0)
                                   + (ctx.current_processing_time() == 5000 ? 1000000 : 0));
                   })
                   .uid("split");
  split.sink(collect_sink(std::make_shared<collected<int64_t>>())).uid("small");
  split.side_output(big).sink(collect_sink(std::make_shared<collected<int64_t>>())).uid("big-out");
  runtime_options o;
  o.batch_size = 1;
  o.clock = &clock;
  test::stepped_task t(env, 1, o);
  REQUIRE_FALSE(t->start());
  REQUIRE_FALSE(t->on_credit(0, 10));
  REQUIRE_FALSE(t->on_credit(1, 10));
  REQUIRE_FALSE(t->on_frame(0, test::int_frame(0, 0, {{1, 2}, {150, 3}})));
  REQUIRE_FALSE(t->on_frame(0, detail::make_watermark_frame(0, 1, 40)));
  REQUIRE_FALSE(t->on_frame(0, test::int_frame(0, 2, {{5, 50}})));
  std::vector<int64_t> small, large;
  for (size_t i = 0; i < t.tr.frames.size(); ++i) {
    if (t.tr.view(i).type() != detail::frame_view::kind::data) continue;
    for (auto v : t.tr.records(i)) (t.tr.frames[i].first == 0 ? small : large).push_back(v);
  }
  CHECK(small == std::vector<int64_t>{1 + 2000 + 1000000, 5 + 50000 + 7 + 1000000});
  CHECK(large == std::vector<int64_t>{150});
}
