// Triggers of time windows, stepped on the window operator itself: count
// and predicate triggers fire within a window (purging or not, at its end
// only when asked), a periodic event-time trigger fires as the watermark
// passes each period that brought records, sessions add their counts when
// they merge, a record within the lateness fires again, and a checkpoint
// keeps each window's count and purged state.

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/aggregates.hpp"
#include "support/fake_transport.hpp"
#include "weir/detail/state_json.hpp"
#include "weir/clock.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"

using namespace weir;
using std::chrono::milliseconds;

namespace {

/// Records to a vector, with their timestamps.
struct recorder final : detail::collector<int64_t> {
  std::vector<int64_t> values;
  std::vector<int64_t> times;
  void collect(const int64_t& v, int64_t ts) override {
    values.push_back(v);
    times.push_back(ts);
  }
};

struct even_key {
  int64_t operator()(int64_t x) const { return x % 2; }
};

using sum_policy = detail::aggregate_policy<int64_t, test::sum_aggregate>;
using part_type = detail::window_part<int64_t, int64_t, even_key, sum_policy>;

/// One window subtask summing records per key (x % 2) in `assigner`'s windows, fired by `trigger`.
struct triggered_windows {
  manual_clock clock{10000};
  subtask_info info;
  recorder out;
  recorder late;
  std::unique_ptr<part_type> part;

  triggered_windows(window_trigger<int64_t> trigger, window_assigner assigner, int64_t lateness = 0) {
    info.uid = "sums";
    info.key_groups = {0, default_max_parallelism};
    info.clock = &clock;
    detail::window_config<int64_t> config;
    config.lateness = lateness;
    config.trigger = std::move(trigger);
    part = std::make_unique<part_type>(info, even_key{}, sum_policy{}, assigner, config, &out, &late);
  }
  void record(int64_t x, int64_t ts) { part->collect(x, ts); }
  void watermark(int64_t wm) { REQUIRE(part->on_watermark(wm) == wm); }
};

window_assigner tumbling_1s() { return tumbling_event_time_windows::of(milliseconds(1000)); }

} // namespace

TEST_CASE("a count trigger fires every n records of a window, purging or keeping them, and not at its end",
          "[unit][window_trigger]") {
  SECTION("purging") {
    triggered_windows w(window_trigger<int64_t>::count(2).purging(), tumbling_1s());
    for (int64_t x : {2, 4, 6, 8, 10}) w.record(x, x);
    CHECK(w.out.values == std::vector<int64_t>{6, 14}); // 2+4, then 6+8
    w.watermark(999);
    CHECK(w.out.values == std::vector<int64_t>{6, 14}); // 10 is dropped with the window, as in Flink
    CHECK(w.out.times == std::vector<int64_t>{999, 999}); // the window's last millisecond
  }
  SECTION("keeping") {
    triggered_windows w(window_trigger<int64_t>::count(2), tumbling_1s());
    for (int64_t x : {2, 4, 6, 8, 10}) w.record(x, x);
    w.watermark(999);
    CHECK(w.out.values == std::vector<int64_t>{6, 20});
  }
  SECTION("each window counts its own") {
    triggered_windows w(window_trigger<int64_t>::count(2), tumbling_1s());
    w.record(2, 10);
    w.record(4, 1010); // another window
    w.record(1, 20);   // another key
    CHECK(w.out.values.empty());
    w.record(6, 20);
    CHECK(w.out.values == std::vector<int64_t>{8});
  }
}

TEST_CASE("or_at_window_end fires what came since the last firing when time passes the window's end",
          "[unit][window_trigger][watermark]") {
  triggered_windows w(window_trigger<int64_t>::count(2).purging().or_at_window_end(), tumbling_1s());
  for (int64_t x : {2, 4, 6}) w.record(x, x);
  w.watermark(998);
  CHECK(w.out.values == std::vector<int64_t>{6});
  w.watermark(999);
  CHECK(w.out.values == std::vector<int64_t>{6, 6}); // 2+4, then 6: each record once
  SECTION("nothing since the last firing: no firing") {
    triggered_windows v(window_trigger<int64_t>::count(2).or_at_window_end(), tumbling_1s());
    v.record(2, 1);
    v.record(4, 2);
    v.watermark(999);
    CHECK(v.out.values == std::vector<int64_t>{6});
  }
}

TEST_CASE("a predicate trigger fires after a marker record", "[unit][window_trigger]") {
  triggered_windows w(window_trigger<int64_t>::when([](const int64_t& x) { return x >= 100; }).purging(),
                      tumbling_1s());
  for (int64_t x : {2, 4, 100, 6, 200, 8}) w.record(x, 5);
  CHECK(w.out.values == std::vector<int64_t>{106, 206});
}

