#pragma once

// IoT sensors: temperature readings of many sensors, arriving out of order
// and in real time (paced on processing time). Per sensor, 1-minute
// event-time averages; and an alert when a sensor has sent nothing for a
// while of processing time (a processing-time timer), with a line when it
// is heard from again.
//
// The generated fleet: every sensor reads every 10 s of event time and each
// reading arrives 0-20 s late. Sensors with s % 10 == 3 are flaky: silent
// from minute 40 to minute 80 of event time. Sensors with s % 10 == 7 die
// at minute 100. The others never miss a reading.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "weir/codec.hpp"
#include "weir/functions.hpp"
#include "weir/stream.hpp"

namespace weir::apps::iot {

/// One temperature reading.
struct reading {
  int64_t sensor = 0;
  int64_t time_ms = 0;      ///< Event time: when the sensor measured.
  int64_t centi = 0;        ///< The temperature in 0.01 degrees Celsius.
  int64_t arrival_ms = 0;   ///< When it reaches the job, in event-time terms (time_ms + delay).
  bool operator==(const reading& o) const {
    return sensor == o.sensor && time_ms == o.time_ms && centi == o.centi && arrival_ms == o.arrival_ms;
  }
};

constexpr int64_t interval_ms = 10 * 1000;   ///< Each sensor reads this often.
constexpr int64_t max_delay_ms = 20 * 1000;  ///< A reading arrives at most this late.
constexpr int64_t window_ms = 60 * 1000;     ///< The averages' windows.
constexpr int64_t flaky_from_ms = 40 * 60 * 1000, flaky_until_ms = 80 * 60 * 1000;
constexpr int64_t dead_from_ms = 100 * 60 * 1000;

/// Whether sensor `s` reads at event time `t` (flaky and dead sensors do not always).
bool reads_at(int64_t sensor, int64_t time_ms);

/// The readings of `sensors` sensors over `minutes` of event time, in the
/// order they arrive (by arrival_ms, then sensor, then time). Deterministic.
/// Holds at most about sensors * 4 readings at a time.
class reading_schedule {
public:
  reading_schedule(int64_t sensors, int64_t minutes);
  /// Whether another reading follows.
  bool more();
  /// The next reading; only after more() said true.
  reading next();

private:
  void generate_tick();
  int64_t sensors_, end_ms_;
  int64_t tick_ = 0; // event-time ticks (one per interval) generated so far
  std::vector<reading> heap_;
};

/// Every reading, in arrival order (for tests and oracles).
std::vector<reading> all_readings(int64_t sensors, int64_t minutes);

/// A source of the schedule's readings (one subtask). With `speedup` > 0 it
/// is paced on processing time: a reading is emitted once `arrival_ms /
/// speedup` ms of processing time have passed since the start, so the job
/// sees it as a live fleet would send it; 0 emits as fast as it can. Its
/// position is the number of readings emitted; a restored source carries on
/// with the next reading at once.
std::unique_ptr<source_function<reading>> make_sensor_source(int64_t sensors, int64_t minutes,
                                                             int64_t speedup);

/// "sensor=S start=T avg=21.37 min=19.80 max=23.10 readings=6": one window's line.
std::string average_line(int64_t sensor, int64_t start, int64_t sum, int64_t min, int64_t max,
                         int64_t count);
/// "sensor=S silent latest=T": nothing arrived from S for the silence time;
/// T is the latest event time it had reported.
std::string silent_line(int64_t sensor, int64_t latest);
/// "sensor=S back time=T": the first reading after a silence alert.
std::string back_line(int64_t sensor, int64_t time);

/// Per sensor, a silence alert when no reading arrived for `silence_ms` of
/// processing time (a processing-time timer, pushed back by each reading),
/// and a back line when one arrives after the alert. One alert per silence.
stream<std::string> silence_alerts(stream<reading> readings, int64_t silence_ms);

/// Per sensor and 1-minute event-time window, the average_line of its
/// readings (timestamps and watermarks assigned by the caller).
stream<std::string> minute_averages(stream<reading> readings);

/// Registers "iot-sensors": --sensors N (50), --minutes M (160), --speedup X
/// (600: ten minutes of event time a second), --silence-ms N (1000),
/// --output DIR (averages), --alerts DIR (silence and back lines).
void register_iot_sensors();

} // namespace weir::apps::iot

template <>
struct weir::codec<weir::apps::iot::reading> {
  static std::string type_name() { return "iot.reading"; }
  static void encode(const weir::apps::iot::reading& r, weir::byte_writer& out) {
    weir::codec<int64_t>::encode(r.sensor, out);
    weir::codec<int64_t>::encode(r.time_ms, out);
    weir::codec<int64_t>::encode(r.centi, out);
    weir::codec<int64_t>::encode(r.arrival_ms, out);
  }
  static weir::apps::iot::reading decode(weir::byte_reader& in) {
    weir::apps::iot::reading r;
    r.sensor = weir::codec<int64_t>::decode(in);
    r.time_ms = weir::codec<int64_t>::decode(in);
    r.centi = weir::codec<int64_t>::decode(in);
    r.arrival_ms = weir::codec<int64_t>::decode(in);
    return r;
  }
};
