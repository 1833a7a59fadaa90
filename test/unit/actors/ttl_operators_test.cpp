// State TTL beyond process functions, stepped through their tasks on a
// manual clock: a rolling reduce, a count window, a co-process function
// (renewed by either input) and a keyed broadcast function (its keyed
// State expires, its broadcast map does not) start a key from nothing once
// it was silent for the TTL; time windows and interval joins refuse a TTL.

#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <stdexcept>
#include <vector>

#include "support/fake_transport.hpp"
#include "weir/clock.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"

using namespace weir;
using std::chrono::milliseconds;

namespace {

struct counter {
  int64_t n = 0;
  void fields(state_fields& f) { f("n", n); }
};

auto by_last_digit() {
  return [](const int64_t& x) { return x % 10; };
}

state_ttl ttl_100ms() { return state_ttl::processing_time(milliseconds(100)); }

/// A task stepped on a manual clock: task `index` of `env`, inputs with credit.
struct ttl_task {
  manual_clock clock{10000};
  std::unique_ptr<test::stepped_task> task;
  uint64_t sequence[2] = {0, 0};
  ttl_task(environment& env, uint32_t index) {
    runtime_options o;
    o.batch_size = 1;
    o.clock = &clock;
    task = std::make_unique<test::stepped_task>(env, index, o);
    REQUIRE_FALSE((*task)->start());
    REQUIRE_FALSE((*task)->on_credit(0, 100));
  }
  void record(int64_t x, uint32_t channel = 0) {
    REQUIRE_FALSE((*task)->on_frame(channel, test::int_frame(channel, sequence[channel]++, {{x, 1}})));
  }
  std::vector<int64_t> values() { return task->tr.values(); }
};

} // namespace

TEST_CASE("a rolling reduce under a TTL starts a key from its record once it was silent for the TTL",
          "[unit][ttl]") {
  environment env;
  env.from_collection<int64_t>({1}).uid("src")
      .key_by(by_last_digit()).state_ttl(ttl_100ms())
      .reduce([](const int64_t& a, const int64_t& b) { return a + b; }).uid("sum")
      .sink(collect_sink(std::make_shared<collected<int64_t>>())).uid("out");
  ttl_task t(env, 1);
  t.record(11);
  t.clock.advance(99);
  t.record(21); // 99 ms: kept, renewed
  t.clock.advance(100);
  t.record(31); // 100 ms: expired
  CHECK(t.values() == std::vector<int64_t>{11, 32, 31});
}

TEST_CASE("a count window under a TTL forgets a silent key's partial window", "[unit][ttl][count_window]") {
  environment env;
  env.from_collection<int64_t>({1}).uid("src")
      .key_by(by_last_digit()).state_ttl(ttl_100ms())
      .count_window(3).reduce([](const int64_t& a, const int64_t& b) { return a + b; }).uid("sums")
      .sink(collect_sink(std::make_shared<collected<int64_t>>())).uid("out");
  ttl_task t(env, 1);
  t.record(1);
  t.record(11);
  t.clock.advance(100);
  for (int64_t x : {21, 31, 41}) t.record(x);
  CHECK(t.values() == std::vector<int64_t>{93}); // not 1 + 11 + 21
}

TEST_CASE("a global window under a TTL forgets a silent key's records", "[unit][ttl][global_window]") {
  environment env;
  env.from_collection<int64_t>({1}).uid("src")
      .key_by(by_last_digit()).state_ttl(ttl_100ms())
      .global_window(global_trigger<int64_t>::count(2))
      .process([](const int64_t&, const std::vector<int64_t>& rs, emitter<int64_t>& out) {
        int64_t sum = 0;
        for (auto r : rs) sum += r;
        out.emit(sum);
      })
      .uid("sums")
      .sink(collect_sink(std::make_shared<collected<int64_t>>())).uid("out");
  ttl_task t(env, 1);
  t.record(1);
  t.clock.advance(100);
  t.record(11);
  t.record(21);
  CHECK(t.values() == std::vector<int64_t>{32}); // not 1 + 11
}

TEST_CASE("a co-process function under a TTL is renewed by records of either input", "[unit][ttl]") {
  environment env;
  auto a = env.from_collection<int64_t>({1}).uid("a").parallelism(1);
  auto b = env.from_collection<int64_t>({1}).uid("b").parallelism(1);
  a.connect(b).key_by(by_last_digit(), by_last_digit()).state_ttl(ttl_100ms())
      .process<int64_t, counter>(
          [](const int64_t&, counter& c, keyed_context<int64_t>&, emitter<int64_t>& out) { out.emit(++c.n); },
          [](const int64_t&, counter& c, keyed_context<int64_t>&, emitter<int64_t>& out) { out.emit(-(++c.n)); })
      .uid("both")
      .sink(collect_sink(std::make_shared<collected<int64_t>>())).uid("out");
  ttl_task t(env, 2);
  t.record(1, 0);
  t.clock.advance(60);
  t.record(11, 1); // renews the key
  t.clock.advance(60);
  t.record(21, 0); // 120 ms after a's record, 60 after b's: kept
  t.clock.advance(100);
  t.record(31, 1); // expired
  CHECK(t.values() == std::vector<int64_t>{1, -2, 3, -1});
}

TEST_CASE("a keyed broadcast function under a TTL expires its keyed State, not its broadcast state",
          "[unit][ttl][broadcast]") {
  environment env;
  auto events = env.from_collection<int64_t>({1}).uid("events").parallelism(1);
  auto rules = env.from_collection<int64_t>({1}).uid("rules").parallelism(1);
  events.key_by(by_last_digit()).state_ttl(ttl_100ms())
      .connect(rules.broadcast(broadcast_state_descriptor<int64_t, int64_t>("rules")))
      .process<int64_t, counter>(
          [](const int64_t&, counter& c, const std::map<int64_t, int64_t>& r, keyed_context<int64_t>&,
             emitter<int64_t>& out) { out.emit(1000 * static_cast<int64_t>(r.size()) + ++c.n); },
          [](const int64_t& rule, std::map<int64_t, int64_t>& r, process_context&, emitter<int64_t>&) { r[rule] = 1; })
      .uid("apply")
      .sink(collect_sink(std::make_shared<collected<int64_t>>())).uid("out");
  ttl_task t(env, 2);
  t.record(1);
  t.record(7, 1); // a rule
  t.clock.advance(100);
  t.record(11);
  CHECK(t.values() == std::vector<int64_t>{1, 1001}); // the count starts again, the rule stays
}

TEST_CASE("time windows and interval joins refuse a TTL: they drop their state by time", "[unit][ttl]") {
  environment env;
  auto keyed = env.from_collection<int64_t>({1}).uid("src").key_by(by_last_digit()).state_ttl(ttl_100ms());
  CHECK_THROWS_WITH(keyed.window(tumbling_event_time_windows::of(milliseconds(10))),
                    Catch::Contains("window") && Catch::Contains("state_ttl"));
  CHECK_THROWS_AS(keyed.interval_join(keyed).between(milliseconds(-1), milliseconds(1)), std::logic_error);
  auto plain = env.from_collection<int64_t>({1}).uid("other").key_by(by_last_digit());
  CHECK_THROWS_WITH(plain.interval_join(keyed), Catch::Contains("the other side has a TTL"));
}
