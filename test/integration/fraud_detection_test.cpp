// The fraud-detection sample: its alerts equal an independent reading of the
// generated transactions at any parallelism, and `weir run fraud-detection`
// SIGKILLed mid-run resumes from its checkpoint and writes each alert once.

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "fraud_detection.hpp"
#include "support/kill_after_checkpoint.hpp"
#include "support/part_files.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "weir/job_registry.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"

namespace {

/// The oracle: per account in time order, Flink's walkthrough logic.
std::vector<std::string> expected_alerts(uint64_t count, int64_t accounts) {
  std::map<int64_t, std::vector<fraud::transaction>> by_account;
  for (uint64_t i = 0; i < count; ++i) {
    auto t = fraud::generated(i, accounts);
    by_account[t.account].push_back(t);
  }
  std::vector<std::string> alerts;
  for (auto& [account, ts] : by_account) {
    std::sort(ts.begin(), ts.end(), [](const auto& a, const auto& b) { return a.time_ms < b.time_ms; });
    std::optional<fraud::transaction> small;
    for (const auto& t : ts) {
      if (small && small->time_ms + fraud::window_ms <= t.time_ms) small.reset();
      if (small) {
        if (t.cents > fraud::large_above_cents) alerts.push_back(fraud::alert_line(*small, t));
        small.reset();
      }
      if (t.cents < fraud::small_below_cents) small = t;
    }
  }
  std::sort(alerts.begin(), alerts.end());
  return alerts;
}

/// Every line of DIR's committed part files, sorted (a line twice shows
/// twice); fails the test on debris a finished run must not leave.
std::vector<std::string> committed_lines(const std::string& dir) {
  auto lines = weir::test::part_lines(dir);
  std::sort(lines.begin(), lines.end());
  return lines;
}

} // namespace

TEST_CASE("fraud detection's alerts equal an independent reading of the transactions, at "
          "parallelism 1 and 3",
          "[integration][samples]") {
  fraud::register_fraud_detection();
  auto expected = expected_alerts(200000, 1000);
  REQUIRE(expected.size() > 10); // the generator plants enough patterns to test something
  weir::test::temp_dir dir;
  for (const char* p : {"1", "3"}) {
    weir::environment env;
    env.options().batch_size = 64;
    auto out = dir.file(std::string("out-") + p);
    REQUIRE_FALSE(weir::build_registered_job(
        env, "fraud-detection",
        {{"transactions", "200000"}, {"accounts", "1000"}, {"output", out}, {"parallelism", p}}));
    auto result = env.execute("fraud-detection");
    INFO("parallelism " << p << ": " << result.failure.to_string());
    REQUIRE(result.ok());
    CHECK(committed_lines(out) == expected);
  }
}

TEST_CASE("weir run fraud-detection SIGKILLed mid-run resumes from its checkpoint and writes each "
          "alert once",
          "[integration][samples][cli]") {
  weir::test::temp_dir dir;
  std::vector<std::string> argv{WEIR_CLI, "run", "fraud-detection", "--transactions", "2000000",
                                "--output", dir.file("out"), "--state-dir", dir.file("state"),
                                "--parallelism", "2", "--batch-size", "16",
                                "--checkpoint-interval", "20", "--quiet"};
  weir::test::kill_after_first_checkpoint(argv, dir.file("state"), dir.file("first.log"));
  auto r = weir::test::run_command(argv, 300000);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("resuming the unfinished run of 'fraud-detection' from checkpoint"));
  CHECK(committed_lines(dir.file("out")) == expected_alerts(2000000, 1000));
}

TEST_CASE("fraud detection alerts on a large transaction under a minute after a small one, not "
          "at a minute or after another",
          "[integration][samples]") {
  using fraud::transaction;
  std::vector<transaction> ts{
      {1, 99, 0},        {1, 50001, 59999},  // under a minute: alert
      {2, 50, 1000},     {2, 90000, 61000},  // exactly a minute: none
      {3, 10, 0},        {3, 5000, 100},     {3, 70000, 200}, // another in between: none
      {4, 10, 0},        {4, 20, 30000},     {4, 50001, 80000}, // the second small counts: alert
      {5, 100, 0},       {5, 60000, 10},     // 1.00 is not small: none
      {6, 1, 0},         {6, 50000, 10},     // 500.00 is not large: none
  };
  auto alerts = std::make_shared<weir::collected<std::string>>();
  weir::environment env;
  fraud::detect(env.from_collection(ts).uid("transactions")).sink(weir::collect_sink(alerts)).uid("out");
  auto result = env.execute("fraud-edges");
  INFO(result.failure.to_string());
  REQUIRE(result.ok());
  auto got = alerts->values();
  std::sort(got.begin(), got.end());
  CHECK(got == std::vector<std::string>{fraud::alert_line({1, 99, 0}, {1, 50001, 59999}),
                                        fraud::alert_line({4, 20, 30000}, {4, 50001, 80000})});
}
