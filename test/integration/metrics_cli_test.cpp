// The CLI's metrics and log options (issue 10): what a user gets wrong is a
// usage error before anything runs, a taken port is named, log lines carry
// time, level and job from the level asked for up; and the runtime's log
// events name the task a restart came from.

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/process.hpp"
#include "support/servers.hpp"
#include "support/temp_dir.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"

using namespace weir;

TEST_CASE("metrics options a user gets wrong are usage errors before anything runs",
          "[integration][metrics][cli]") {
  test::temp_dir dir;
  auto out = dir.file("out");
  for (auto [args, says] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--metrics-port", "70000"}, "--metrics-port must be a number from 0 to 65535"},
           {{"--metrics-bind", "0.0.0.0"}, "--metrics-bind goes with --metrics-port or --ui-port"},
           {{"--influxdb-url", "ftp://host"},
            "InfluxDB URL 'ftp://host': expected http://host:port"},
           {{"--influxdb-db", "weir"}, "--influxdb-db goes with --influxdb-url"},
           {{"--influxdb-url", "http://127.0.0.1:1", "--influxdb-db", "a;b"},
            "InfluxDB database 'a;b'"},
           {{"--metrics-interval-ms", "5"}, "--metrics-interval-ms must be a number from 100"}}) {
    std::vector<std::string> argv{WEIR_CLI, "run",         "wordcount",      "--output",
                                  out,      "--state-dir", dir.file("state")};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = test::run_command(argv, 60000);
    INFO(r.output);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.output, Catch::Contains(says));
  }
  CHECK_FALSE(std::filesystem::exists(out)); // nothing ran
}

TEST_CASE("weir run serves metrics on a port it names, and a taken port is a clear error",
          "[integration][metrics][cli]") {
  test::temp_dir dir;
  auto r = test::run_command({WEIR_CLI, "run", "wordcount", "--output", dir.file("out"),
                              "--state-dir", dir.file("state"), "--metrics-port", "0"},
                             60000);
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(std::regex_search(
      r.output, std::regex(R"(metrics: Prometheus text at http://127\.0\.0\.1:[0-9]+/metrics)")));
  test::silent_listener taken;
  REQUIRE(taken.port() != 0);
  auto port = std::to_string(taken.port());
  auto busy = test::run_command({WEIR_CLI, "run", "wordcount", "--output", dir.file("out2"),
                                 "--state-dir", dir.file("state2"), "--metrics-port", port},
                                60000);
  INFO(busy.output);
  CHECK(busy.exit_code == 1);
  CHECK_THAT(busy.output, Catch::Contains("cannot serve metrics on 127.0.0.1:" + port));
}

TEST_CASE("weir run logs one line per event with time, level and job, from the level asked for up",
          "[integration][metrics][cli]") {
  test::temp_dir dir;
  auto run = [&](const std::string& level) {
    return test::run_command({WEIR_CLI, "run", "wordcount", "--output", dir.file("out-" + level),
                              "--state-dir", dir.file("state-" + level), "--log-level", level},
                             60000);
  };
  auto info = run("info");
  INFO(info.output);
  CHECK(info.exit_code == 0);
  CHECK(std::regex_search(info.output,
                          std::regex(R"((^|\n)\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO  )"
                                     R"(job=wordcount control endpoint on 127\.0\.0\.1:)")));
  CHECK_THAT(info.output, !Catch::Contains(" DEBUG "));
  auto debug = run("debug");
  INFO(debug.output);
  CHECK(debug.exit_code == 0);
  // Every task's start and end, and each checkpoint, named at debug.
  CHECK(std::regex_search(debug.output,
                          std::regex(R"(Z DEBUG job=wordcount task=count\[0/1\] started\n)")));
  CHECK(std::regex_search(
      debug.output, std::regex(R"(Z DEBUG job=wordcount task=split\[0/1\] finished its input: in )"
                               R"(45 records, out 556\n)")));
  CHECK(std::regex_search(debug.output,
                          std::regex(R"(Z DEBUG job=wordcount checkpoint [0-9]+ completed in )")));
  auto warn = run("warn");
  INFO(warn.output);
  CHECK(warn.exit_code == 0);
  CHECK_THAT(warn.output, !Catch::Contains(" INFO "));
  auto bad = run("loud");
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.output, Catch::Contains("--log-level is debug, info, warn or error, not 'loud'"));
}