TEST_CASE("a periodic event-time trigger fires as the watermark passes each period that brought records, "
          "and at the window's end",
          "[unit][window_trigger][watermark]") {
  triggered_windows w(window_trigger<int64_t>::event_time_every(milliseconds(100)), tumbling_1s());
  w.record(2, 10);
  w.record(4, 150); // ahead of the watermark: in the first firing too
  w.watermark(98);
  CHECK(w.out.values.empty());
  w.watermark(99); // the end of [0, 100)
  CHECK(w.out.values == std::vector<int64_t>{6});
  w.watermark(450); // nothing came since: no firing
  CHECK(w.out.values == std::vector<int64_t>{6});
  w.record(6, 460);
  w.watermark(498);
  CHECK(w.out.values == std::vector<int64_t>{6});
  w.watermark(499); // the end of the period holding the watermark's next millisecond
  CHECK(w.out.values == std::vector<int64_t>{6, 12});
  w.record(8, 970);
  w.watermark(999); // its period ends with the window: one firing
  CHECK(w.out.values == std::vector<int64_t>{6, 12, 20});
}

TEST_CASE("a record within the allowed lateness fires a window again under a trigger firing at its end, "
          "and counts towards a count trigger",
          "[unit][window_trigger][lateness]") {
  SECTION("at the end") {
    triggered_windows w(window_trigger<int64_t>::event_time_every(milliseconds(100)).purging(), tumbling_1s(), 500);
    w.record(2, 10);
    w.watermark(1200);
    w.record(4, 20); // 1200 < 999 + 500: within the lateness
    CHECK(w.out.values == std::vector<int64_t>{2, 4});
    w.watermark(1499);
    w.record(6, 30); // its state is gone: late data
    CHECK(w.out.values == std::vector<int64_t>{2, 4});
    CHECK(w.late.values == std::vector<int64_t>{6});
  }
  SECTION("by count") {
    triggered_windows w(window_trigger<int64_t>::count(2), tumbling_1s(), 500);
    w.record(2, 10);
    w.watermark(1200);
    CHECK(w.out.values.empty());
    w.record(4, 20);
    CHECK(w.out.values == std::vector<int64_t>{6});
  }
}

TEST_CASE("merging sessions add their counts", "[unit][window_trigger][session]") {
  triggered_windows w(window_trigger<int64_t>::count(3), event_time_session_windows::with_gap(milliseconds(100)));
  w.record(2, 0);   // [0, 100)
  w.record(4, 500); // [500, 600), its own session
  w.record(6, 150); // [150, 250)
  CHECK(w.out.values.empty());
  w.record(8, 90); // [90, 190) bridges [0, 100) and [150, 250): 1 + 1 + 1 records
  CHECK(w.out.values == std::vector<int64_t>{16});
}

TEST_CASE("a checkpoint keeps each window's count and what a purge emptied", "[unit][window_trigger][state]") {
  auto trigger = window_trigger<int64_t>::count(2).purging().or_at_window_end();
  triggered_windows before(trigger, tumbling_1s());
  for (int64_t x : {2, 4, 6}) before.record(x, x); // fired 2+4 and purged; 6 counted
  before.record(8, 1500);                        // another window, one record
  detail::operator_snapshot snap;
  before.part->snapshot(snap);
  triggered_windows after(trigger, tumbling_1s());
  after.part->restore(snap);
  after.record(10, 20); // the second record since the first window fired
  CHECK(after.out.values == std::vector<int64_t>{16});
  after.watermark(1999);
  CHECK(after.out.values == std::vector<int64_t>{16, 8}); // the first window has nothing left to fire

  SECTION("the state reads without the job's code, as weir state query reads it") {
    std::vector<std::string> rows;
    for (const auto& [group, blob] : snap.key_groups) {
      auto kg = detail::decode_key_group_as_stored(blob, "sums");
      REQUIRE(kg);
      REQUIRE(kg->first.fields.size() == 1);
      CHECK(kg->first.fields[0].second == "list<tuple<int64,int64,value<int64>,uint64>>");
      for (size_t i = 0; i < kg->second.entries.size(); ++i) {
        byte_reader in(kg->second.entries.entry(i));
        auto key = detail::json_of(kg->first.key_type, in);
        auto windows = detail::json_of(kg->first.fields[0].second, in);
        REQUIRE(key);
        REQUIRE(windows);
        rows.push_back(*key + " " + *windows);
      }
    }
    // The first window purged with 6 counted since; the second holding 8.
    CHECK(rows == std::vector<std::string>{"0 [[0,1000,6,1],[1000,2000,8,1]]"});
  }
  SECTION("the default trigger's state does not restore under another, nor back, naming the field") {
    triggered_windows plain(window_trigger<int64_t>::at_window_end(), tumbling_1s());
    plain.record(2, 2);
    detail::operator_snapshot old;
    plain.part->snapshot(old);
    triggered_windows counted(window_trigger<int64_t>::count(2), tumbling_1s());
    CHECK_THROWS_WITH(counted.part->restore(old), Catch::Contains("windows"));
    triggered_windows back(window_trigger<int64_t>::at_window_end(), tumbling_1s());
    CHECK_THROWS_WITH(back.part->restore(snap), Catch::Contains("windows"));
  }
}

