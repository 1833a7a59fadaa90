// Rich functions in whole jobs: every subtask's function object is opened
// once and closed once; a failed attempt's are closed before the restart
// opens new ones, so no open connection (say) outlives its attempt.

#include <catch2/catch.hpp>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

#include "support/temp_dir.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"

using namespace weir;

namespace {

/// Per subtask index: opens, closes, records seen by closed instances.
struct tally {
  std::mutex m;
  std::map<uint32_t, int> opens, closes;
  int64_t seen_at_close = 0;
  std::atomic<int> open_now{0};
};

struct counted_map {
  std::shared_ptr<tally> t;
  std::shared_ptr<std::atomic<int>> fail_once; // throws at record 777 while > 0
  uint32_t index = 0;
  int64_t seen = 0;
  void open(const subtask_info& info) {
    index = info.index;
    std::lock_guard<std::mutex> guard(t->m);
    ++t->opens[info.index];
    ++t->open_now;
  }
  int64_t operator()(const int64_t& x) {
    ++seen;
    if (x == 777 && fail_once->fetch_sub(1) > 0) throw std::runtime_error("unlucky");
    return x;
  }
  void close() {
    std::lock_guard<std::mutex> guard(t->m);
    ++t->closes[index];
    t->seen_at_close += seen;
    --t->open_now;
  }
};

} // namespace

TEST_CASE("each subtask's function object is opened and closed once per attempt, a failed "
          "attempt's before the restart",
          "[integration][lifecycle]") {
  for (int failures : {0, 1}) {
    auto t = std::make_shared<tally>();
    auto fail = std::make_shared<std::atomic<int>>(failures);
    test::temp_dir dir;
    environment env;
    env.set_parallelism(3);
    env.options().checkpoints.interval_ms = 20;
    env.options().restart = restart_strategy::fixed_delay(2, 10);
    auto out = std::make_shared<collected<int64_t>>();
    env.generate(20000, [](uint64_t i) { return static_cast<int64_t>(i); }).uid("numbers")
        .map(counted_map{t, fail}).uid("counted")
        .sink(collect_sink(out)).uid("out");
    auto result = env.execute("lifecycle");
    INFO("failures " << failures << ": " << result.failure.to_string());
    REQUIRE(result.ok());
    CHECK(result.restarts == static_cast<uint32_t>(failures));
    CHECK(out->values().size() == 20000);
    CHECK(t->open_now == 0); // every instance opened was closed
    for (uint32_t i = 0; i < 3; ++i) {
      CHECK(t->opens[i] == 1 + failures); // once per attempt
      CHECK(t->closes[i] == t->opens[i]);
    }
    if (failures == 0) CHECK(t->seen_at_close == 20000);
  }
}
