// Global windows in whole jobs: with each key's records from one ordered
// source subtask, a purging count trigger with a count evictor gives an
// oracle's firings at any parallelism, batch size and chaining, and
// through a restart (its state is keyed state).

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <vector>

#include "support/run_shapes.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"

using namespace weir;

namespace {

std::atomic<int> fail{0};

/// Key x % 13, in order: every 7 records of a key fire with the last 5 of them, summed; then purge.
std::vector<int64_t> oracle(int64_t n) {
  std::map<int64_t, std::vector<int64_t>> window;
  std::vector<int64_t> out;
  for (int64_t x = 0; x < n; ++x) {
    auto& w = window[x % 13];
    w.push_back(x);
    if (w.size() > 5) w.erase(w.begin());
    if (x / 13 % 7 == 6) { // the key's 7th record since the last firing
      out.push_back(std::accumulate(w.begin(), w.end(), int64_t{0}));
      w.clear();
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

} // namespace

TEST_CASE("a purging count trigger with a count evictor equals an oracle at any parallelism, batch size "
          "and chaining, and through a restart",
          "[integration][global_window]") {
  constexpr int64_t n = 20000;
  auto want = oracle(n);
  REQUIRE(want.size() > 2000);
  for (const auto& shape : test::run_shapes()) {
    fail = shape.failures;
    environment env;
    test::apply_shape(env, shape);
    auto out = std::make_shared<collected<int64_t>>();
    env.generate(n, [](uint64_t i) { return static_cast<int64_t>(i); }).uid("numbers").parallelism(1)
      .map([](const int64_t& x) {
        if (x == 15000 && fail.fetch_sub(1) > 0) throw std::runtime_error("once");
        return x;
      }).uid("check").parallelism(1)
      .key_by([](int64_t x) { return x % 13; })
      .global_window(global_trigger<int64_t>::count(7).purging())
      .evictor(global_evictor::last(5))
      .process([](const int64_t&, const std::vector<int64_t>& rs, emitter<int64_t>& o) {
        o.emit(std::accumulate(rs.begin(), rs.end(), int64_t{0}));
      })
      .uid("windows")
      .sink(collect_sink(out)).uid("out");
    auto run = env.execute("global-windows");
    INFO(shape << ": " << run.failure.to_string());
    REQUIRE(run.ok());
    CHECK(run.restarts == static_cast<uint32_t>(shape.failures));
    auto got = out->values();
    std::sort(got.begin(), got.end());
    CHECK(got == want);
  }
}
