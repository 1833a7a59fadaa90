// Exactly-once under kill -9 (reliability.md section 1): a separate process
// runs a keyed count over a replayable generator with checkpoints every
// 100-300 ms; it is SIGKILLed at random moments (uniform 0-6 s) and started
// again, at least 10 times. Every key's committed counts must be exact, none
// lost, none twice, none out of order, every kill followed by a restart, and
// at least one kill must have landed after a completed checkpoint.

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <iostream>
#include <optional>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "support/part_files.hpp"
#include "support/process.hpp"
#include "support/seed.hpp"
#include "support/temp_dir.hpp"
#include "support/text.hpp"

namespace {

using weir::test::read_file;

int scale() {
  const char* s = std::getenv("WEIR_SOAK_SCALE");
  return s ? std::max(1, std::atoi(s)) : 1;
}

/// How a start of the job began, from its log: resumed from a checkpoint
/// (its id), from the beginning of an unfinished run (0), or fresh (-1).
int64_t how_it_started(const std::string& log) {
  auto at = log.find("from checkpoint ");
  if (log.find("resuming the unfinished run") != std::string::npos && at != std::string::npos)
    return std::stoll(log.substr(at + 16));
  if (log.find("completed no checkpoint") != std::string::npos) return 0;
  return -1;
}

struct kill_loop_result {
  int kills = 0;
  int restarts_seen = 0;
  std::vector<int64_t> resumed_from;
  std::string last_log;
};

/// Whether a job holds the output directory `out` (its sinks have opened):
/// the job is past start-up and running.
bool job_running(const std::string& out) {
  int fd = ::open((out + "/.weir-lock").c_str(), O_RDWR);
  if (fd < 0) return false;
  bool held = ::flock(fd, LOCK_EX | LOCK_NB) != 0;
  ::close(fd);
  return held;
}

/// Starts `argv` again and again, killing each start at a random moment
/// (uniform 0-max_ms after its sinks opened) until `kills` kills landed,
/// then lets it finish.
kill_loop_result kill_loop(const std::vector<std::string>& argv, const weir::test::temp_dir& dir, int kills,
                           std::mt19937_64& rng, int max_ms = 6000) {
  kill_loop_result r;
  std::uniform_int_distribution<int> moment(0, max_ms);
  for (int start = 0;; ++start) {
    auto log = dir.file("start-" + std::to_string(start) + ".log");
    weir::test::child_process child(argv, log);
    bool last = r.kills >= kills;
    // The lock is the only sign from another process that it runs: poll it
    // (each wait returns early if the process exits).
    std::optional<int> exit;
    while (!last && !exit && !job_running(dir.file("out"))) exit = child.wait(5);
    if (!exit) exit = child.wait(last ? 600000 : moment(rng));
    if (start > 0) {
      auto how = how_it_started(read_file(log));
      if (how >= 0) ++r.restarts_seen;
      if (how > 0) r.resumed_from.push_back(how);
    }
    if (exit) {
      r.last_log = read_file(log);
      INFO(r.last_log);
      REQUIRE(*exit == 0);
      REQUIRE(last); // finished before enough kills landed: the test would prove nothing
      return r;
    }
    REQUIRE_FALSE(last);
    REQUIRE(child.kill()); // the fault: SIGKILL while it runs
    ++r.kills;
  }
}

} // namespace

TEST_CASE("a keyed count killed with SIGKILL at random moments commits every count exactly once",
          "[fault][kill]") {
  const int64_t n = 200000, keys = 40;
  const int kills = 10 * scale();
  auto seed = weir::test::test_seed();
  std::cout << "kill test: seed " << seed << " (WEIR_TEST_SEED replays it)" << std::endl;
  std::mt19937_64 rng(seed);
  weir::test::temp_dir dir;
  auto interval = std::to_string(100 + rng() % 201);
  // 4,000 records/s: about 50 s of work, so ten kills at 3 s on average land
  // while it runs.
  std::vector<std::string> argv{WEIR_EO_JOB, "--records", std::to_string(n), "--keys", std::to_string(keys),
                                "--per-ms", "2", "--interval", interval, "--output", dir.file("out"),
                                "--state-dir", dir.file("state")};
  auto r = kill_loop(argv, dir, kills, rng);
  std::map<int64_t, int64_t> count, last_seq;
  std::set<int64_t> seen;
  uint64_t duplicated = 0, out_of_order = 0, lines = 0;
  for (const auto& line : weir::test::part_lines(dir.file("out"))) {
    ++lines;
    int64_t key, seq, c;
    char comma;
    std::istringstream in(line);
    in >> key >> comma >> seq >> comma >> c;
    if (!seen.insert(seq).second) ++duplicated;
    if (last_seq.count(key) && seq <= last_seq[key]) ++out_of_order;
    last_seq[key] = seq;
    if (c != count[key] + 1) ++out_of_order;
    count[key] = c;
  }
  uint64_t lost = static_cast<uint64_t>(n) - seen.size() + duplicated;
  std::cout << "kill test: " << r.kills << " kills, " << r.restarts_seen << " restarts, resumed from checkpoints";
  for (auto id : r.resumed_from) std::cout << " " << id;
  std::cout << "; checkpoint interval " << interval << " ms; " << lines << " lines committed; lost " << lost
            << ", duplicated " << duplicated << ", out of order " << out_of_order << std::endl;
  CHECK(lost == 0);
  CHECK(duplicated == 0);
  CHECK(out_of_order == 0);
  CHECK(lines == static_cast<uint64_t>(n));
  CHECK(count.size() == static_cast<size_t>(keys));
  for (const auto& [k, c] : count) CHECK(c == n / keys);
  CHECK(r.restarts_seen == r.kills); // every kill was followed by a recovery
  CHECK_FALSE(r.resumed_from.empty()); // ineffective unless a kill landed after a completed checkpoint
}

TEST_CASE("weir run wordcount killed with SIGKILL commits every word's counts 1..n once", "[fault][kill]") {
  auto seed = weir::test::test_seed();
  std::cout << "wordcount kill test: seed " << seed << std::endl;
  std::mt19937_64 rng(seed);
  weir::test::temp_dir dir;
  // About 1.4 s of work here, twice the most 3 kills at <= 250 ms can let it
  // progress: it cannot finish before the kills land (at 40,000 words and
  // 400 ms it did, 1 run in 3 with one seed).
  auto text = weir::test::random_text(rng, 80000);
  weir::test::write_file(dir.file("in.txt"), text);
  // Small frames make the run last long enough to be cut several times.
  std::vector<std::string> argv{WEIR_CLI, "run", "wordcount", "--input", dir.file("in.txt"), "--output",
                                dir.file("out"), "--state-dir", dir.file("state"), "--parallelism", "2",
                                "--batch-size", "1", "--checkpoint-interval", "50"};
  auto r = kill_loop(argv, dir, 3, rng, 250);
  auto last = weir::test::counts_committed_once(dir.file("out"));
  auto expected = weir::test::reference_counts(text);
  CHECK(last == std::map<std::string, int64_t>(expected.begin(), expected.end()));
  std::cout << "wordcount kill test: " << r.kills << " kills, " << r.restarts_seen << " restarts, "
            << r.resumed_from.size() << " from a checkpoint" << std::endl;
  CHECK(r.restarts_seen == r.kills);
}
