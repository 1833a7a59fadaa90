// The iot-sensors sample's parts, without actors: the generated fleet, the
// source paced on an injected clock, the silence alert stepped through its
// task with a manual clock, and the averages' rounding.

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "jobs/iot_sensors.hpp"
#include "support/fake_transport.hpp"
#include "weir/clock.hpp"
#include "weir/sinks.hpp"

namespace iot = weir::apps::iot;

namespace {

struct collecting : weir::detail::collector<iot::reading> {
  std::vector<iot::reading> got;
  void collect(const iot::reading& r, int64_t) override { got.push_back(r); }
};

/// Polls `source` until it is idle or exhausted; returns the status.
weir::source_status drain(weir::source_function<iot::reading>& source, weir::emitter<iot::reading>& out) {
  for (;;) {
    auto status = source.poll(out, 7);
    if (status != weir::source_status::more) return status;
  }
}

/// A data frame of readings, each stamped with its event time.
std::vector<char> reading_frame(uint64_t sequence, const std::vector<iot::reading>& readings) {
  weir::detail::batch_builder b;
  for (const auto& r : readings) b.add(r.time_ms, [&](auto& p) { weir::encode_value(r, p); });
  return b.seal(0, sequence);
}

/// Every string record the stepped task sent.
std::vector<std::string> lines(const weir::test::fake_transport& tr) {
  std::vector<std::string> out;
  for (size_t i = 0; i < tr.frames.size(); ++i) {
    auto v = tr.view(i);
    for (size_t r = 0; r < v.size(); ++r) {
      std::string s;
      REQUIRE(weir::decode_value(v.value(r), s));
      out.push_back(s);
    }
  }
  return out;
}

} // namespace

TEST_CASE("the generated fleet arrives in order of arrival, at most 20 s late, never behind the "
          "watermark, with its flaky and dead sensors' gaps",
          "[unit][samples]") {
  auto readings = iot::all_readings(20, 160);
  std::map<int64_t, int64_t> per_sensor;
  int64_t max_seen = INT64_MIN;
  for (size_t i = 0; i < readings.size(); ++i) {
    const auto& r = readings[i];
    if (i > 0) CHECK(std::tie(readings[i - 1].arrival_ms, readings[i - 1].sensor) <= std::tie(r.arrival_ms, r.sensor));
    CHECK(r.arrival_ms - r.time_ms >= 0);
    CHECK(r.arrival_ms - r.time_ms <= iot::max_delay_ms);
    max_seen = std::max(max_seen, r.time_ms);
    CHECK(r.time_ms > max_seen - iot::max_delay_ms - 1); // the watermark (max - bound - 1) is behind it
    CHECK(iot::reads_at(r.sensor, r.time_ms));
    ++per_sensor[r.sensor];
  }
  CHECK(per_sensor.size() == 20);
  CHECK(per_sensor[0] == 160 * 6);                        // every 10 s for 160 minutes
  CHECK(per_sensor[3] == (160 - 40) * 6);                 // flaky: silent for 40 minutes
  CHECK(per_sensor[17] == 100 * 6);                       // dead at minute 100
  CHECK_FALSE(iot::reads_at(3, iot::flaky_from_ms));      // the silence's bounds
  CHECK(iot::reads_at(3, iot::flaky_from_ms - 1));
  CHECK(iot::reads_at(3, iot::flaky_until_ms));
  CHECK_FALSE(iot::reads_at(7, iot::dead_from_ms));
  CHECK(iot::reads_at(7, iot::dead_from_ms - 1));
}

