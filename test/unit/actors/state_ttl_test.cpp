// State TTL, stepped: a key's State expires exactly ttl after its last
// access (processing time on a manual clock, or event time by the
// watermark), renewed by records (and timers when asked); expired keys are
// removed a few per record and all at a checkpoint, and state taken
// without a TTL restores with its keys' last access counted from then.

#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "support/fake_transport.hpp"
#include "weir/clock.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"

using namespace weir;

namespace {

struct counter {
  int64_t n = 0;
  void fields(state_fields& f) { f("n", n); }
};

/// Records to a vector.
struct recorder final : detail::collector<int64_t> {
  std::vector<int64_t> values;
  void collect(const int64_t& v, int64_t) override { values.push_back(v); }
};

/// A keyed runtime counting records per key (key = x / 1000), under `ttl`.
struct runtime_under_ttl {
  manual_clock clock{10000};
  subtask_info info;
  recorder out;
  std::unique_ptr<detail::keyed_runtime<int64_t, counter, int64_t>> keyed;

  explicit runtime_under_ttl(std::optional<state_ttl> ttl) {
    info.uid = "count";
    info.key_groups = {0, default_max_parallelism};
    info.clock = &clock;
    keyed = std::make_unique<detail::keyed_runtime<int64_t, counter, int64_t>>(info, &out, detail::side_outputs{}, ttl);
  }
  void record(int64_t x, int64_t ts = 0) {
    auto key_fn = [](int64_t v) { return v / 1000; };
    auto fn = [](const int64_t&, counter& c, keyed_context<int64_t>& ctx, emitter<int64_t>& o) {
      o.emit(++c.n);
      ctx.register_event_time_timer(ctx.timestamp() + 10);
    };
    keyed->on_record(key_fn, x, ts, fn);
  }
  void watermark(int64_t wm) {
    auto on_timer = [](int64_t, counter& c, keyed_context<int64_t>&, emitter<int64_t>& o) { o.emit(-c.n); };
    REQUIRE(keyed->advance(wm, on_timer, [] { return false; }));
  }
};

} // namespace

TEST_CASE("a processing-time TTL expires a key's state exactly ttl after its last record", "[unit][ttl]") {
  runtime_under_ttl r(state_ttl::processing_time(std::chrono::milliseconds(100)));
  r.record(1000);      // key 1 at 10000
  r.clock.set(10099);
  r.record(1001);      // 99 ms later: still there, renewed
  r.clock.set(10198);
  r.record(1002);      // 99 ms after that
  r.clock.set(10298);
  r.record(1003);      // exactly 100 ms: expired, starts again
  CHECK(r.out.values == std::vector<int64_t>{1, 2, 3, 1});
}

TEST_CASE("expired keys are removed a few per record, and timers of an expired key see no state",
          "[unit][ttl]") {
  runtime_under_ttl r(state_ttl::processing_time(std::chrono::milliseconds(100)));
  for (int64_t k = 0; k < 50; ++k) r.record(k * 1000);
  CHECK(r.keyed->keys() == 50);
  r.clock.advance(100);
  for (int64_t k = 100; k < 110; ++k) r.record(k * 1000); // each removes 2 of the expired
  CHECK(r.keyed->keys() == 50 - 20 + 10);
  r.out.values.clear();
  r.watermark(100); // timers at 10 of the 50 expired keys (20 removed, 30 not yet) and the 10 new ones
  CHECK(std::count(r.out.values.begin(), r.out.values.end(), 0) == 50); // an empty State, not kept
  CHECK(r.keyed->keys() == 10);
  CHECK(std::count(r.out.values.begin(), r.out.values.end(), -1) == 10);
}

TEST_CASE("an event-time TTL ages state by the watermark, and timers renew it when asked", "[unit][ttl]") {
  SECTION("records renew") {
    runtime_under_ttl r(state_ttl::event_time(std::chrono::milliseconds(1000)));
    r.record(1000, 500);
    r.watermark(1499);
    r.record(1001, 600); // watermark 1499 < 500 + 1000: alive
    r.watermark(1600);   // 600 + 1000 <= 1600: expired, its timer at 610 sees an empty State
    r.record(1002, 1700);
    CHECK(r.out.values == std::vector<int64_t>{1, -1, 2, 0, 1});
  }
  SECTION("timers renew") {
    runtime_under_ttl r(state_ttl::event_time(std::chrono::milliseconds(1000)).renewed_by_timers());
    r.record(1000, 500);
    r.watermark(510);   // its timer at 510 renews it to 510
    r.watermark(1509);  // 510 + 1000 > 1509: alive
    r.record(1001, 1505); // without the timer's renewal 500 + 1000 <= 1509 would have expired it
    CHECK(r.out.values == std::vector<int64_t>{1, -1, 2});
  }
  SECTION("a record ttl past the last access, ahead of the watermark") {
    runtime_under_ttl r(state_ttl::event_time(std::chrono::milliseconds(1000)));
    r.record(1000, 500);
    r.record(1001, 1499); // 500 + 1000 > 1499: alive, though no watermark came
    r.record(1002, 2499); // 1499 + 1000 <= 2499: expired by its own time
    CHECK(r.out.values == std::vector<int64_t>{1, 2, 1});
  }
}

TEST_CASE("a checkpoint leaves expired keys out and stores each key's last access", "[unit][ttl][state]") {
  runtime_under_ttl r(state_ttl::processing_time(std::chrono::milliseconds(100)));
  r.record(1000);
  r.clock.advance(60);
  r.record(2000);
  r.clock.advance(60); // key 1 expired (120 ms), key 2 not (60 ms)
  detail::operator_snapshot snap;
  r.keyed->snapshot(snap);
  std::vector<std::string> entries; // key 1's timer may still be stored: it finds no state when it fires
  for (const auto& [group, blob] : snap.key_groups) {
    auto kg = detail::decode_key_group_as_stored(blob, "count");
    REQUIRE(kg);
    CHECK(kg->first.fields
          == std::vector<std::pair<std::string, std::string>>{{"n", "int64"}, {"ttl_last_access_ms", "int64"}});
    for (size_t i = 0; i < kg->second.entries.size(); ++i) entries.emplace_back(kg->second.entries.entry(i));
  }
  REQUIRE(entries.size() == 1);
  byte_reader in(entries[0]);
  CHECK(codec<int64_t>::decode(in) == 2);     // the key
  CHECK(codec<int64_t>::decode(in) == 1);     // n
  CHECK(codec<int64_t>::decode(in) == 10060); // its last access
  CHECK(r.keyed->keys() == 1);
}

TEST_CASE("state taken without a TTL restores under one, its keys' last access counted from the restore",
          "[unit][ttl][state]") {
  runtime_under_ttl before(std::nullopt);
  before.record(1000);
  detail::operator_snapshot snap;
  before.keyed->snapshot(snap);
  runtime_under_ttl after(state_ttl::processing_time(std::chrono::milliseconds(100)));
  after.clock.set(50000);
  after.keyed->restore(snap);
  after.clock.set(50099);
  after.record(1001); // 99 ms after the restore: kept, counted on
  after.clock.set(50199);
  after.record(1002); // 100 ms after that: expired
  CHECK(after.out.values == std::vector<int64_t>{2, 1});
}
