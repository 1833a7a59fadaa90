// Side outputs by output tag, stepped through a keyed process function's
// task: ctx.output(tag, value) goes to the channel of stream.side_output(tag)
// with the record's timestamp, the main output to its own; an unread tag is
// dropped; a tag read as another type than written is an error.

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "support/fake_transport.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"
#include "weir/windows.hpp"

using namespace weir;

namespace {

struct nothing {};

/// The int64 records the task sent on output channel `ch`, with timestamps.
std::vector<std::pair<int64_t, int64_t>> on_channel(const test::fake_transport& tr, uint32_t ch) {
  std::vector<std::pair<int64_t, int64_t>> out;
  for (size_t i = 0; i < tr.frames.size(); ++i) {
    if (tr.frames[i].first != ch) continue;
    auto v = tr.view(i);
    auto values = tr.records(i);
    for (size_t r = 0; r < values.size(); ++r) out.emplace_back(values[r], v.timestamp(r));
  }
  return out;
}

runtime_options one_record_per_frame() {
  runtime_options o;
  o.batch_size = 1;
  return o;
}

/// Starts task `t`, with credit on its main output (channel 0) and a side output (1).
void start_with_two_outputs(test::stepped_task& t) {
  REQUIRE_FALSE(t->start());
  REQUIRE_FALSE(t->on_credit(0, 10));
  REQUIRE_FALSE(t->on_credit(1, 10));
}

/// Evens to the main output, odds (times 10) to "odd", negatives to the unread "negative".
void build(environment& env, bool read_odd) {
  output_tag<int64_t> odd("odd"), negative("negative");
  auto split = env.from_collection<int64_t>({1}).uid("src")
                   .key_by([](int64_t x) { return x % 2; })
                   .process<int64_t, nothing>(
                       [odd, negative](const int64_t& x, nothing&, keyed_context<int64_t>& ctx, emitter<int64_t>& out) {
                         if (x < 0) ctx.output(negative, x);
                         else if (x % 2 == 0) out.emit(x);
                         else ctx.output(odd, x * 10);
                       })
                   .uid("split");
  split.sink(collect_sink(std::make_shared<collected<int64_t>>())).uid("evens");
  if (read_odd) split.side_output(odd).sink(collect_sink(std::make_shared<collected<int64_t>>())).uid("odds");
}

} // namespace

TEST_CASE("ctx.output sends to the tag's side output with the record's timestamp, apart from the main output",
          "[unit][side_output]") {
  environment env;
  build(env, true);
  test::stepped_task t(env, 1, one_record_per_frame());
  start_with_two_outputs(t);
  REQUIRE_FALSE(t->on_frame(0, test::int_frame(0, 0, {{2, 20}, {3, 30}, {-5, 50}, {4, 40}, {7, 70}})));
  CHECK(on_channel(t.tr, 0) == std::vector<std::pair<int64_t, int64_t>>{{2, 20}, {4, 40}});
  CHECK(on_channel(t.tr, 1) == std::vector<std::pair<int64_t, int64_t>>{{30, 30}, {70, 70}});
}

TEST_CASE("a side output nothing reads is dropped", "[unit][side_output]") {
  environment env;
  build(env, false);
  test::stepped_task t(env, 1, one_record_per_frame());
  REQUIRE_FALSE(t->start());
  REQUIRE_FALSE(t->on_credit(0, 10));
  REQUIRE_FALSE(t->on_frame(0, test::int_frame(0, 0, {{2, 20}, {3, 30}})));
  CHECK(t.tr.values() == std::vector<int64_t>{2});
}

