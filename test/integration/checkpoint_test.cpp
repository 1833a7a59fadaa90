// Jobs that checkpoint and fail within one process: a failed task restarts
// the job from its latest checkpoint, and the committed output is exactly
// that of a run without failures.

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <iostream>
#include <map>
#include <random>

#include "support/aggregates.hpp"
#include "support/paced_source.hpp"
#include "support/part_files.hpp"
#include "support/seed.hpp"
#include "support/temp_dir.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"

using namespace weir;

namespace {

using keyed = std::pair<int64_t, int64_t>; // key, sequence number


/// Parses "key,count" lines and checks every key's counts run 1..n, each once,
/// in order; returns each key's n.
std::map<int64_t, int64_t> check_running_counts(const std::vector<std::string>& lines) {
  std::map<int64_t, int64_t> last;
  for (const auto& line : lines) {
    auto comma = line.find(',');
    REQUIRE(comma != std::string::npos);
    auto key = std::stoll(line.substr(0, comma));
    auto count = std::stoll(line.substr(comma + 1));
    INFO("key " << key);
    REQUIRE(count == last[key] + 1); // none lost, none twice, in order
    last[key] = count;
  }
  return last;
}

/// N records over K keys -> key_by -> running count -> "key,count" lines.
/// `fail_at(seq)` may throw. Parallelism 2 for every operator.
template <class FailAt>
void build_keyed_count(environment& env, int64_t n, int64_t keys, double per_ms, const std::string& out,
                       FailAt fail_at) {
  env.set_parallelism(2);
  env.add_source<keyed>(test::paced(static_cast<uint64_t>(n), per_ms,
                                    [keys](uint64_t i) { return keyed{static_cast<int64_t>(i) % keys, static_cast<int64_t>(i)}; }))
    .uid("numbers")
    .map([fail_at](const keyed& r) {
      fail_at(r.second);
      return keyed{r.first, 1};
    })
    .uid("check")
    .key_by([](const keyed& r) { return r.first; })
    .reduce([](const keyed& a, const keyed& b) { return keyed{a.first, a.second + b.second}; })
    .uid("count")
    .map([](const keyed& r) { return std::to_string(r.first) + "," + std::to_string(r.second); })
    .uid("format")
    .sink(file_sink(out))
    .uid("out");
}

} // namespace

TEST_CASE("a task that throws once recovers from the latest checkpoint with exact output",
          "[integration][checkpoint]") {
  auto seed = test::test_seed();
  INFO("seed " << seed); // WEIR_TEST_SEED replays it
  std::mt19937_64 rng(seed);
  constexpr int64_t n = 20000, keys = 40;
  int64_t fail_at = n / 2 + static_cast<int64_t>(rng() % (n / 2 - 1));
  static std::atomic<int> thrown{0};
  thrown = 0;
  test::temp_dir dir;
  environment env;
  env.options().checkpoints.interval_ms = 50;
  env.options().restart = restart_strategy::fixed_delay(3, 10);
  std::vector<std::string> log;
  env.options().log = [&](const std::string& line) { log.push_back(line); };
  build_keyed_count(env, n, keys, 20.0, dir.file("out"), [fail_at](int64_t seq) {
    if (seq == fail_at && thrown.fetch_add(1) == 0) throw std::runtime_error("unlucky record");
  });
  auto result = env.execute("count-once");
  INFO(result.failure.to_string());
  REQUIRE(result.ok());
  CHECK(thrown == 2);   // thrown on the first attempt, seen again (replayed) on the second
  CHECK(result.restarts == 1);
  CHECK(result.checkpoints >= 2);
  auto counts = check_running_counts(test::part_lines(dir.file("out")));
  REQUIRE(counts.size() == keys);
  for (const auto& [k, c] : counts) CHECK(c == n / keys);
  auto said = std::any_of(log.begin(), log.end(), [](const std::string& l) {
    return l.find("unlucky record; restarting (1 of 3) from its latest complete checkpoint") != std::string::npos;
  });
  CHECK(said);
}

TEST_CASE("a task that always throws exhausts the restarts and fails with the last error",
          "[integration][checkpoint]") {
  test::temp_dir dir;
  environment env;
  env.options().checkpoints.interval_ms = 20;
  env.options().restart = restart_strategy::exponential_backoff(2, 5, 20);
  build_keyed_count(env, 2000, 4, 50.0, dir.file("out"), [](int64_t seq) {
    if (seq == 1500) throw std::runtime_error("always");
  });
  auto result = env.execute("count-never");
  REQUIRE_FALSE(result.ok());
  CHECK_THAT(result.failure.message(), Catch::Contains("check[") && Catch::Contains("always")
                                         && Catch::EndsWith("(after 2 restarts)"));
  CHECK(test::part_lines(dir.file("out"), true).size() < 2000); // what was committed before, no more
}

