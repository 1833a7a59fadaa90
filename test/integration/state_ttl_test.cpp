// State TTL in whole jobs: keys that come back after a long silence start
// from an empty State at any parallelism, batch size and chaining and
// through a restart; and a soak over ever-new keys keeps checkpoints flat
// (about the keys of one TTL) while the same job without a TTL grows with
// every key it saw. The state reads back with weir state query, each key
// with its last access.

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "support/paced_source.hpp"
#include "support/run_shapes.hpp"
#include "support/temp_dir.hpp"
#include "weir/checkpoints.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"

using namespace weir;

namespace {

struct counter {
  int64_t n = 0;
  void fields(state_fields& f) { f("n", n); }
};

std::atomic<int> fail{0};

watermark_strategy<int64_t> by_value_times(int64_t ms_per_record) {
  return watermark_strategy<int64_t>::for_monotonous_timestamps().with_timestamp_assigner(
    [ms_per_record](const int64_t& i) { return i * ms_per_record; });
}

/// Records i = 0..n-1 at 10 i ms, in order from one subtask.
stream<int64_t> timed_records(environment& env, int64_t n) {
  return env.generate(static_cast<uint64_t>(n), [](uint64_t i) { return static_cast<int64_t>(i); })
      .uid("records").parallelism(1)
      .assign_timestamps_and_watermarks(by_value_times(10)).uid("times").parallelism(1);
}

/// With key (i / 100) % 50, each key counting its records from 1 after every silence: how
/// often each count is emitted (each run of 100 counts 1 to 100).
std::map<int64_t, int64_t> counts_per_run(int64_t n) {
  std::map<int64_t, int64_t> want; // count -> how often
  for (int64_t i = 0; i < n; ++i) ++want[i % 100 + 1];
  return want;
}

} // namespace

TEST_CASE("keys back after a silence longer than the TTL start from an empty State at any parallelism, "
          "batch size and chaining, and through a restart",
          "[integration][ttl]") {
  // Record i at 10 i ms, key (i / 100) % 50: runs of 100 records over 1 s, each key back after 50 s.
  constexpr int64_t n = 30000;
  auto want = counts_per_run(n);
  for (const auto& shape : test::run_shapes()) {
    fail = shape.failures;
    environment env;
    test::apply_shape(env, shape);
    auto out = std::make_shared<collected<int64_t>>();
    timed_records(env, n)
      .key_by([](const int64_t& i) { return (i / 100) % 50; })
      .state_ttl(state_ttl::event_time(std::chrono::seconds(5)))
      .process<int64_t, counter>([](const int64_t& i, counter& c, keyed_context<int64_t>&, emitter<int64_t>& o) {
        if (i == 20000 && fail.fetch_sub(1) > 0) throw std::runtime_error("once");
        o.emit(++c.n);
      })
      .uid("count")
      .sink(collect_sink(out)).uid("out");
    auto run = env.execute("ttl-runs");
    INFO(shape << ": " << run.failure.to_string());
    REQUIRE(run.ok());
    CHECK(run.restarts == static_cast<uint32_t>(shape.failures));
    std::map<int64_t, int64_t> got;
    for (auto c : out->values()) ++got[c];
    CHECK(got == want);
  }
}

TEST_CASE("a rolling reduce and a co-process function under a TTL start keys back after a silence from "
          "nothing, at any parallelism, batch size and chaining, and through a restart",
          "[integration][ttl]") {
  // As above: runs of 100 records per key, each key back after 50 s of event time. Each key's
  // records reach the operator in order (one upstream subtask): records of a key out of order
  // by more than the TTL would see the state as it was when they came.
  constexpr int64_t n = 30000;
  auto want = counts_per_run(n);
  auto ttl = state_ttl::event_time(std::chrono::seconds(5));
  auto key = [](const int64_t& i) { return (i / 100) % 50; };
  for (bool co_process : {false, true}) {
    for (const auto& shape : test::run_shapes()) {
      fail = shape.failures;
      environment env;
      test::apply_shape(env, shape);
      auto out = std::make_shared<collected<int64_t>>();
      auto records = timed_records(env, n)
        .map([](const int64_t& i) {
          if (i == 20000 && fail.fetch_sub(1) > 0) throw std::runtime_error("once");
          return i;
        }).uid("check").parallelism(1);
      if (co_process) {
        using counted = counter;
        auto count = [](const int64_t&, counted& c, keyed_context<int64_t>&, emitter<int64_t>& o) { o.emit(++c.n); };
        // Even keys on one input, odd on the other: each key's records in order.
        records.filter([key](const int64_t& i) { return key(i) % 2 == 0; }).uid("even").parallelism(1)
          .connect(records.filter([key](const int64_t& i) { return key(i) % 2 == 1; }).uid("odd").parallelism(1))
          .key_by(key, key)
          .state_ttl(ttl)
          .process<int64_t, counted>(count, count).uid("count")
          .sink(collect_sink(out)).uid("out");
      } else {
        using keyed_one = std::pair<int64_t, int64_t>; // key, count
        records.map([key](const int64_t& i) { return keyed_one{key(i), 1}; }).uid("ones").parallelism(1)
          .key_by([](const keyed_one& k) { return k.first; })
          .state_ttl(ttl)
          .reduce([](const keyed_one& a, const keyed_one& b) { return keyed_one{a.first, a.second + b.second}; })
          .uid("count")
          .map([](const keyed_one& k) { return k.second; }).uid("counts")
          .sink(collect_sink(out)).uid("out");
      }
      auto run = env.execute("ttl-operators");
      INFO((co_process ? "co-process, " : "reduce, ") << shape << ": " << run.failure.to_string());
      REQUIRE(run.ok());
      CHECK(run.restarts == static_cast<uint32_t>(shape.failures));
      std::map<int64_t, int64_t> got;
      for (auto c : out->values()) ++got[c];
      for (const auto& [count, times] : want) {
        INFO("count " << count << ": " << got[count] << " times");
        CHECK(got[count] == times);
      }
      CHECK(got.size() == want.size());
    }
  }
}

