// Cap'n Proto structs as the records of a whole job: across task boundaries
// (read in place), held in keyed state, restored from a checkpoint.

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <map>

#include "support/paced_source.hpp"
#include "weir/capnp_record.hpp"
#include "weir/schema/nexmark.capnp.h"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"

using namespace weir;
using Bid = nexmark::schema::Bid;
using bid_record = capnp_record<Bid>;

namespace {

bid_record bid_number(uint64_t i) {
  return bid_record::build([i](Bid::Builder b) {
    b.setAuction(static_cast<int64_t>(i % 7));
    b.setPrice(static_cast<int64_t>(i));
    b.setUrl("https://x.com/" + std::to_string(i));
  });
}

/// Per auction: the highest-priced bid's url, written at the end of input.
struct highest {
  value_state<bid_record> best;
  void fields(state_fields& f) { f("best", best); }
};

std::vector<std::string> run(uint32_t parallelism, bool chaining, bool fail_once) {
  constexpr uint64_t n = 4000;
  static std::atomic<int> thrown{0};
  thrown = 0;
  auto out = std::make_shared<collected<std::string>>();
  environment env;
  env.set_parallelism(parallelism);
  env.set_chaining(chaining);
  env.options().checkpoints.interval_ms = 10;
  env.options().restart = restart_strategy::fixed_delay(1, 0);
  env.add_source<bid_record>(test::paced(n, 8.0, bid_number))
    .uid("bids")
    .filter([](const bid_record& b) { return b->getPrice() % 3 != 0; })
    .uid("filter")
    .rebalance()
    .map([fail_once](const bid_record& b) {
      if (fail_once && b->getPrice() == 2501 && thrown.fetch_add(1) == 0) throw std::runtime_error("once");
      return b; // passed on as its bytes
    })
    .uid("pass")
    .key_by([](const bid_record& b) { return b->getAuction(); })
    .process<std::string, highest>(
      [](const bid_record& b, highest& s, keyed_context<int64_t>& ctx, emitter<std::string>&) {
        if (!s.best.has_value() || s.best.value()->getPrice() < b->getPrice()) s.best.update(b);
        ctx.register_event_time_timer(INT64_MAX - 1);
      },
      [](int64_t, highest& s, keyed_context<int64_t>& ctx, emitter<std::string>& out) {
        out.emit(std::to_string(ctx.key()) + ":" + s.best.value()->getUrl().cStr());
      })
    .uid("highest")
    .sink(collect_sink(out))
    .uid("out");
  auto result = env.execute("capnp-records");
  INFO(result.failure.to_string());
  REQUIRE(result.ok());
  if (fail_once) {
    CHECK(thrown == 2);
    CHECK(result.restarts == 1);
  }
  auto got = out->values();
  std::sort(got.begin(), got.end());
  return got;
}

std::vector<std::string> highest_urls() {
  std::map<int64_t, uint64_t> best;
  for (uint64_t i = 0; i < 4000; ++i)
    if (i % 3 != 0) best[static_cast<int64_t>(i % 7)] = i; // prices rise with i
  std::vector<std::string> out;
  for (auto [a, i] : best) out.push_back(std::to_string(a) + ":https://x.com/" + std::to_string(i));
  std::sort(out.begin(), out.end());
  return out;
}

} // namespace

TEST_CASE("capnp records cross tasks, live in keyed state and give the same result at any parallelism",
          "[integration][capnp]") {
  CHECK(run(1, false, false) == highest_urls());
  CHECK(run(3, false, false) == highest_urls());
  CHECK(run(2, true, false) == highest_urls());
}

TEST_CASE("capnp records in keyed state restore from a checkpoint after a failure", "[integration][capnp][checkpoint]") {
  CHECK(run(2, false, true) == highest_urls());
}