TEST_CASE("a window a purge emptied is checkpointed empty and fires nothing at its end after a restore",
          "[unit][window_trigger][state]") {
  auto trigger = window_trigger<int64_t>::count(2).purging().or_at_window_end();
  triggered_windows before(trigger, tumbling_1s());
  before.record(2, 2);
  before.record(4, 4); // fires 6 and empties the window
  detail::operator_snapshot snap;
  before.part->snapshot(snap);
  REQUIRE(snap.key_groups.size() == 1);
  auto kg = detail::decode_key_group_as_stored(snap.key_groups[0].second, "sums");
  REQUIRE(kg);
  byte_reader in(kg->second.entries.entry(0));
  REQUIRE(detail::json_of(kg->first.key_type, in));
  CHECK(detail::json_of(kg->first.fields[0].second, in) == std::optional<std::string>("[[0,1000,null,0]]"));
  triggered_windows after(trigger, tumbling_1s());
  after.part->restore(snap);
  after.watermark(999);
  CHECK(after.out.values.empty()); // nothing came since it fired
  after.record(6, 6);
  CHECK(after.late.values == std::vector<int64_t>{6}); // and the window is gone
}

TEST_CASE("a trigger is refused with early firings, and a periodic event-time trigger on processing time",
          "[unit][window_trigger]") {
  environment env;
  auto keyed = env.from_collection<int64_t>({1}).uid("src").key_by([](int64_t x) { return x; });
  auto every = window_trigger<int64_t>::event_time_every(milliseconds(10));
  CHECK_THROWS_WITH(keyed.window(tumbling_1s()).early_firing_every(milliseconds(5)).trigger(every),
                    Catch::Contains("early firings"));
  CHECK_NOTHROW(keyed.window(tumbling_1s()).early_firing_every(milliseconds(5)).trigger(
      window_trigger<int64_t>::at_window_end())); // the default is no other trigger
  CHECK_THROWS_WITH(keyed.window(tumbling_1s()).trigger(every).early_firing_every(milliseconds(5)),
                    Catch::Contains("trigger"));
  CHECK_THROWS_WITH(keyed.window(tumbling_processing_time_windows::of(milliseconds(10))).trigger(every),
                    Catch::Contains("event-time windows"));
  CHECK_THROWS_WITH(window_trigger<int64_t>::count(0), Catch::Contains("at least 1"));
  CHECK_THROWS_WITH(window_trigger<int64_t>::event_time_every(milliseconds(0)), Catch::Contains("positive"));
}

TEST_CASE("a count evictor keeps a window's last n records for its process function, under any trigger",
          "[unit][window_trigger][evictor]") {
  for (bool counted : {false, true}) {
    INFO((counted ? "count trigger" : "default trigger"));
    environment env;
    auto windowed = env.from_collection<int64_t>({1}).uid("src")
                        .key_by([](int64_t x) { return x % 2; })
                        .window(tumbling_1s())
                        .keep_last(2);
    if (counted) windowed.trigger(window_trigger<int64_t>::count(3));
    windowed.process([](const int64_t&, const time_window&, const std::vector<int64_t>& rs, emitter<int64_t>& out) {
              int64_t sum = 0;
              for (auto r : rs) sum += r;
              out.emit(sum);
            })
        .uid("sums")
        .sink(collect_sink(std::make_shared<collected<int64_t>>())).uid("out");
    runtime_options o;
    o.batch_size = 1;
    test::stepped_task t(env, 1, o);
    REQUIRE_FALSE(t->start());
    REQUIRE_FALSE(t->on_credit(0, 10));
    REQUIRE_FALSE(t->on_frame(0, test::int_frame(0, 0, {{2, 1}, {4, 2}, {6, 3}, {8, 4}})));
    REQUIRE_FALSE(t->on_frame(0, detail::make_watermark_frame(0, 1, 999)));
    if (counted) CHECK(t.tr.values() == std::vector<int64_t>{10}); // at the 3rd record: 4 + 6; 8 alone never fires
    else CHECK(t.tr.values() == std::vector<int64_t>{14});         // at the end: 6 + 8
  }
  environment env;
  auto windowed = env.from_collection<int64_t>({1}).uid("src").key_by([](int64_t x) { return x; }).window(tumbling_1s());
  CHECK_THROWS_WITH(windowed.keep_last(0), Catch::Contains("at least 1"));
  CHECK_THROWS_WITH(windowed.keep_last(2).reduce([](const int64_t& a, const int64_t& b) { return a + b; }),
                    Catch::Contains("reduce keeps none"));
}
