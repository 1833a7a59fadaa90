#include "jobs/iot_sensors.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <tuple>

#include "jobs/job_args.hpp"
#include "weir/job_registry.hpp"
#include "weir/sinks.hpp"
#include "weir/state.hpp"
#include "weir/windows.hpp"

namespace weir::apps::iot {

namespace {

uint64_t mix(uint64_t x) { // splitmix64's finalizer
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t mix(int64_t sensor, int64_t time, uint64_t salt) {
  return mix(static_cast<uint64_t>(sensor) * 0x100000001b3ULL ^ static_cast<uint64_t>(time) ^ salt);
}

/// Where in each 10-second interval sensor `s` reads (sensors are not in step).
int64_t phase(int64_t s) { return static_cast<int64_t>(mix(s, 0, 0x51) % interval_ms); }

/// 15.00 to 24.99 degrees per sensor, plus or minus 1.50 per reading.
int64_t temperature(int64_t s, int64_t t) {
  auto base = static_cast<int64_t>(1500 + mix(s, 0, 0x7e) % 1000);
  return base + static_cast<int64_t>(mix(s, t, 0x3c) % 301) - 150;
}

int64_t delay(int64_t s, int64_t t) {
  return static_cast<int64_t>(mix(s, t, 0xde) % (max_delay_ms + 1));
}

/// Orders the heap so that its front is the reading to arrive first.
bool arrives_later(const reading& a, const reading& b) {
  return std::tie(a.arrival_ms, a.sensor, a.time_ms) > std::tie(b.arrival_ms, b.sensor, b.time_ms);
}

std::string degrees(int64_t centi) {
  char buf[32];
  auto magnitude = static_cast<unsigned long long>(centi < 0 ? -centi : centi);
  std::snprintf(buf, sizeof buf, "%s%llu.%02llu", centi < 0 ? "-" : "", magnitude / 100, magnitude % 100);
  return buf;
}

class sensor_source final : public source_function<reading> {
public:
  sensor_source(int64_t sensors, int64_t minutes, int64_t speedup)
    : schedule_(sensors, minutes), speedup_(speedup) {}

  void open(const subtask_info& info) override {
    clock_ = info.clock;
    // Paced from the start of the schedule, or from the next reading on: a
    // restored source carries on at once rather than sending a backlog.
    start_ms_ = clock_->now_ms();
    if (emitted_ > 0 && speedup_ > 0 && fetch()) start_ms_ -= pending_->arrival_ms / speedup_;
  }

  source_status poll(emitter<reading>& out, size_t max_records) override {
    int64_t now = speedup_ > 0 ? clock_->now_ms() : 0;
    for (size_t n = 0; n < max_records; ++n) {
      if (!fetch()) return source_status::exhausted;
      if (speedup_ > 0 && now < start_ms_ + pending_->arrival_ms / speedup_)
        return n == 0 ? source_status::idle : source_status::more; // not sent yet
      out.set_timestamp(pending_->time_ms);
      out.emit(*pending_);
      pending_.reset();
      ++emitted_;
    }
    return source_status::more;
  }

  bool has_position() const override { return true; }
  void write_position(byte_writer& out) const override { codec<uint64_t>::encode(emitted_, out); }
  void read_position(byte_reader& in) override {
    auto n = codec<uint64_t>::decode(in);
    for (; emitted_ < n && schedule_.more(); ++emitted_) schedule_.next();
  }

private:
  bool fetch() {
    if (!pending_ && schedule_.more()) pending_ = schedule_.next();
    return pending_.has_value();
  }

  reading_schedule schedule_;
  int64_t speedup_;
  const weir::clock* clock_ = nullptr;
  int64_t start_ms_ = 0;
  std::optional<reading> pending_;
  uint64_t emitted_ = 0;
};

/// Per sensor: the latest event time it reported, the pending silence
/// timer, and whether it is silent (alerted, not heard from since).
struct silence_state {
  value_state<int64_t> latest;
  value_state<int64_t> deadline;
  value_state<bool> silent;
  void fields(state_fields& f) { f("latest", latest)("deadline", deadline)("silent", silent); }
};

using sum_min_max_count = std::tuple<int64_t, int64_t, int64_t, int64_t>;

/// The averages' accumulator: sum, min, max and count of the readings.
struct statistics {
  sum_min_max_count create_accumulator() const { return {0, INT64_MAX, INT64_MIN, 0}; }
  sum_min_max_count add(const reading& r, sum_min_max_count a) const {
    auto& [sum, lo, hi, n] = a;
    return {sum + r.centi, std::min(lo, r.centi), std::max(hi, r.centi), n + 1};
  }
  sum_min_max_count merge(sum_min_max_count a, const sum_min_max_count& b) const {
    return {std::get<0>(a) + std::get<0>(b), std::min(std::get<1>(a), std::get<1>(b)),
            std::max(std::get<2>(a), std::get<2>(b)), std::get<3>(a) + std::get<3>(b)};
  }
  sum_min_max_count get_result(const sum_min_max_count& a) const { return a; }
};

error build(environment& env, const job_args& args) {
  auto sensors = job_number(args, "sensors", 50, 1, 1000000);
  auto minutes = job_number(args, "minutes", 160, 1, 60 * 24 * 365);
  auto speedup = job_number(args, "speedup", 600, 0, 1000000000);
  auto silence = job_number(args, "silence-ms", 1000, 1, 86400000);
  for (auto* n : {&sensors, &minutes, &speedup, &silence})
    if (!*n) return n->error_value();
  auto p = job_parallelism(args);
  if (!p) return p.error_value();
  auto output = job_arg(args, "output"), alerts = job_arg(args, "alerts");
  if (output.empty() || alerts.empty())
    return {errc::bad_argument, "iot-sensors needs --output DIR and --alerts DIR"};
  env.set_parallelism(*p);
  auto n = static_cast<int64_t>(*sensors), m = static_cast<int64_t>(*minutes);
  auto x = static_cast<int64_t>(*speedup);
  // One source subtask: the fleet's arrival order is the story.
  auto readings = env.add_source<reading>([n, m, x] { return make_sensor_source(n, m, x); }, "sensors")
                      .uid("sensors")
                      .parallelism(1)
                      .assign_timestamps_and_watermarks(
                          watermark_strategy<reading>::for_bounded_out_of_orderness(
                              std::chrono::milliseconds(max_delay_ms))
                              .with_timestamp_assigner([](const reading& r) { return r.time_ms; }))
                      .uid("event-time")
                      .parallelism(1);
  minute_averages(readings).sink(file_sink(output)).uid("averages-out");
  silence_alerts(readings, static_cast<int64_t>(*silence)).sink(file_sink(alerts)).uid("alerts-out");
  return {};
}

/// The committed lines of DIR's part files (a sink's output), or nullopt
/// when DIR cannot be read.
std::optional<std::vector<std::string>> committed_lines(const std::string& dir) {
  namespace fs = std::filesystem;
  std::vector<std::string> lines;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().filename().string().rfind("part-", 0) != 0) continue;
    std::ifstream in(it->path());
    for (std::string line; std::getline(in, line);) lines.push_back(line);
  }
  if (ec) return std::nullopt;
  std::sort(lines.begin(), lines.end());
  return lines;
}

/// Prints how many averages the run committed and every alert line (a
/// fleet has few). With nodes the sinks may have run on another machine.
bool report(const job_args& args, const job_result&, bool on_nodes) {
  const auto& output = args.at("output");
  const auto& alerts_dir = args.at("alerts");
  auto averages = committed_lines(output);
  auto alerts = committed_lines(alerts_dir);
  if (on_nodes && (!averages || !alerts)) {
    std::printf("the averages and alerts are in %s and %s on the node(s) that ran the sinks\n",
                output.c_str(), alerts_dir.c_str());
    return true;
  }
  if (!averages || !alerts) {
    std::fprintf(stderr, "iot-sensors: cannot read %s\n", (!averages ? output : alerts_dir).c_str());
    return false;
  }
  std::printf("%zu averages in %s; %zu alert lines in %s%s\n", averages->size(), output.c_str(),
              alerts->size(), alerts_dir.c_str(), alerts->empty() ? "" : ":");
  for (size_t i = 0; i < alerts->size() && i < 20; ++i) std::printf("  %s\n", (*alerts)[i].c_str());
  if (alerts->size() > 20) std::printf("  ...\n");
  return true;
}

} // namespace

