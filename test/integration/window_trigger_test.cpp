// Triggers of time windows in whole jobs. With each key's records from one
// ordered source subtask, a purging count trigger that also fires at the
// window's end gives an oracle's firings at any parallelism, batch size and
// chaining, and through a restart; a periodic event-time trigger's last
// result per window is the window's whole sum, whatever came before it.

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <tuple>
#include <vector>

#include "support/aggregates.hpp"
#include "support/run_shapes.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"
#include "weir/windows.hpp"

using namespace weir;
using std::chrono::milliseconds;

namespace {

using result = std::tuple<int64_t, int64_t, int64_t>; // key, window start, sum

std::atomic<int> fail{0};

constexpr int64_t keys = 7;
constexpr int64_t window_ms = 100;

/// Record x at time x, key x % 7, tumbling 100 ms windows: every 6 records of
/// a key's window fire their sum and purge; what is left fires at the end.
std::vector<result> count_oracle(int64_t n) {
  std::map<std::pair<int64_t, int64_t>, std::vector<int64_t>> open; // (key, start) -> records since firing
  std::vector<result> out;
  for (int64_t x = 0; x < n; ++x) {
    auto& w = open[{x % keys, x / window_ms * window_ms}];
    w.push_back(x);
    if (w.size() == 6) {
      out.emplace_back(x % keys, x / window_ms * window_ms, std::accumulate(w.begin(), w.end(), int64_t{0}));
      w.clear();
    }
  }
  for (const auto& [kw, w] : open)
    if (!w.empty()) out.emplace_back(kw.first, kw.second, std::accumulate(w.begin(), w.end(), int64_t{0}));
  std::sort(out.begin(), out.end());
  return out;
}

/// The numbers 0..n-1 at their own time, in order, keyed by x % 7; the
/// check step fails once at 15000 when the shape asks for a failure.
auto numbers(environment& env, int64_t n) {
  return env.generate(static_cast<uint64_t>(n), [](uint64_t i) { return static_cast<int64_t>(i); })
      .uid("numbers").parallelism(1)
      .assign_timestamps_and_watermarks(watermark_strategy<int64_t>::for_monotonous_timestamps().with_timestamp_assigner(
          [](const int64_t& x) { return x; }))
      .uid("time").parallelism(1)
      .map([](const int64_t& x) {
        if (x == 15000 && fail.fetch_sub(1) > 0) throw std::runtime_error("once");
        return x;
      }).uid("check").parallelism(1)
      .key_by([](int64_t x) { return x % keys; });
}

/// Runs numbers(n) in tumbling windows of `size_ms` fired by `trigger`, each
/// firing emitting (key, window start, sum), in `shape`; the results as written.
std::vector<result> run_sums(const test::run_shape& shape, int64_t n, int64_t size_ms, window_trigger<int64_t> trigger) {
  fail = shape.failures;
  environment env;
  test::apply_shape(env, shape);
  auto out = std::make_shared<collected<result>>();
  numbers(env, n)
      .window(tumbling_event_time_windows::of(milliseconds(size_ms)))
      .trigger(std::move(trigger))
      .aggregate<result>(test::sum_aggregate{}, [](int64_t key, const time_window& w, int64_t sum, emitter<result>& o) {
        o.emit({key, w.start, sum});
      })
      .uid("sums")
      .sink(collect_sink(out)).uid("out");
  auto run = env.execute("triggered-windows");
  INFO(shape << ": " << run.failure.to_string());
  REQUIRE(run.ok());
  CHECK(run.restarts == static_cast<uint32_t>(shape.failures));
  return out->values();
}

} // namespace

TEST_CASE("a purging count trigger firing also at the window's end equals an oracle at any parallelism, "
          "batch size and chaining, and through a restart",
          "[integration][window_trigger]") {
  constexpr int64_t n = 20000;
  auto want = count_oracle(n);
  REQUIRE(want.size() > 2 * static_cast<size_t>(n / window_ms * keys)); // windows fire more than once
  for (const auto& shape : test::run_shapes()) {
    INFO(shape);
    auto got = run_sums(shape, n, window_ms, window_trigger<int64_t>::count(6).purging().or_at_window_end());
    std::sort(got.begin(), got.end());
    CHECK(got == want);
  }
}

TEST_CASE("a periodic event-time trigger's results grow within a window and end with its whole sum, at any "
          "parallelism, batch size and chaining, and through a restart",
          "[integration][window_trigger][watermark]") {
  constexpr int64_t n = 20000;
  constexpr int64_t size_ms = 1000;
  std::map<std::pair<int64_t, int64_t>, int64_t> whole; // (key, start) -> sum
  for (int64_t x = 0; x < n; ++x) whole[{x % keys, x / size_ms * size_ms}] += x;
  for (const auto& shape : test::run_shapes()) {
    INFO(shape);
    auto written = run_sums(shape, n, size_ms, window_trigger<int64_t>::event_time_every(milliseconds(100)));
    std::map<std::pair<int64_t, int64_t>, std::vector<int64_t>> got; // results in the order written
    for (const auto& [key, start, sum] : written) got[{key, start}].push_back(sum);
    REQUIRE(got.size() == whole.size());
    size_t results = 0;
    for (const auto& [kw, sums] : got) {
      INFO("key " << kw.first << ", window " << kw.second);
      CHECK(sums.back() == whole[kw]);
      CHECK(std::is_sorted(sums.begin(), sums.end()));
      CHECK(std::adjacent_find(sums.begin(), sums.end()) == sums.end()); // a firing only after new records
      results += sums.size();
    }
    if (shape.batch_size == 1) CHECK(results > got.size()); // the watermark came in steps: early firings
  }
}