TEST_CASE("a restart is a warning naming the job and the task that failed",
          "[integration][metrics]") {
  test::temp_dir dir;
  test::write_file(dir.file("in.txt"), "a\nb\nc\n");
  environment env;
  env.options().restart = restart_strategy::fixed_delay(1, 10);
  std::mutex mtx;
  std::vector<log_event> events;
  env.options().log_events = [&](const log_event& e) {
    std::lock_guard<std::mutex> guard(mtx);
    events.push_back(e);
  };
  auto thrown = std::make_shared<std::atomic<bool>>(false);
  env.read_text_file(dir.file("in.txt"))
      .uid("lines")
      .map([thrown](const std::string& s) {
        if (s == "b" && !thrown->exchange(true)) throw std::runtime_error("b is bad once");
        return s;
      })
      .uid("boom")
      .sink(file_sink(dir.file("out")))
      .uid("out");
  auto result = env.execute("restart-job");
  REQUIRE(result.ok());
  CHECK(result.restarts == 1);
  std::lock_guard<std::mutex> guard(mtx);
  bool warned = false;
  for (const auto& e : events)
    if (e.level == log_level::warn && e.job == "restart-job" && e.task == "boom[0/1]"
        && e.message.find("attempt 1 failed") != std::string::npos && e.wall_ms > 0)
      warned = true;
  CHECK(warned);
}

TEST_CASE("a checkpoint that times out is a warning, counted in the metrics as failed",
          "[integration][metrics]") {
  test::temp_dir dir;
  std::string text;
  for (int i = 0; i < 400; ++i)
    text += std::to_string(i) + "\n";
  test::write_file(dir.file("in.txt"), text);
  environment env;
  env.options().batch_size = 16; // the source stays backpressured, its barriers behind full batches
  env.options().checkpoints.interval_ms = 10;
  env.options().checkpoints.timeout_ms = 20; // far less than the slow map holds a barrier back
  env.options().metrics.interval_ms = 20;
  std::mutex mtx;
  std::vector<log_event> events;
  uint64_t failed_in_metrics = 0;
  env.options().log_events = [&](const log_event& e) {
    std::lock_guard<std::mutex> guard(mtx);
    events.push_back(e);
  };
  env.options().metrics.on_metrics = [&](const job_metrics& m) {
    std::lock_guard<std::mutex> guard(mtx);
    failed_in_metrics = std::max(failed_in_metrics, m.checkpoints_failed);
  };
  env.read_text_file(dir.file("in.txt"))
      .uid("lines")
      .map([](const std::string& s) {
        // The workload: 2 ms a record, so a barrier waits behind the
        // frames in flight (credits x 16 records) far longer than 20 ms.
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        return s;
      })
      .uid("slow")
      .sink(file_sink(dir.file("out")))
      .uid("out");
  auto result = env.execute("timeout-job");
  REQUIRE(result.ok());
  std::lock_guard<std::mutex> guard(mtx);
  size_t warned = 0;
  for (const auto& e : events)
    if (e.level == log_level::warn && e.job == "timeout-job"
        && std::regex_search(e.message, std::regex("^checkpoint [0-9]+ failed: ")))
      ++warned;
  INFO("warnings: " << warned << ", failed in metrics: " << failed_in_metrics);
  CHECK(warned > 0);
  CHECK(failed_in_metrics > 0);
  CHECK(failed_in_metrics <= warned);
}
