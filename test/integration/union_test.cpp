// Union and non-keyed connect in whole jobs: a union of three sources of
// different parallelism feeding event-time windows gives the same counts as
// an oracle at any parallelism, batch size and chaining, with no record
// late (the union's watermark waits for its slowest input); a stream united
// with itself comes twice; a co-map sees both inputs.

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "support/aggregates.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"
#include "weir/windows.hpp"

using namespace weir;

namespace {

using event = std::pair<int64_t, int64_t>; // key, event time (ms)

/// Source `s`'s i-th event: in time order within the source, keys 0-6.
event event_of(int64_t s, uint64_t i, int64_t step_ms) {
  return {static_cast<int64_t>((i * 7 + static_cast<uint64_t>(s)) % 7), static_cast<int64_t>(i) * step_ms};
}

struct source_spec {
  int64_t id;
  uint64_t count;
  int64_t step_ms;
  uint32_t parallelism;
};

const std::vector<source_spec> sources{{0, 20, 5000, 1},      // few, far apart: done at once
                                      {1, 60000, 1, 2},       // many, close together
                                      {2, 3000, 30, 3}};

using window_key = std::tuple<int64_t, int64_t>; // key, window start

std::map<window_key, int64_t> oracle() {
  std::map<window_key, int64_t> counts;
  for (const auto& s : sources)
    for (uint64_t i = 0; i < s.count; ++i) {
      auto e = event_of(s.id, i, s.step_ms);
      ++counts[{e.first, e.second / 1000 * 1000}];
    }
  return counts;
}

stream<event> source(environment& env, const source_spec& s) {
  auto id = s.id, step = s.step_ms;
  // Each subtask of generate() emits its indexes in order: in-order per
  // subtask, so a bound of 0 leaves nothing late within a source.
  return env.generate(s.count, [id, step](uint64_t i) { return event_of(id, i, step); })
      .uid("source-" + std::to_string(s.id))
      .parallelism(s.parallelism)
      .assign_timestamps_and_watermarks(watermark_strategy<event>::for_monotonous_timestamps().with_timestamp_assigner(
          [](const event& e) { return e.second; }))
      .uid("time-" + std::to_string(s.id))
      .parallelism(s.parallelism);
}

} // namespace

TEST_CASE("a union of three sources counts in event-time windows as an oracle does, none late, "
          "at any parallelism, batch size and chaining",
          "[integration][union]") {
  auto want = oracle();
  for (auto [p, batch, chained] : {std::tuple<uint32_t, size_t, bool>{1, 1024, false}, {3, 1, true}, {2, 4096, true}}) {
    environment env;
    env.set_parallelism(p);
    env.set_chaining(chained);
    env.options().batch_size = batch;
    auto out = std::make_shared<collected<std::tuple<int64_t, int64_t, int64_t>>>();
    source(env, sources[0])
        .union_with(source(env, sources[1]), source(env, sources[2]))
        .uid("all")
        .key_by([](const event& e) { return e.first; })
        .window(tumbling_event_time_windows::of(std::chrono::seconds(1)))
        .aggregate<std::tuple<int64_t, int64_t, int64_t>>(
            test::count_aggregate{},
            [](int64_t key, const time_window& w, int64_t n, emitter<std::tuple<int64_t, int64_t, int64_t>>& o) {
              o.emit({key, w.start, n});
            })
        .uid("counts")
        .sink(collect_sink(out))
        .uid("out");
    auto result = env.execute("union");
    INFO("parallelism " << p << ", batch " << batch << ", chaining " << chained << ": "
                        << result.failure.to_string());
    REQUIRE(result.ok());
    CHECK(result.late_records == 0);
    std::map<window_key, int64_t> got;
    for (const auto& [key, start, n] : out->values()) got[{key, start}] += n;
    CHECK(got == want);
  }
}

TEST_CASE("a stream united with itself and another carries its records twice", "[integration][union]") {
  environment env;
  env.set_parallelism(2);
  auto a = env.from_collection<int64_t>({1, 2, 3}).uid("a");
  auto b = env.from_collection<int64_t>({10}).uid("b");
  auto out = std::make_shared<collected<int64_t>>();
  a.union_with(a, b).uid("all").sink(collect_sink(out)).uid("out");
  REQUIRE(env.execute("self-union").ok());
  auto values = out->values();
  std::sort(values.begin(), values.end());
  CHECK(values == std::vector<int64_t>{1, 1, 2, 2, 3, 3, 10});
}

TEST_CASE("connect(..).map without keys sees every record of both inputs", "[integration][union]") {
  environment env;
  env.set_parallelism(3);
  auto numbers = env.from_collection<int64_t>({1, 2, 3, 4}).uid("numbers");
  auto words = env.from_collection<std::string>({"ab", "cde"}).uid("words");
  auto out = std::make_shared<collected<std::string>>();
  numbers.connect(words)
      .map([](const int64_t& n) { return "n" + std::to_string(n); },
           [](const std::string& w) { return "w" + std::to_string(w.size()); })
      .uid("both")
      .sink(collect_sink(out))
      .uid("out");
  REQUIRE(env.execute("co-map").ok());
  auto values = out->values();
  std::sort(values.begin(), values.end());
  CHECK(values == std::vector<std::string>{"n1", "n2", "n3", "n4", "w2", "w3"});
}
