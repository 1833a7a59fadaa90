#include "jobs/event_vs_processing_time.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <tuple>

#include "jobs/job_args.hpp"
#include "weir/functions.hpp"
#include "weir/influxdb.hpp"
#include "weir/job_registry.hpp"
#include "weir/sinks.hpp"
#include "weir/state.hpp"
#include "weir/stream.hpp"
#include "weir/windows.hpp"

namespace weir::apps::evp {

namespace {

constexpr int64_t step_ms = 100; // the schedule generates this much event time at a time

uint64_t mix(uint64_t x) { // splitmix64's finalizer
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

int64_t period(int64_t device) { return 1000 / rate(device); }

/// 0 to 300 ms, mostly small (a square of a uniform draw), as networks are.
int64_t jitter(int64_t device, int64_t time) {
  auto u = static_cast<int64_t>(mix(static_cast<uint64_t>(time) * 4 + static_cast<uint64_t>(device)) % 301);
  return u * u / 300;
}

bool arrives_later(const delivery& a, const delivery& b) {
  return std::tie(a.due_ms, a.e.device, a.e.time_ms) > std::tie(b.due_ms, b.e.device, b.e.time_ms);
}

/// Paced on processing time: sends what has been delivered by the source's
/// read point, which runs --catch-up times faster than real time until it
/// reaches now (then stays there: live). Its position is the timeline and
/// the number of events sent, so a restore, or a savepoint restored later,
/// goes on along the same timeline.
class event_source final : public source_function<event> {
public:
  struct settings {
    int64_t history_s, outage_at_s, outage_s, run_s, catch_up;
  };
  explicit event_source(settings s) : s_(s) {}

  void open(const subtask_info& info) override {
    clock_ = info.clock;
    opened_ms_ = clock_->now_ms();
    if (!restored_) t_ = make_timeline(opened_ms_, s_.history_s, s_.outage_at_s, s_.outage_s, s_.run_s);
    schedule_ = std::make_unique<event_schedule>(t_);
    for (uint64_t i = 0; i < emitted_ && schedule_->more(); ++i) schedule_->next();
    read_from_ms_ = restored_ && fetch() ? pending_->delivered_ms : t_.origin_ms;
  }

  source_status poll(emitter<event>& out, size_t max_records) override {
    int64_t now = clock_->now_ms();
    int64_t read_to = s_.catch_up > 0 ? std::min(now, read_from_ms_ + (now - opened_ms_) * s_.catch_up) : now;
    for (size_t n = 0; n < max_records; ++n) {
      if (!fetch()) return source_status::exhausted;
      if (pending_->delivered_ms > read_to) return n == 0 ? source_status::idle : source_status::more;
      pending_->e.ingest_ms = now;
      out.set_timestamp(pending_->e.time_ms);
      out.emit(pending_->e);
      pending_.reset();
      ++emitted_;
    }
    return source_status::more;
  }

  bool has_position() const override { return true; }
  void write_position(byte_writer& out) const override {
    codec<std::tuple<int64_t, int64_t, int64_t, int64_t>>::encode(
        {t_.origin_ms, t_.outage_from_ms, t_.outage_until_ms, t_.end_ms}, out);
    codec<uint64_t>::encode(emitted_, out);
  }
  void read_position(byte_reader& in) override {
    std::tie(t_.origin_ms, t_.outage_from_ms, t_.outage_until_ms, t_.end_ms) =
        codec<std::tuple<int64_t, int64_t, int64_t, int64_t>>::decode(in);
    emitted_ = codec<uint64_t>::decode(in);
    restored_ = true;
  }

private:
  bool fetch() {
    if (!pending_ && schedule_->more()) pending_ = schedule_->next();
    return pending_.has_value();
  }

  settings s_;
  const weir::clock* clock_ = nullptr;
  timeline t_;
  bool restored_ = false;
  std::unique_ptr<event_schedule> schedule_;
  std::optional<delivery> pending_;
  uint64_t emitted_ = 0;
  int64_t opened_ms_ = 0, read_from_ms_ = 0;
};

// -- counting by event time: a keyed process function, so that version 2
// of the job can add a field to its state and restore version 1's savepoints.

struct counts_v1 {
  map_state<int64_t, int64_t> counts; // window start -> events
  void fields(state_fields& f) { f("counts", counts); }
};

struct counts_v2 {
  map_state<int64_t, int64_t> counts;
  // window start -> (sum of delivery delays, events they are of): new in
  // version 2, so a window open at a version 1 savepoint has fewer of them
  // than its count.
  map_state<int64_t, std::pair<int64_t, int64_t>> delays;
  void fields(state_fields& f) { f("counts", counts)("delays", delays); }
};

int64_t window_of(int64_t time) { return time - ((time % 1000) + 1000) % 1000; }

template <class State>
stream<window_count> count_by_event_time(stream<event> events) {
  constexpr bool v2 = std::is_same_v<State, counts_v2>;
  return events.key_by([](const event& e) { return e.device; })
      .template process<window_count, State>(
          [](const event& e, State& s, keyed_context<int64_t>& ctx, emitter<window_count>&) {
            int64_t w = window_of(e.time_ms);
            if (w + 999 <= ctx.current_watermark()) return; // late: never, with the bound over the jitter
            const int64_t* n = s.counts.get(w);
            s.counts.put(w, (n ? *n : 0) + 1);
            if constexpr (v2) {
              auto d = s.delays.get(w) ? *s.delays.get(w) : std::pair<int64_t, int64_t>{0, 0};
              s.delays.put(w, {d.first + (e.ingest_ms - e.time_ms), d.second + 1});
            }
            ctx.register_event_time_timer(w + 999);
          },
          [](int64_t time, State& s, keyed_context<int64_t>& ctx, emitter<window_count>& out) {
            int64_t w = time - 999;
            const int64_t* n = s.counts.get(w);
            if (n == nullptr) return;
            window_count c{ctx.key(), true, w, *n, -1};
            if constexpr (v2) {
              // A window open when version 1's savepoint was taken has
              // delays only for the events after the restore: it says none.
              const auto* d = s.delays.get(w);
              if (d != nullptr && d->second == *n)
                c.avg_delay_ms = static_cast<double>(d->first) / static_cast<double>(d->second);
              s.delays.remove(w);
            }
            out.emit(c);
            s.counts.remove(w);
          })
      .uid("event-time-counts");
}

struct count_events {
  int64_t create_accumulator() const { return 0; }
  int64_t add(const event&, int64_t n) const { return n + 1; }
  int64_t merge(int64_t a, int64_t b) const { return a + b; }
  int64_t get_result(int64_t n) const { return n; }
};

stream<window_count> count_by_processing_time(stream<event> events) {
  return events.key_by([](const event& e) { return e.device; })
      .window(tumbling_processing_time_windows::of(std::chrono::seconds(1)))
      .aggregate<window_count>(count_events{},
                               [](int64_t device, const time_window& w, int64_t n, emitter<window_count>& out) {
                                 out.emit(window_count{device, false, w.start, n, -1});
                               })
      .uid("processing-time-counts");
}

influxdb_point to_point(const window_count& c) {
  influxdb_point p;
  p.measurement = "events_per_second";
  p.tags = {{"device", device_name(c.device)}, {"domain", c.event_time ? "event" : "processing"}};
  p.fields = {{"count", c.count}};
  if (c.avg_delay_ms >= 0) p.fields.emplace_back("avg_delay_ms", c.avg_delay_ms);
  p.time_ms = c.start_ms;
  return p;
}

/// Both counts into InfluxDB, or as lines into DIR/event and DIR/processing.
void sink_counts(stream<window_count> counts, const std::string& domain, const job_args& args) {
  auto influx = job_arg(args, "influx");
  if (!influx.empty()) {
    influxdb_sink_options o;
    o.url = influx;
    o.database = job_arg(args, "influx-db", "weir_demo");
    counts.sink(influxdb_sink<window_count>(o, to_point)).uid(domain + "-out");
  } else {
    counts.map([](const window_count& c) { return count_line(c); })
        .uid(domain + "-lines")
        .sink(file_sink(job_arg(args, "output") + "/" + domain))
        .uid(domain + "-out");
  }
}

error build(environment& env, const job_args& args) {
  auto history = job_number(args, "history-s", 3600, 0, 7 * 86400);
  auto catch_up = job_number(args, "catch-up", 60, 0, 1000000);
  auto outage_at = job_number(args, "outage-at-s", 80, 0, 7 * 86400);
  auto outage = job_number(args, "outage-s", 10, 0, 86400);
  auto run = job_number(args, "run-s", 150, 0, 365 * 86400);
  auto version = job_number(args, "version", 1, 1, 2);
  for (auto* n : {&history, &catch_up, &outage_at, &outage, &run, &version})
    if (!*n) return n->error_value();
  auto p = job_parallelism(args);
  if (!p) return p.error_value();
  if (*run != 0 && *outage_at + *outage > *run)
    return {errc::bad_argument, "event-vs-processing-time: the outage (--outage-at-s + --outage-s) must end "
                                "within --run-s"};
  try { // a bad URL or database is the user's argument: say so before anything runs
    if (!job_arg(args, "influx").empty())
      detail::influxdb_writer check({job_arg(args, "influx"), job_arg(args, "influx-db", "weir_demo")});
  } catch (const std::invalid_argument& e) {
    return {errc::bad_argument, e.what()};
  }
  env.set_parallelism(*p);
  event_source::settings s{static_cast<int64_t>(*history), static_cast<int64_t>(*outage_at),
                           static_cast<int64_t>(*outage), static_cast<int64_t>(*run),
                           static_cast<int64_t>(*catch_up)};
  auto events = env.add_source<event>([s] { return std::make_unique<event_source>(s); }, "devices")
                    .uid("devices")
                    .parallelism(1)
                    .assign_timestamps_and_watermarks(
                        watermark_strategy<event>::for_bounded_out_of_orderness(std::chrono::milliseconds(bound_ms))
                            .with_timestamp_assigner([](const event& e) { return e.time_ms; }))
                    .uid("event-time")
                    .parallelism(1);
  auto by_event = *version == 2 ? count_by_event_time<counts_v2>(events) : count_by_event_time<counts_v1>(events);
  sink_counts(by_event, "event", args);
  sink_counts(count_by_processing_time(events), "processing", args);
  env.set_job_version(std::to_string(*version));
  return {};
}

} // namespace

std::string device_name(int64_t device) { return std::string(1, static_cast<char>('a' + device)); }

int64_t rate(int64_t device) { return 50 << device; }

timeline make_timeline(int64_t start_ms, int64_t history_s, int64_t outage_at_s, int64_t outage_s,
                       int64_t run_s) {
  timeline t;
  t.origin_ms = window_of(start_ms) - history_s * 1000;
  t.outage_from_ms = start_ms + outage_at_s * 1000;
  t.outage_until_ms = t.outage_from_ms + outage_s * 1000;
  t.end_ms = run_s == 0 ? INT64_MAX : window_of(start_ms) + run_s * 1000;
  return t;
}

event_schedule::event_schedule(const timeline& t) : t_(t), generated_to_ms_(t.origin_ms) {}

// Events generated later happen, so are due, no earlier than generated_to:
// the heap's front is final once it is due before that.
bool event_schedule::more() {
  while (generated_to_ms_ < t_.end_ms && (heap_.empty() || heap_.front().due_ms >= generated_to_ms_))
    generate_step();
  return !heap_.empty();
}

delivery event_schedule::next() {
  std::pop_heap(heap_.begin(), heap_.end(), arrives_later);
  delivery d = heap_.back();
  heap_.pop_back();
  return d;
}

void event_schedule::generate_step() {
  int64_t to = std::min(generated_to_ms_ + step_ms, t_.end_ms);
  for (int64_t device = 0; device < device_count; ++device) {
    int64_t p = period(device);
    int64_t first = generated_to_ms_ + (p - (generated_to_ms_ - t_.origin_ms) % p) % p;
    for (int64_t time = first; time < to; time += p) {
      int64_t due = time + jitter(device, time);
      int64_t delivered = due >= t_.outage_from_ms && due < t_.outage_until_ms ? t_.outage_until_ms : due;
      heap_.push_back({{device, time, 0}, due, delivered});
      std::push_heap(heap_.begin(), heap_.end(), arrives_later);
    }
  }
  generated_to_ms_ = to;
}

std::string count_line(const window_count& c) {
  std::string line = std::string("domain=") + (c.event_time ? "event" : "processing") + " device="
                     + device_name(c.device) + " start=" + std::to_string(c.start_ms) + " count="
                     + std::to_string(c.count);
  if (c.avg_delay_ms >= 0) {
    char buf[48];
    std::snprintf(buf, sizeof buf, " avg_delay_ms=%.1f", c.avg_delay_ms);
    line += buf;
  }
  return line;
}

void register_event_vs_processing_time() {
  job_info info;
  info.summary = "the event time vs processing time demo: three devices send 50, 100 and 200 events a "
                 "second with delivery delays, an hour of backlog and an outage; counted per device "
                 "in 1-second windows by event time (exact) and by processing time (distorted), "
                 "into InfluxDB (--influx) or part files";
  info.options = {
      {"history-s", "3600", "seconds the devices have been sending before the first start (a backlog)"},
      {"catch-up", "60", "the backlog is read this many times faster than real time (0: at once)"},
      {"outage-at-s", "80", "seconds after the first start when deliveries stop"},
      {"outage-s", "10", "how long they stop; the held-back events then arrive at once"},
      {"run-s", "150", "seconds after the first start when the devices stop (0: never)"},
      {"version", "1", "the job's version: 2 adds each window's average delivery delay (a new "
                       "state field; restores version 1's savepoints)"},
      {"influx", "", "InfluxDB 1.x URL (http://host:port) to write the counts to"},
      {"influx-db", "weir_demo", "the InfluxDB database"},
      {"output", "out/event-vs-processing-time", "without --influx: where the counts go (DIR/event, "
                                                 "DIR/processing, part files)", false, true}};
  register_job("event-vs-processing-time", build, std::move(info));
}

} // namespace weir::apps::evp
