// The sessionization sample: its sessions and late clicks equal an
// independent reading of the generated clicks, at parallelism 1 and 3 and
// with a watermark after every click or after large batches.

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "jobs/sessionization.hpp"
#include "support/kill_after_checkpoint.hpp"
#include "support/part_files.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "weir/job_registry.hpp"
#include "weir/stream.hpp"

namespace s = weir::apps::sessions;

namespace {

using session = std::tuple<int64_t, int64_t, int64_t>; // user, start, end

/// Every line of DIR's committed part files, sorted (a line twice shows
/// twice); fails the test on debris a finished run must not leave.
std::vector<std::string> lines_of(const std::string& dir) {
  auto lines = weir::test::part_lines(dir);
  std::sort(lines.begin(), lines.end());
  return lines;
}

/// Each session's largest click count written (a late click rewrites its line).
std::map<session, int64_t> final_sessions(const std::string& dir) {
  std::map<session, int64_t> out;
  for (const auto& line : lines_of(dir)) {
    int64_t user = 0, start = 0, end = 0, clicks = 0;
    REQUIRE(std::sscanf(line.c_str(), "user=%ld start=%ld end=%ld clicks=%ld", &user, &start, &end, &clicks) == 4);
    auto& n = out[{user, start, end}];
    n = std::max(n, clicks);
  }
  return out;
}

/// The oracle: a click is late when it arrives after the watermark (the
/// latest time seen so far minus the bound) passed its session's end plus
/// the lateness, by construction the stragglers of four hours; sessions are
/// a user's other clicks under the gap apart.
struct expected {
  std::map<session, int64_t> sessions;
  std::vector<std::string> late;
};

expected oracle(uint64_t count) {
  auto clicks = s::generated_clicks(count);
  expected e;
  std::map<int64_t, std::vector<int64_t>> times;
  int64_t max_seen = INT64_MIN;
  for (const auto& c : clicks) {
    max_seen = std::max(max_seen, c.second);
    bool straggler = c.second < max_seen - 3 * 60 * 60 * 1000; // the four-hour ones
    if (straggler) e.late.push_back(s::late_line(c));
    else times[c.first].push_back(c.second);
  }
  for (auto& [user, ts] : times) {
    std::sort(ts.begin(), ts.end());
    size_t first = 0;
    for (size_t i = 1; i <= ts.size(); ++i)
      if (i == ts.size() || ts[i] - ts[i - 1] >= s::gap_ms) {
        e.sessions[{user, ts[first], ts[i - 1] + s::gap_ms}] = static_cast<int64_t>(i - first);
        first = i;
      }
  }
  std::sort(e.late.begin(), e.late.end());
  return e;
}

} // namespace

TEST_CASE("sessionization's sessions and late clicks equal an independent reading, at any "
          "parallelism and batch size",
          "[integration][samples]") {
  s::register_sessionization();
  auto want = oracle(100000);
  REQUIRE(want.late.size() == 47);       // one straggler beyond lateness per block from the 8th
  REQUIRE(want.sessions.size() > 100);
  weir::test::temp_dir dir;
  for (auto [p, batch] : {std::pair<const char*, size_t>{"1", 1024}, {"3", 1}, {"2", 4096}}) {
    weir::environment env;
    env.options().batch_size = batch;
    auto run = std::string("p") + p + "-b" + std::to_string(batch);
    auto out = dir.file(run + "-sessions"), late = dir.file(run + "-late");
    REQUIRE_FALSE(weir::build_registered_job(
        env, "sessionization",
        {{"clicks", "100000"}, {"output", out}, {"late-output", late}, {"parallelism", p}}));
    auto result = env.execute("sessionization");
    INFO(run << ": " << result.failure.to_string());
    REQUIRE(result.ok());
    CHECK(result.late_records == want.late.size());
    CHECK(final_sessions(out) == want.sessions);
    CHECK(lines_of(late) == want.late);
    // Within lateness, a straggler rewrites its session: one line more each.
    CHECK(lines_of(out).size() > want.sessions.size());
  }
}

TEST_CASE("weir run sessionization SIGKILLed mid-run resumes from its checkpoint: every session "
          "and late click as in a run without the kill",
          "[integration][samples][cli]") {
  weir::test::temp_dir dir;
  std::vector<std::string> argv{WEIR_CLI, "run", "sessionization", "--clicks", "3000000",
                                "--output", dir.file("sessions"), "--late-output", dir.file("late"),
                                "--state-dir", dir.file("state"), "--parallelism", "2",
                                "--batch-size", "16", "--checkpoint-interval", "20", "--quiet"};
  weir::test::kill_after_first_checkpoint(argv, dir.file("state"), dir.file("first.log"));
  auto r = weir::test::run_command(argv, 300000);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("resuming the unfinished run of 'sessionization' from checkpoint"));
  auto want = oracle(3000000);
  CHECK(final_sessions(dir.file("sessions")) == want.sessions);
  CHECK(lines_of(dir.file("late")) == want.late);
}