TEST_CASE("the sensor source sends a reading once its arrival time, sped up, has passed on its "
          "clock, and a restored one carries on at once",
          "[unit][samples]") {
  constexpr int64_t speedup = 600;
  auto all = iot::all_readings(10, 30);
  weir::manual_clock clock(1000000);
  weir::subtask_info info;
  info.clock = &clock;
  auto source = iot::make_sensor_source(10, 30, speedup);
  source->open(info);
  collecting got;
  weir::emitter<iot::reading> out(&got);
  // Each step, exactly the readings due by then: arrival / speedup <= elapsed.
  for (int64_t elapsed : {0, 1, 17, 100, 101, 1000, 2000}) {
    clock.set(1000000 + elapsed);
    REQUIRE(drain(*source, out) == weir::source_status::idle);
    auto due = std::count_if(all.begin(), all.end(), [&](const auto& r) { return r.arrival_ms / speedup <= elapsed; });
    REQUIRE(got.got.size() == static_cast<size_t>(due));
  }
  CHECK(std::equal(got.got.begin(), got.got.end(), all.begin()));

  std::string position;
  weir::byte_writer w(position);
  source->write_position(w);
  auto restored = iot::make_sensor_source(10, 30, speedup);
  weir::byte_reader r(position);
  restored->read_position(r);
  clock.set(5000000); // much later: it does not send the backlog at once, it goes on from here
  restored->open(info);
  collecting more;
  weir::emitter<iot::reading> out2(&more);
  REQUIRE(drain(*restored, out2) == weir::source_status::idle);
  REQUIRE_FALSE(more.got.empty());
  CHECK(more.got.front() == all[got.got.size()]);
  CHECK(more.got.size() < 50);
  clock.set(9000000); // past the end of 30 minutes at 600x (3 s)
  CHECK(drain(*restored, out2) == weir::source_status::exhausted);
  CHECK(got.got.size() + more.got.size() == all.size());
}

TEST_CASE("a sensor is reported silent exactly silence-ms of processing time after its last "
          "reading, once, and back with its next one",
          "[unit][samples][processing_time]") {
  weir::manual_clock clock(1000);
  weir::environment env;
  iot::silence_alerts(env.from_collection<iot::reading>({}).uid("src"), 500)
      .sink(weir::collect_sink(std::make_shared<weir::collected<std::string>>()))
      .uid("out");
  weir::runtime_options o;
  o.clock = &clock;
  o.batch_size = 1;
  weir::test::stepped_task t(env, 1, o);
  REQUIRE_FALSE(t->start());
  REQUIRE_FALSE(t->on_credit(0, 100));
  REQUIRE_FALSE(t->on_frame(0, reading_frame(0, {{4, 70000, 2000, 0}, {4, 60000, 2000, 0}})));
  clock.set(1499);
  REQUIRE_FALSE(t->on_frame(0, reading_frame(1, {{4, 65000, 2100, 0}}))); // pushes it to 1999
  clock.set(1500);
  REQUIRE_FALSE(t->on_processing_timer());
  clock.set(1998);
  REQUIRE_FALSE(t->on_processing_timer());
  CHECK(lines(t.tr).empty());
  clock.set(1999);
  REQUIRE_FALSE(t->on_processing_timer());
  CHECK(lines(t.tr) == std::vector<std::string>{"sensor=4 silent latest=70000"});
  clock.set(9000);
  REQUIRE_FALSE(t->on_processing_timer()); // one alert per silence
  CHECK(lines(t.tr).size() == 1);
  REQUIRE_FALSE(t->on_frame(0, reading_frame(2, {{4, 95000, 2200, 0}})));
  CHECK(lines(t.tr).back() == "sensor=4 back time=95000");
  clock.set(9499);
  REQUIRE_FALSE(t->on_processing_timer());
  CHECK(lines(t.tr).size() == 2);
  clock.set(9500);
  REQUIRE_FALSE(t->on_processing_timer());
  CHECK(lines(t.tr).back() == "sensor=4 silent latest=95000");
}

TEST_CASE("an average is rounded to the nearest hundredth of a degree", "[unit][samples]") {
  CHECK(iot::average_line(1, 60000, 4003, 2001, 2002, 2) == "sensor=1 start=60000 avg=20.02 min=20.01 max=20.02 readings=2");
  CHECK(iot::average_line(2, 0, 6001, 1999, 2002, 3) == "sensor=2 start=0 avg=20.00 min=19.99 max=20.02 readings=3");
  CHECK(iot::average_line(3, 0, 6002, 1999, 2002, 3) == "sensor=3 start=0 avg=20.01 min=19.99 max=20.02 readings=3");
  CHECK(iot::average_line(4, 0, -15, -10, -5, 2) == "sensor=4 start=0 avg=-0.08 min=-0.10 max=-0.05 readings=2");
}