TEST_CASE("without checkpoints a restart recomputes from the beginning, output still exact",
          "[integration][checkpoint]") {
  static std::atomic<int> thrown{0};
  thrown = 0;
  auto out = std::make_shared<collected<int64_t>>();
  environment env;
  env.options().restart = restart_strategy::fixed_delay(1, 0);
  std::vector<int64_t> values(1000);
  for (int64_t i = 0; i < 1000; ++i) values[i] = i;
  env.from_collection(values).uid("src")
    .map([](int64_t x) {
      if (x == 700 && thrown.fetch_add(1) == 0) throw std::runtime_error("once");
      return x;
    }).uid("m")
    .sink(collect_sink(out)).uid("out");
  auto result = env.execute("rerun");
  REQUIRE(result.ok());
  CHECK(result.restarts == 1);
  auto got = out->values();
  std::sort(got.begin(), got.end());
  CHECK(got == values); // the failed attempt committed nothing
}

TEST_CASE("composite keys work in reduce, windows and keyed process functions, and restore",
          "[integration][checkpoint]") {
  using event = std::tuple<std::string, int64_t, int64_t>; // name, bucket, time
  struct seen {
    value_state<int64_t> n;
    void fields(state_fields& f) { f("n", n); }
  };
  static std::atomic<int> thrown{0};
  thrown = 0;
  std::vector<event> events;
  for (int64_t i = 0; i < 3000; ++i) events.emplace_back(i % 3 == 0 ? "a" : "b", i % 4, i);
  auto sums = std::make_shared<collected<std::string>>();
  environment env;
  env.set_parallelism(2);
  env.options().checkpoints.interval_ms = 10;
  env.options().restart = restart_strategy::fixed_delay(1, 0);
  auto timed = env.add_source<event>(test::paced(events.size(), 3.0, [events](uint64_t i) { return events[i]; }))
                 .uid("events")
                 // The paced partitions go idle while ahead of their pace and then
                 // trail the other a little: a bound keeps them from being late.
                 .assign_timestamps_and_watermarks(
                   watermark_strategy<event>::for_bounded_out_of_orderness(std::chrono::milliseconds(300))
                     .with_timestamp_assigner([](const event& e) { return std::get<2>(e); }))
                 .uid("ts");
  auto by_pair = [](const event& e) { return std::make_pair(std::get<0>(e), std::get<1>(e)); };
  timed.key_by(by_pair)
    .window(tumbling_event_time_windows::of(std::chrono::milliseconds(1000)))
    .aggregate(test::count_aggregate{}, [](const std::pair<std::string, int64_t>& k, const time_window& w, const int64_t& n,
                                emitter<std::string>& out) {
      if (w.start == 1000 && k.first == "a" && k.second == 1 && thrown.fetch_add(1) == 0)
        throw std::runtime_error("once, after a checkpoint or two");
      out.emit("w:" + k.first + ":" + std::to_string(k.second) + ":" + std::to_string(w.start) + ":" + std::to_string(n));
    })
    .uid("windows")
    .sink(collect_sink(sums)).uid("window-out");
  timed.key_by([](const event& e) { return std::make_tuple(std::get<0>(e), std::get<1>(e) % 2); })
    .process<std::string, seen>(
      [](const event&, seen& s, keyed_context<std::tuple<std::string, int64_t>>& ctx, emitter<std::string>&) {
        s.n.update(s.n.value_or(0) + 1);
        ctx.register_event_time_timer(INT64_MAX - 1);
      },
      [](int64_t, seen& s, keyed_context<std::tuple<std::string, int64_t>>& ctx, emitter<std::string>& out) {
        out.emit("p:" + std::get<0>(ctx.key()) + ":" + std::to_string(std::get<1>(ctx.key())) + ":"
                 + std::to_string(s.n.value()));
      })
    .uid("process")
    .sink(collect_sink(sums)).uid("process-out");
  auto result = env.execute("composite-keys");
  REQUIRE(result.ok());
  CHECK(result.restarts == 1);
  CHECK(result.late_records == 0);
  auto got = sums->values();
  std::sort(got.begin(), got.end());
  std::vector<std::string> want;
  std::map<std::tuple<std::string, int64_t, int64_t>, int64_t> windows;
  std::map<std::pair<std::string, int64_t>, int64_t> parity;
  for (const auto& [name, bucket, t] : events) {
    ++windows[{name, bucket, t / 1000 * 1000}];
    ++parity[{name, bucket % 2}];
  }
  for (const auto& [k, n] : windows)
    want.push_back("w:" + std::get<0>(k) + ":" + std::to_string(std::get<1>(k)) + ":" + std::to_string(std::get<2>(k))
                   + ":" + std::to_string(n));
  for (const auto& [k, n] : parity) want.push_back("p:" + k.first + ":" + std::to_string(k.second) + ":" + std::to_string(n));
  std::sort(want.begin(), want.end());
  CHECK(got == want);
}
