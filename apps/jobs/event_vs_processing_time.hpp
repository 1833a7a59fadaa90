#pragma once

// Event time versus processing time, the scenario Weir started from: three
// devices (a, b, c) send 50, 100 and 200 events a second, each delivered
// 0-300 ms after it happened; the job counts them per device in 1-second
// windows twice, by when they happened (event time) and by when the job saw
// them (processing time).
//
// The timeline is fixed at the job's first start (and kept in its
// checkpoints): the devices have already been sending for --history-s
// seconds, a backlog the job first reads --catch-up times faster than real
// time; live from then on, with an outage (nothing delivered) at
// --outage-at-s seconds after the first start for --outage-s seconds, after
// which the held-back events arrive at once. Event-time counts stay exactly
// 50, 100 and 200 through all of it; processing-time counts swell during the
// catch-up, drop to nothing in the outage and spike after it. Restoring an
// older savepoint reads the history since then again: the event-time counts
// come out the same, the processing-time ones do not.

#include <cstdint>
#include <string>
#include <vector>

#include "weir/codec.hpp"

namespace weir::apps::evp {

constexpr int64_t device_count = 3;
constexpr int64_t max_jitter_ms = 300; ///< A delivery's delay outside an outage.
constexpr int64_t bound_ms = 500;      ///< The watermark's out-of-orderness bound.

/// "a", "b", "c".
std::string device_name(int64_t device);
/// Events per second of device `device` (50, 100, 200).
int64_t rate(int64_t device);

/// One device event.
struct event {
  int64_t device = 0;
  int64_t time_ms = 0;   ///< When it happened (event time).
  int64_t ingest_ms = 0; ///< When the source read it (processing time).
};

/// The run's timeline in epoch ms, fixed at the first start.
struct timeline {
  int64_t origin_ms = 0;       ///< The first events, a whole second.
  int64_t outage_from_ms = 0;  ///< Deliveries due in [from, until) wait until `until`.
  int64_t outage_until_ms = 0;
  int64_t end_ms = INT64_MAX;  ///< No event happens at or after it.
};

/// The timeline of a first start at `start_ms`: history before it, the
/// outage `outage_at_s` after it, the end `run_s` after it (0: never).
timeline make_timeline(int64_t start_ms, int64_t history_s, int64_t outage_at_s, int64_t outage_s,
                       int64_t run_s);

/// An event and when it is delivered.
struct delivery {
  event e;
  int64_t due_ms = 0; ///< Its time plus jitter: when it would arrive without outages.
  int64_t delivered_ms = 0;
};

/// Every event of a timeline in delivery order (by due time, then device,
/// then time). Deterministic; holds at most about a second of events.
class event_schedule {
public:
  explicit event_schedule(const timeline& t);
  bool more();
  /// The next delivery; only after more() said true.
  delivery next();

private:
  void generate_step();
  timeline t_;
  int64_t generated_to_ms_; // events before it are in the heap or gone
  std::vector<delivery> heap_;
};

/// One window's count.
struct window_count {
  int64_t device = 0;
  bool event_time = true; ///< Counted by event time (else by processing time).
  int64_t start_ms = 0;   ///< The window's start (its end is a second later).
  int64_t count = 0;
  /// Version 2 of the job, event time only: the window's average delivery
  /// delay (ingest - event time), else negative.
  double avg_delay_ms = -1;
};

/// "domain=event device=a start=T count=50[ avg_delay_ms=12.3]".
std::string count_line(const window_count& c);

/// Registers "event-vs-processing-time" (see README: options history-s,
/// catch-up, outage-at-s, outage-s, run-s, version, influx, influx-db, output).
void register_event_vs_processing_time();

} // namespace weir::apps::evp

template <>
struct weir::codec<weir::apps::evp::event> {
  static std::string type_name() { return "evp.event"; }
  static void encode(const weir::apps::evp::event& e, weir::byte_writer& out) {
    weir::codec<int64_t>::encode(e.device, out);
    weir::codec<int64_t>::encode(e.time_ms, out);
    weir::codec<int64_t>::encode(e.ingest_ms, out);
  }
  static weir::apps::evp::event decode(weir::byte_reader& in) {
    weir::apps::evp::event e;
    e.device = weir::codec<int64_t>::decode(in);
    e.time_ms = weir::codec<int64_t>::decode(in);
    e.ingest_ms = weir::codec<int64_t>::decode(in);
    return e;
  }
};

template <>
struct weir::codec<weir::apps::evp::window_count> {
  static std::string type_name() { return "evp.window_count"; }
  static void encode(const weir::apps::evp::window_count& c, weir::byte_writer& out) {
    weir::codec<int64_t>::encode(c.device, out);
    weir::codec<bool>::encode(c.event_time, out);
    weir::codec<int64_t>::encode(c.start_ms, out);
    weir::codec<int64_t>::encode(c.count, out);
    weir::codec<double>::encode(c.avg_delay_ms, out);
  }
  static weir::apps::evp::window_count decode(weir::byte_reader& in) {
    weir::apps::evp::window_count c;
    c.device = weir::codec<int64_t>::decode(in);
    c.event_time = weir::codec<bool>::decode(in);
    c.start_ms = weir::codec<int64_t>::decode(in);
    c.count = weir::codec<int64_t>::decode(in);
    c.avg_delay_ms = weir::codec<double>::decode(in);
    return c;
  }
};
