// Global windows stepped through their task: a count trigger fires every n
// records (purging or keeping them), a predicate trigger on a marker, an
// event-time trigger at the end of each period that brought records, and
// evictors keep the last n or a span of event time.

#include <catch2/catch.hpp>

#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "support/fake_transport.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"

using namespace weir;

namespace {

/// A source (task 0) keyed by x % 2 into a global window (task 1) whose
/// firings emit the sum of the window's records; a sink (task 2).
struct global_job {
  environment env;
  std::unique_ptr<test::stepped_task> task;
  global_job(global_trigger<int64_t> trigger, std::optional<global_evictor> evictor = std::nullopt) {
    auto keyed = env.from_collection<int64_t>({1}).uid("src").key_by([](int64_t x) { return x % 2; });
    auto windowed = evictor ? keyed.global_window(trigger).evictor(*evictor) : keyed.global_window(trigger);
    windowed.process([](const int64_t&, const std::vector<int64_t>& rs, emitter<int64_t>& out) {
      out.emit(std::accumulate(rs.begin(), rs.end(), int64_t{0}));
    }).uid("windows").sink(collect_sink(std::make_shared<collected<int64_t>>())).uid("out");
    runtime_options o;
    o.batch_size = 1;
    task = std::make_unique<test::stepped_task>(env, 1, o);
    REQUIRE_FALSE((*task)->start());
    REQUIRE_FALSE((*task)->on_credit(0, 100));
  }
  test::stepped_task& t() { return *task; }
};

} // namespace

TEST_CASE("a count trigger fires every n records of a key, purging or keeping them", "[unit][global_window]") {
  SECTION("purging") {
    global_job job(global_trigger<int64_t>::count(3).purging());
    REQUIRE_FALSE(job.t()->on_frame(0, test::int_frame(0, 0, {{2, 1}, {4, 2}, {1, 3}, {6, 4}, {8, 5}, {10, 6}, {12, 7}})));
    CHECK(job.t().tr.values() == std::vector<int64_t>{12, 30}); // 2+4+6, then 8+10+12
  }
  SECTION("keeping") {
    global_job job(global_trigger<int64_t>::count(2));
    REQUIRE_FALSE(job.t()->on_frame(0, test::int_frame(0, 0, {{2, 1}, {4, 2}, {6, 3}, {8, 4}})));
    CHECK(job.t().tr.values() == std::vector<int64_t>{6, 20}); // 2+4, then 2+4+6+8
  }
}

TEST_CASE("a predicate trigger fires on a marker, and a count evictor keeps the last n", "[unit][global_window]") {
  global_job job(global_trigger<int64_t>::when([](const int64_t& x) { return x >= 100; }).purging(),
                 global_evictor::last(2));
  REQUIRE_FALSE(job.t()->on_frame(0, test::int_frame(0, 0, {{2, 1}, {4, 2}, {6, 3}, {100, 4}, {8, 5}, {200, 6}})));
  CHECK(job.t().tr.values() == std::vector<int64_t>{106, 208}); // the last 2 when each marker came
}

TEST_CASE("an event-time trigger fires at the end of each period that brought records, and a time evictor "
          "keeps a span",
          "[unit][global_window][watermark]") {
  global_job job(global_trigger<int64_t>::event_time_every(std::chrono::milliseconds(100)),
                 global_evictor::within(std::chrono::milliseconds(150)));
  REQUIRE_FALSE(job.t()->on_frame(0, test::int_frame(0, 0, {{2, 10}, {4, 60}})));
  REQUIRE_FALSE(job.t()->on_frame(0, detail::make_watermark_frame(0, 1, 98)));
  CHECK(job.t().tr.values().empty());
  REQUIRE_FALSE(job.t()->on_frame(0, detail::make_watermark_frame(0, 2, 99))); // the end of [0, 100)
  CHECK(job.t().tr.values() == std::vector<int64_t>{6});
  REQUIRE_FALSE(job.t()->on_frame(0, detail::make_watermark_frame(0, 3, 400))); // nothing came: no firing
  CHECK(job.t().tr.values() == std::vector<int64_t>{6});
  REQUIRE_FALSE(job.t()->on_frame(0, test::int_frame(0, 4, {{6, 410}, {8, 420}})));
  REQUIRE_FALSE(job.t()->on_frame(0, detail::make_watermark_frame(0, 5, 499)));
  CHECK(job.t().tr.values() == std::vector<int64_t>{6, 14}); // 2 and 4 are more than 150 ms older than 8
}
