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
#include "support/temp_dir.hpp"
#include "weir/checkpoints.hpp"
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

TEST_CASE("a count window's state reads back with weir state query: a sliding window's records, "
          "a tumbling window's accumulator",
          "[integration][count_window][state-query]") {
  test::temp_dir dir;
  environment env;
  env.set_parallelism(2);
  env.options().checkpoints.interval_ms = 20;
  env.options().checkpoints.state_dir = dir.file("state");
  auto numbers = env.generate(100, [](uint64_t i) { return static_cast<int64_t>(i); }).uid("numbers").parallelism(1);
  auto keyed = numbers.key_by([](int64_t x) { return x % 3; });
  keyed.count_window(5, 2).process([](const int64_t&, const std::vector<int64_t>& rs, emitter<int64_t>& out) {
    out.emit(static_cast<int64_t>(rs.size()));
  }).uid("sliding").sink(collect_sink(std::make_shared<collected<int64_t>>())).uid("sliding-out");
  keyed.count_window(4).aggregate(sum_count{}).uid("tumbling")
      .sink(collect_sink(std::make_shared<collected<result>>())).uid("tumbling-out");
  auto run = env.execute("count-window-state");
  INFO(run.failure.to_string());
  REQUIRE(run.ok());
  auto query = [&](const std::string& uid) {
    std::vector<std::string> lines;
    state_query q;
    q.operator_uid = uid;
    q.key = "1";
    auto read = query_state(dir.file("state"), q, [&](const std::string& l) { lines.push_back(l); });
    if (!read) FAIL(read.error_value().to_string());
    REQUIRE(lines.size() == 1);
    return lines[0];
  };
  // Key 1 had 33 records, 1, 4, ..., 97.
  auto sliding = query("sliding");
  INFO(sliding);
  CHECK(sliding.find(R"("records":[85,88,91,94,97])") != std::string::npos); // its last 5
  CHECK(sliding.find(R"("since":1)") != std::string::npos);                 // 33 records, fired every 2
  auto tumbling = query("tumbling");
  INFO(tumbling);
  CHECK(tumbling.find(R"("acc":[97,1])") != std::string::npos); // 33 = 8 x 4 + 1: 97 waits alone
  CHECK(tumbling.find(R"("count":1)") != std::string::npos);
}
