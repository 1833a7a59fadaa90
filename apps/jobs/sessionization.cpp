#include "jobs/sessionization.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "jobs/job_args.hpp"
#include "weir/job_registry.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"
#include "weir/windows.hpp"

namespace weir::apps::sessions {

namespace {

constexpr uint64_t block = 1800;           // on-time clicks (one a second) per 30-minute block
constexpr uint64_t slots_per_block = 1802; // and two stragglers

uint64_t mix(uint64_t x) { // splitmix64's finalizer
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// The user of the on-time click `i`: one of the 10 users of its block's group.
int64_t user_of(uint64_t i) {
  return static_cast<int64_t>((i / block) % 4 * 10 + mix(i) % 10);
}

error build(environment& env, const job_args& args) {
  auto count = job_number(args, "clicks", 100000, 1, 1000000000);
  if (!count) return count.error_value();
  auto p = job_parallelism(args);
  if (!p) return p.error_value();
  auto output = job_arg(args, "output"), late_output = job_arg(args, "late-output");
  if (output.empty() || late_output.empty())
    return {errc::bad_argument, "sessionization needs --output DIR and --late-output DIR"};
  env.set_parallelism(*p);
  auto sessions =
      env.generate(*count, [](uint64_t k) { return generated_click(k); })
          .uid("clicks")
          .parallelism(1)
          .assign_timestamps_and_watermarks(
              watermark_strategy<click>::for_bounded_out_of_orderness(
                  std::chrono::milliseconds(out_of_orderness_ms))
                  .with_timestamp_assigner([](const click& c) { return c.second; }))
          .uid("event-time")
          .parallelism(1)
          .key_by([](const click& c) { return c.first; })
          .window(event_time_session_windows::with_gap(std::chrono::milliseconds(gap_ms)))
          .allowed_lateness(std::chrono::milliseconds(lateness_ms))
          .process([](int64_t user, const time_window& w, const std::vector<click>& clicks,
                      emitter<std::string>& out) {
            out.emit(session_line(user, w.start, w.end, static_cast<int64_t>(clicks.size())));
          });
  sessions.uid("sessions").sink(file_sink(output)).uid("out");
  sessions.late_data()
      .map([](const click& c) { return late_line(c); })
      .uid("late")
      .sink(file_sink(late_output))
      .uid("late-out");
  return {};
}

} // namespace

click generated_click(uint64_t k) {
  uint64_t b = k / slots_per_block, slot = k % slots_per_block;
  if (slot == 900 || slot == 1201) {
    // A straggler for a session of block b-3 (ended, and fired, about an
    // hour of watermark ago: it joins it) or of block b-8 (over three hours
    // past its end plus lateness: late). The first blocks have no such
    // session: their slot holds one more click of the block instead.
    uint64_t back = slot == 900 ? 3 : 8;
    if (b < back) return {user_of(b * block + slot - 1), static_cast<int64_t>(b * block + slot - 1) * 1000 + 500};
    uint64_t j = (b - back) * block + 600;
    return {user_of(j), static_cast<int64_t>(j) * 1000 - 500};
  }
  uint64_t i = b * block + slot - (slot > 1201 ? 2 : slot > 900 ? 1 : 0); // the on-time click
  return {user_of(i), static_cast<int64_t>(i) * 1000};
}

std::vector<click> generated_clicks(uint64_t count) {
  std::vector<click> clicks;
  clicks.reserve(count);
  for (uint64_t k = 0; k < count; ++k)
    clicks.push_back(generated_click(k));
  return clicks;
}

std::string session_line(int64_t user, int64_t start, int64_t end, int64_t clicks) {
  return "user=" + std::to_string(user) + " start=" + std::to_string(start)
         + " end=" + std::to_string(end) + " clicks=" + std::to_string(clicks);
}

std::string late_line(const click& c) {
  return "user=" + std::to_string(c.first) + " time=" + std::to_string(c.second);
}

void register_sessionization() {
  job_info info;
  info.summary = "sessions of a generated click stream: per user, clicks under 30 minutes apart "
                 "(event time); a late click within 2 hours of allowed lateness updates its "
                 "session (its line is written again), a later one goes to the late output";
  info.options = {{"clicks", "100000", "how many clicks (one a second, about 28 hours for 100000)"},
                  {"output", "out/sessions", "where session lines go (part files)", false, true},
                  {"late-output", "out/sessions-late", "where too-late clicks go (part files)",
                   false, true}};
  info.output_dirs = {"output", "late-output"};
  register_job("sessionization", build, std::move(info));
}

} // namespace weir::apps::sessions