namespace {

/// The bytes of each completed checkpoint taken while the job ran.
std::vector<uint64_t> checkpoint_bytes(const std::string& state_dir) {
  auto listed = list_checkpoints(state_dir);
  REQUIRE(listed);
  std::vector<uint64_t> bytes;
  for (const auto& c : listed->second)
    if (c.completed && !c.final) bytes.push_back(c.bytes);
  return bytes;
}

/// 200,000 records, each of a new key, at 1 ms apart in event time, paced
/// over about 2 s, counted per key with `ttl` (none: 0), checkpointed every 100 ms.
std::vector<uint64_t> soak(const test::temp_dir& dir, const std::string& name, std::chrono::milliseconds ttl) {
  environment env;
  env.set_parallelism(2);
  env.options().checkpoints.interval_ms = 100;
  env.options().checkpoints.state_dir = dir.file(name);
  auto keyed = env.add_source<int64_t>(test::paced(200000, 100.0, [](uint64_t i) { return static_cast<int64_t>(i); }))
                 .uid("records")
                 .assign_timestamps_and_watermarks(
                   watermark_strategy<int64_t>::for_bounded_out_of_orderness(std::chrono::milliseconds(300))
                     .with_timestamp_assigner([](const int64_t& i) { return i; }))
                 .uid("times")
                 .key_by([](const int64_t& i) { return i; });
  auto count = [](const int64_t&, counter& c, keyed_context<int64_t>&, emitter<int64_t>&) { ++c.n; };
  auto counted = ttl.count() > 0 ? keyed.state_ttl(state_ttl::event_time(ttl)).process<int64_t, counter>(count)
                                 : keyed.process<int64_t, counter>(count);
  counted.uid("count").sink(collect_sink(std::make_shared<collected<int64_t>>())).uid("out");
  auto run = env.execute("ttl-soak");
  INFO(run.failure.to_string());
  REQUIRE(run.ok());
  return checkpoint_bytes(dir.file(name));
}

} // namespace

TEST_CASE("with a TTL, state over ever-new keys stays flat across checkpoints, without one it grows",
          "[integration][ttl][soak]") {
  test::temp_dir dir;
  auto flat = soak(dir, "ttl", std::chrono::seconds(1));
  auto grows = soak(dir, "no-ttl", std::chrono::milliseconds(0));
  INFO("with a TTL: " << Catch::Detail::stringify(flat) << "\nwithout: " << Catch::Detail::stringify(grows));
  REQUIRE(flat.size() >= 6);
  REQUIRE(grows.size() >= 6);
  // After the first second of event time, a TTL keeps about one second of keys (1,000 of them).
  std::vector<uint64_t> settled(flat.begin() + 3, flat.end());
  auto [low, high] = std::minmax_element(settled.begin(), settled.end());
  CHECK(*high <= 2 * *low + 16384);
  CHECK(grows.back() > 10 * *high);
  CHECK(grows.back() > 2 * grows[2]); // the baseline did grow over the run

  // Each key's last access is in the state: read it back with weir state query
  // from the last checkpoint taken while the job ran (the final one holds no
  // key: at the end of event time every key expired).
  auto listed = list_checkpoints(dir.file("ttl"));
  REQUIRE(listed);
  uint64_t last_running = 0;
  for (const auto& c : listed->second)
    if (c.retained && !c.final) last_running = std::max(last_running, c.id);
  REQUIRE(last_running > 0);
  std::vector<std::string> lines;
  state_query q;
  q.operator_uid = "count";
  q.checkpoint = last_running;
  auto read = query_state(dir.file("ttl"), q, [&](const std::string& l) { lines.push_back(l); });
  if (!read) FAIL(read.error_value().to_string());
  CHECK(lines.size() > 100);
  CHECK(lines.size() < 5000); // about a second of keys, of 200,000
  for (const auto& l : lines) REQUIRE_THAT(l, Catch::Contains("\"ttl_last_access_ms\":"));
}
