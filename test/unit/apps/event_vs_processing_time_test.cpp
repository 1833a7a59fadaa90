// The event-vs-processing-time sample's timeline, without a job: exact
// rates in event time, deliveries in order within the watermark's bound,
// and nothing delivered during the outage, which ends in a burst.

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <tuple>

#include "jobs/event_vs_processing_time.hpp"

namespace evp = weir::apps::evp;

TEST_CASE("the devices' events happen at exactly their rates, are delivered in order within the "
          "bound, and wait out the outage",
          "[unit][samples]") {
  int64_t start = 1700000000456; // not a whole second: the origin is
  auto t = evp::make_timeline(start, 20, 5, 3, 10);
  REQUIRE(t.origin_ms == 1700000000000 - 20000);
  REQUIRE(t.outage_from_ms == start + 5000);
  REQUIRE(t.outage_until_ms == start + 8000);
  REQUIRE(t.end_ms == 1700000000000 + 10000);
  evp::event_schedule schedule(t);
  std::map<std::pair<int64_t, int64_t>, int64_t> per_second;
  int64_t last_delivered = INT64_MIN, max_seen = INT64_MIN, held = 0, total = 0;
  while (schedule.more()) {
    auto d = schedule.next();
    ++total;
    ++per_second[{d.e.device, (d.e.time_ms - t.origin_ms) / 1000}];
    CHECK(d.delivered_ms >= last_delivered);
    last_delivered = d.delivered_ms;
    CHECK(d.due_ms - d.e.time_ms >= 0);
    CHECK(d.due_ms - d.e.time_ms <= evp::max_jitter_ms);
    max_seen = std::max(max_seen, d.e.time_ms);
    CHECK(d.e.time_ms > max_seen - evp::bound_ms - 1); // never behind the watermark
    bool in_outage = d.due_ms >= t.outage_from_ms && d.due_ms < t.outage_until_ms;
    CHECK(d.delivered_ms == (in_outage ? t.outage_until_ms : d.due_ms));
    held += in_outage;
  }
  CHECK(per_second.size() == 3 * 30);
  for (const auto& [key, n] : per_second) CHECK(n == evp::rate(key.first));
  CHECK(total == 350 * 30);
  CHECK(held > 350 * 2); // about three seconds of events held back
}

TEST_CASE("a window count's line says its domain, device, start and count", "[unit][samples]") {
  CHECK(evp::count_line({2, true, 1000, 200, -1}) == "domain=event device=c start=1000 count=200");
  CHECK(evp::count_line({0, false, 2000, 7, -1}) == "domain=processing device=a start=2000 count=7");
  CHECK(evp::count_line({1, true, 0, 100, 12.25}) == "domain=event device=b start=0 count=100 avg_delay_ms=12.2");
}
