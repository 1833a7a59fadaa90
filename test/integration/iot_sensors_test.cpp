// The iot-sensors sample end to end: its averages equal an independent
// computation at any parallelism and batch size, paced or not; paced like a
// live fleet, exactly the flaky and dead sensors are reported silent (and
// the flaky ones back); SIGKILLed, it resumes from its checkpoint.

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "jobs/iot_sensors.hpp"
#include "support/kill_after_checkpoint.hpp"
#include "support/part_files.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "weir/job_registry.hpp"
#include "weir/stream.hpp"

namespace iot = weir::apps::iot;

namespace {

std::vector<std::string> sorted_lines(const std::string& dir) {
  auto lines = weir::test::part_lines(dir);
  std::sort(lines.begin(), lines.end());
  return lines;
}

/// Each sensor's minute: its readings' sum, min, max and count, as lines.
std::vector<std::string> expected_averages(int64_t sensors, int64_t minutes) {
  std::map<std::pair<int64_t, int64_t>, std::tuple<int64_t, int64_t, int64_t, int64_t>> windows;
  for (const auto& r : iot::all_readings(sensors, minutes)) {
    auto [it, fresh] = windows.try_emplace({r.sensor, r.time_ms / iot::window_ms * iot::window_ms},
                                           0, INT64_MAX, INT64_MIN, 0);
    auto& [sum, lo, hi, n] = it->second;
    sum += r.centi;
    lo = std::min(lo, r.centi);
    hi = std::max(hi, r.centi);
    ++n;
  }
  std::vector<std::string> lines;
  for (const auto& [key, w] : windows)
    lines.push_back(iot::average_line(key.first, key.second, std::get<0>(w), std::get<1>(w),
                                      std::get<2>(w), std::get<3>(w)));
  std::sort(lines.begin(), lines.end());
  return lines;
}

/// What a live fleet's silences look like: each flaky sensor silent (its
/// latest reading from before minute 40) and back (the first reading to
/// arrive from minute 80 on), each dead sensor silent once.
std::vector<std::string> expected_alerts(int64_t sensors, int64_t minutes) {
  std::map<int64_t, int64_t> before_silence, back;
  for (const auto& r : iot::all_readings(sensors, minutes)) {
    int64_t silent_from = r.sensor % 10 == 3 ? iot::flaky_from_ms : r.sensor % 10 == 7 ? iot::dead_from_ms : -1;
    if (silent_from < 0) continue;
    if (r.time_ms < silent_from) {
      auto& latest = before_silence[r.sensor];
      latest = std::max(latest, r.time_ms);
    } else if (!back.count(r.sensor)) {
      back[r.sensor] = r.time_ms; // readings come in arrival order
    }
  }
  std::vector<std::string> lines;
  for (auto [sensor, latest] : before_silence) lines.push_back(iot::silent_line(sensor, latest));
  for (auto [sensor, time] : back) lines.push_back(iot::back_line(sensor, time));
  std::sort(lines.begin(), lines.end());
  return lines;
}

} // namespace

TEST_CASE("iot-sensors' averages equal an independent computation at any parallelism and batch size",
          "[integration][samples]") {
  iot::register_iot_sensors();
  auto want = expected_averages(50, 160);
  REQUIRE(want.size() == 50 * 160 - 5 * 40 - 5 * 60); // flaky sensors miss 40 minutes, dead ones 60
  weir::test::temp_dir dir;
  for (auto [p, batch] : {std::pair<const char*, size_t>{"1", 1024}, {"3", 1}, {"2", 4096}}) {
    weir::environment env;
    env.options().batch_size = batch;
    auto run = std::string("p") + p + "-b" + std::to_string(batch);
    auto out = dir.file(run + "-averages");
    REQUIRE_FALSE(weir::build_registered_job(env, "iot-sensors",
                                             {{"sensors", "50"}, {"minutes", "160"}, {"speedup", "0"},
                                              {"silence-ms", "60000"}, {"output", out},
                                              {"alerts", dir.file(run + "-alerts")},
                                              {"parallelism", p}}));
    auto result = env.execute("iot-sensors");
    INFO(run << ": " << result.failure.to_string());
    REQUIRE(result.ok());
    CHECK(result.late_records == 0);
    CHECK(sorted_lines(out) == want);
  }
}

// Paced at 1200x: a regular sensor's readings come at most 30 s of event time
// (25 ms) apart, the silence alert takes a second (20 minutes of event time),
// a flaky sensor is silent for 40 minutes (2 s) and a dead one for the last
// 60 (3 s): a false or missed alert needs the job to stall for a second.
TEST_CASE("weir run iot-sensors, paced like a live fleet, reports exactly its flaky and dead "
          "sensors silent, the flaky ones back, and the same averages",
          "[integration][samples][cli]") {
  weir::test::temp_dir dir;
  auto r = weir::test::run_command({WEIR_CLI, "run", "iot-sensors", "--sensors", "20", "--minutes", "160",
                                    "--speedup", "1200", "--silence-ms", "1000", "--parallelism", "2",
                                    "--output", dir.file("averages"), "--alerts", dir.file("alerts"),
                                    "--state-dir", dir.file("state"), "--quiet"},
                                   120000);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  auto alerts = expected_alerts(20, 160);
  REQUIRE(alerts.size() == 6); // sensors 3 and 13 silent and back, 7 and 17 silent
  CHECK(sorted_lines(dir.file("alerts")) == alerts);
  CHECK(sorted_lines(dir.file("averages")) == expected_averages(20, 160));
}

TEST_CASE("weir run iot-sensors SIGKILLed mid-run resumes from its checkpoint: every average as "
          "in a run without the kill",
          "[integration][samples][cli]") {
  weir::test::temp_dir dir;
  std::vector<std::string> argv{WEIR_CLI, "run", "iot-sensors", "--sensors", "500", "--minutes", "720",
                                "--speedup", "0", "--output", dir.file("averages"),
                                "--alerts", dir.file("alerts"), "--state-dir", dir.file("state"),
                                "--parallelism", "2", "--batch-size", "16", "--checkpoint-interval", "20",
                                "--quiet"};
  weir::test::kill_after_first_checkpoint(argv, dir.file("state"), dir.file("first.log"));
  auto r = weir::test::run_command(argv, 300000);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("resuming the unfinished run of 'iot-sensors' from checkpoint"));
  CHECK(sorted_lines(dir.file("averages")) == expected_averages(500, 720));
}
