// Count windows in whole jobs: with each key's records from one ordered
// source subtask, tumbling and sliding count windows give an oracle's
// results at any parallelism, batch size and chaining, and through a
// restart from a checkpoint (their state is keyed state).

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <stdexcept>
#include <tuple>
#include <vector>

#include "support/run_shapes.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"

using namespace weir;

namespace {

using result = std::pair<int64_t, int64_t>; // sum, count of a window's records

struct sum_count {
  std::pair<int64_t, int64_t> create_accumulator() const { return {0, 0}; }
  std::pair<int64_t, int64_t> add(int64_t v, std::pair<int64_t, int64_t> a) const { return {a.first + v, a.second + 1}; }
  std::pair<int64_t, int64_t> get_result(const std::pair<int64_t, int64_t>& a) const { return a; }
};

/// Key x % 13, in generation order per key: every window's (sum, count).
std::vector<result> oracle(int64_t n, uint64_t size, uint64_t slide) {
  std::map<int64_t, std::vector<int64_t>> per_key;
  std::vector<result> out;
  std::map<int64_t, uint64_t> since;
  for (int64_t x = 0; x < n; ++x) {
    auto& rs = per_key[x % 13];
    rs.push_back(x);
    if (rs.size() > size) rs.erase(rs.begin());
    if (++since[x % 13] == slide) {
      since[x % 13] = 0;
      int64_t sum = 0;
      for (auto r : rs) sum += r;
      out.emplace_back(sum, static_cast<int64_t>(rs.size()));
      if (slide == size) rs.clear();
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

} // namespace

TEST_CASE("tumbling and sliding count windows equal an oracle at any parallelism, batch size and "
          "chaining, and through a restart",
          "[integration][count_window]") {
  constexpr int64_t n = 20000;
  for (auto [size, slide] : {std::pair<uint64_t, uint64_t>{10, 10}, {7, 3}}) {
    auto want = oracle(n, size, slide);
    for (const auto& shape : test::run_shapes()) {
      static std::atomic<int> fail;
      fail = shape.failures;
      environment env;
      test::apply_shape(env, shape);
      auto out = std::make_shared<collected<result>>();
      env.generate(n, [](uint64_t i) { return static_cast<int64_t>(i); }).uid("numbers").parallelism(1)
          .map([](const int64_t& x) {
            if (x == 15000 && fail.fetch_sub(1) > 0) throw std::runtime_error("once");
            return x;
          }).uid("check").parallelism(1)
          .key_by([](int64_t x) { return x % 13; })
          .count_window(size, slide)
          .aggregate(sum_count{})
          .uid("windows")
          .sink(collect_sink(out))
          .uid("out");
      auto run = env.execute("count-windows");
      INFO("size " << size << " slide " << slide << ", " << shape << ": " << run.failure.to_string());
      REQUIRE(run.ok());
      CHECK(run.restarts == static_cast<uint32_t>(shape.failures));
      auto got = out->values();
      std::sort(got.begin(), got.end());
      CHECK(got == want);
    }
  }
}