bool reads_at(int64_t sensor, int64_t time_ms) {
  switch (sensor % 10) {
    case 3: return time_ms < flaky_from_ms || time_ms >= flaky_until_ms;
    case 7: return time_ms < dead_from_ms;
    default: return true;
  }
}

reading_schedule::reading_schedule(int64_t sensors, int64_t minutes)
  : sensors_(sensors), end_ms_(minutes * 60 * 1000) {}

// Readings of later ticks are measured, so arrive, no earlier than the
// tick's start: the heap's front is final once it arrives before that.
bool reading_schedule::more() {
  while (tick_ * interval_ms < end_ms_ && (heap_.empty() || heap_.front().arrival_ms >= tick_ * interval_ms))
    generate_tick();
  return !heap_.empty();
}

reading reading_schedule::next() {
  std::pop_heap(heap_.begin(), heap_.end(), arrives_later);
  reading r = heap_.back();
  heap_.pop_back();
  return r;
}

void reading_schedule::generate_tick() {
  for (int64_t s = 0; s < sensors_; ++s) {
    int64_t t = tick_ * interval_ms + phase(s);
    if (t >= end_ms_ || !reads_at(s, t)) continue;
    heap_.push_back({s, t, temperature(s, t), t + delay(s, t)});
    std::push_heap(heap_.begin(), heap_.end(), arrives_later);
  }
  ++tick_;
}