TEST_CASE("a side output read as another type than it is written fails naming it", "[unit][side_output]") {
  environment env;
  auto split = env.from_collection<int64_t>({1}).uid("src")
                   .key_by([](int64_t x) { return x; })
                   .process<int64_t, nothing>([](const int64_t& x, nothing&, keyed_context<int64_t>& ctx, emitter<int64_t>&) {
                     ctx.output(output_tag<int64_t>("x"), x);
                   })
                   .uid("split");
  split.side_output(output_tag<std::string>("x")).sink(collect_sink(std::make_shared<collected<std::string>>())).uid("xs");
  CHECK_THROWS_WITH(split.side_output(output_tag<int64_t>("x")), Catch::Contains("read as two different types"));
  test::stepped_task t(env, 1);
  REQUIRE_FALSE(t->start());
  REQUIRE_FALSE(t->on_credit(0, 10));
  auto err = t->on_frame(0, test::int_frame(0, 0, {{1, 1}}));
  REQUIRE(err);
  CHECK_THAT(err.message(), Catch::Contains("side output 'x' is written with another type"));
  CHECK_THROWS_WITH(output_tag<int64_t>(""), Catch::Contains("needs a name"));
}

TEST_CASE("a window process function with a context writes side outputs with the window's last "
          "millisecond and sees the watermark",
          "[unit][side_output][window]") {
  environment env;
  output_tag<int64_t> big("big");
  auto sums = env.from_collection<int64_t>({1}).uid("src")
                .key_by([](int64_t) { return 0; })
                .window(tumbling_event_time_windows::of(std::chrono::milliseconds(100)))
                .process([big](const int64_t&, const time_window&, const std::vector<int64_t>& rs,
                               process_context& ctx, emitter<int64_t>& out) {
                  int64_t sum = 0;
                  for (auto r : rs) sum += r;
                  if (sum > 10) {
                    ctx.output(big, sum);
                  } else {
                    out.emit(sum);
                    out.emit(ctx.current_watermark());
                  }
                })
                .uid("sums");
  sums.sink(collect_sink(std::make_shared<collected<int64_t>>())).uid("small");
  sums.side_output(big).sink(collect_sink(std::make_shared<collected<int64_t>>())).uid("bigs");
  test::stepped_task t(env, 1, one_record_per_frame());
  start_with_two_outputs(t);
  REQUIRE_FALSE(t->on_frame(0, test::int_frame(0, 0, {{2, 10}, {3, 20}, {20, 150}})));
  REQUIRE_FALSE(t->on_frame(0, detail::make_watermark_frame(0, 1, 250)));
  CHECK(on_channel(t.tr, 0) == std::vector<std::pair<int64_t, int64_t>>{{5, 99}, {250, 99}});
  CHECK(on_channel(t.tr, 1) == std::vector<std::pair<int64_t, int64_t>>{{20, 199}});
}

TEST_CASE("a window's late records go to the late-data tag's side output with their timestamps",
          "[unit][side_output][lateness]") {
  environment env;
  output_tag<int64_t> late("late");
  auto sums = env.from_collection<int64_t>({1}).uid("src")
                  .key_by([](int64_t x) { return x % 2; })
                  .window(tumbling_event_time_windows::of(std::chrono::milliseconds(10)))
                  .allowed_lateness(std::chrono::milliseconds(5))
                  .side_output_late_data(late)
                  .reduce([](const int64_t& a, const int64_t& b) { return a + b; })
                  .uid("sums");
  sums.sink(collect_sink(std::make_shared<collected<int64_t>>())).uid("main");
  sums.side_output(late).sink(collect_sink(std::make_shared<collected<int64_t>>())).uid("late");
  test::stepped_task t(env, 1, one_record_per_frame());
  start_with_two_outputs(t);
  REQUIRE_FALSE(t->on_frame(0, test::int_frame(0, 0, {{2, 3}, {4, 5}})));
  REQUIRE_FALSE(t->on_frame(0, detail::make_watermark_frame(0, 1, 13))); // fired; 9 + 5 > 13: kept
  REQUIRE_FALSE(t->on_frame(0, test::int_frame(0, 2, {{6, 7}})));      // within the lateness: fires again
  REQUIRE_FALSE(t->on_frame(0, detail::make_watermark_frame(0, 3, 14))); // 9 + 5 <= 14: gone
  REQUIRE_FALSE(t->on_frame(0, test::int_frame(0, 4, {{8, 8}})));      // late
  CHECK(on_channel(t.tr, 0) == std::vector<std::pair<int64_t, int64_t>>{{6, 9}, {12, 9}});
  CHECK(on_channel(t.tr, 1) == std::vector<std::pair<int64_t, int64_t>>{{8, 8}});
}