std::vector<reading> all_readings(int64_t sensors, int64_t minutes) {
  std::vector<reading> out;
  reading_schedule schedule(sensors, minutes);
  while (schedule.more()) out.push_back(schedule.next());
  return out;
}

std::unique_ptr<source_function<reading>> make_sensor_source(int64_t sensors, int64_t minutes,
                                                             int64_t speedup) {
  return std::make_unique<sensor_source>(sensors, minutes, speedup);
}

std::string average_line(int64_t sensor, int64_t start, int64_t sum, int64_t min, int64_t max,
                         int64_t count) {
  // Rounded to the nearest 0.01, halves away from zero.
  int64_t avg = sum >= 0 ? (2 * sum + count) / (2 * count) : -((-2 * sum + count) / (2 * count));
  return "sensor=" + std::to_string(sensor) + " start=" + std::to_string(start) + " avg=" + degrees(avg)
         + " min=" + degrees(min) + " max=" + degrees(max) + " readings=" + std::to_string(count);
}

std::string silent_line(int64_t sensor, int64_t latest) {
  return "sensor=" + std::to_string(sensor) + " silent latest=" + std::to_string(latest);
}

std::string back_line(int64_t sensor, int64_t time) {
  return "sensor=" + std::to_string(sensor) + " back time=" + std::to_string(time);
}

stream<std::string> silence_alerts(stream<reading> readings, int64_t silence_ms) {
  return readings.key_by([](const reading& r) { return r.sensor; })
      .process<std::string, silence_state>(
          [silence_ms](const reading& r, silence_state& s, keyed_context<int64_t>& ctx,
                       emitter<std::string>& out) {
            if (s.silent.has_value()) {
              out.emit(back_line(r.sensor, r.time_ms));
              s.silent.clear();
            }
            s.latest.update(s.latest.has_value() ? std::max(s.latest.value(), r.time_ms) : r.time_ms);
            if (s.deadline.has_value()) ctx.delete_processing_time_timer(s.deadline.value());
            int64_t at = ctx.current_processing_time() + silence_ms;
            ctx.register_processing_time_timer(at);
            s.deadline.update(at);
          },
          [](int64_t time, silence_state& s, keyed_context<int64_t>& ctx, emitter<std::string>& out) {
            if (!ctx.processing_time_timer() || !s.deadline.has_value() || s.deadline.value() != time)
              return;
            s.deadline.clear();
            s.silent.update(true);
            out.emit(silent_line(ctx.key(), s.latest.value()));
          })
      .uid("silence");
}

stream<std::string> minute_averages(stream<reading> readings) {
  return readings.key_by([](const reading& r) { return r.sensor; })
      .window(tumbling_event_time_windows::of(std::chrono::milliseconds(window_ms)))
      .aggregate<std::string>(statistics{},
                              [](int64_t sensor, const time_window& w, const sum_min_max_count& a,
                                 emitter<std::string>& out) {
                                auto [sum, lo, hi, count] = a;
                                out.emit(average_line(sensor, w.start, sum, lo, hi, count));
                              })
      .uid("averages");
}

void register_iot_sensors() {
  job_info info;
  info.summary = "a fleet of temperature sensors sending out-of-order readings in real time: "
                 "per sensor, 1-minute event-time averages; an alert when a sensor sends nothing "
                 "for --silence-ms of processing time, a line when it is back (some sensors go "
                 "silent for 40 minutes, some die)";
  info.options = {{"sensors", "50", "how many sensors (each reads every 10 s of event time)"},
                  {"minutes", "160", "how many minutes of event time the fleet sends"},
                  {"speedup", "600", "event time runs this many times faster than the wall "
                                     "clock (0: as fast as the job can)"},
                  {"silence-ms", "1000", "processing time without a reading that raises an alert"},
                  {"output", "out/iot-averages", "where the averages go (part files)", false, true},
                  {"alerts", "out/iot-alerts", "where silence and back lines go (part files)", false,
                   true}};
  info.output_dirs = {"output", "alerts"};
  info.report = report;
  register_job("iot-sensors", build, std::move(info));
}

} // namespace weir::apps::iot
