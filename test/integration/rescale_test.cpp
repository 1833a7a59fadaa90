// Rescaling through savepoints: a job stopped with a savepoint at
// parallelism 2 and started from it at 4 and at 1 ends with the results of a
// run that never stopped: word count (a file source split by byte ranges,
// keyed counts, a transactional file sink whose files change owners) and
// Nexmark q5 (generated events, sliding windows in flight at the savepoint).

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>

#include "jobs/wordcount.hpp"
#include "support/part_files.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/text.hpp"

namespace {

namespace fs = std::filesystem;
using weir::test::child_process;

weir::test::command_result weir_cli(std::vector<std::string> args, int timeout_ms = 180000) {
  args.insert(args.begin(), WEIR_CLI);
  return weir::test::run_command(args, timeout_ms);
}

/// Runs `argv` (a weir command checkpointing into `state`) and stops it
/// with savepoint "rescale" once it is reachable; fails the test if it
/// finished before the stop landed (the test would prove nothing).
void run_and_stop(const std::vector<std::string>& argv, const std::string& state, const std::string& log) {
  child_process job(argv, log);
  REQUIRE_FALSE(weir::test::wait_for_file_line(state + "/weir-control", 60000).empty());
  auto stop = weir_cli({"job", "stop", "--state-dir", state, "--savepoint", "--name", "rescale"});
  INFO(stop.output);
  INFO(weir::test::read_file(log));
  REQUIRE(stop.exit_code == 0);
  auto code = job.wait(60000);
  REQUIRE(code);
  REQUIRE(*code == 0);
}

/// A copy of `from` (state dir and output) to restore from a second time.
void copy_dir(const std::string& from, const std::string& to) {
  fs::copy(from, to, fs::copy_options::recursive);
}

std::vector<std::string> wordcount(const weir::test::temp_dir& dir, const std::string& run, int parallelism,
                                   std::vector<std::string> extra = {}) {
  std::vector<std::string> argv{WEIR_CLI, "run", "wordcount", "--input", dir.file("in.txt"), "--output",
                                dir.file(run + "-out"), "--state-dir", dir.file(run + "-state"), "--parallelism",
                                std::to_string(parallelism), "--batch-size", "1", "--checkpoint-interval", "50"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

/// Each word's committed counts are 1, 2, ... n, each once; returns each
/// word's n. (After a rescale a word's counts lie in the files of more than
/// one subtask, so they are checked as a set.)
std::map<std::string, int64_t> checked_counts(const std::string& out) {
  std::map<std::string, std::vector<int64_t>> counts;
  for (const auto& line : weir::test::part_lines(out)) {
    auto tab = line.find('\t');
    counts[line.substr(0, tab)].push_back(std::stoll(line.substr(tab + 1)));
  }
  std::map<std::string, int64_t> last;
  for (auto& [word, cs] : counts) {
    std::sort(cs.begin(), cs.end());
    INFO(word);
    for (size_t i = 0; i < cs.size(); ++i) REQUIRE(cs[i] == static_cast<int64_t>(i) + 1);
    last[word] = static_cast<int64_t>(cs.size());
  }
  return last;
}

} // namespace

TEST_CASE("word count stopped with a savepoint at parallelism 2 ends exact from it at 4 and at 1",
          "[integration][savepoint][rescale]") {
  weir::test::temp_dir dir;
  std::mt19937_64 rng(23);
  auto text = weir::test::random_text(rng, 20000);
  weir::test::write_file(dir.file("in.txt"), text);
  run_and_stop(wordcount(dir, "a", 2), dir.file("a-state"), dir.file("a.log"));
  copy_dir(dir.file("a-state"), dir.file("b-state"));
  copy_dir(dir.file("a-out"), dir.file("b-out"));
  auto expected = weir::test::reference_counts(text);
  for (auto [run, parallelism] : {std::pair<std::string, int>{"a", 4}, {"b", 1}}) {
    INFO("restored at parallelism " << parallelism);
    auto restored = weir::test::run_command(wordcount(dir, run, parallelism, {"--from-savepoint", "rescale"}), 180000);
    INFO(restored.output);
    REQUIRE(restored.exit_code == 0);
    CHECK_THAT(restored.output, Catch::Contains("started from savepoint rescale@1"));
    CHECK(checked_counts(dir.file(run + "-out")) == std::map<std::string, int64_t>(expected.begin(), expected.end()));
  }
}

TEST_CASE("Nexmark q5 stopped with a savepoint at parallelism 2 gives an uninterrupted run's windows at 4 and 1",
          "[integration][savepoint][rescale]") {
  weir::test::temp_dir dir;
  auto nexmark = [&](const std::string& run, int parallelism, std::vector<std::string> extra) {
    // 400 s of event time: some 200 windows of 10 s sliding by 2 s.
    std::vector<std::string> argv{WEIR_CLI, "nexmark", "--query", "q5", "--events", "4000000", "--rate", "10000",
                                  "--output",
                                  dir.file(run + "-out"), "--state-dir", dir.file(run + "-state"),
                                  "--parallelism", std::to_string(parallelism), "--checkpoint-interval", "100"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  };
  auto reference = weir::test::run_command(nexmark("ref", 2, {}), 300000);
  REQUIRE(reference.exit_code == 0);
  auto sorted = [](std::vector<std::string> lines) {
    std::sort(lines.begin(), lines.end());
    return lines;
  };
  auto expected = sorted(weir::test::part_lines(dir.file("ref-out")));
  REQUIRE(expected.size() > 150);

  run_and_stop(nexmark("a", 2, {}), dir.file("a-state"), dir.file("a.log"));
  auto at_stop = weir::test::part_lines(dir.file("a-out"), true).size();
  CHECK(at_stop < expected.size()); // windows were still open at the savepoint
  copy_dir(dir.file("a-state"), dir.file("b-state"));
  copy_dir(dir.file("a-out"), dir.file("b-out"));
  for (auto [run, parallelism] : {std::pair<std::string, int>{"a", 4}, {"b", 1}}) {
    INFO("restored at parallelism " << parallelism);
    auto restored = weir::test::run_command(nexmark(run, parallelism, {"--from-savepoint", "rescale"}), 300000);
    INFO(restored.output);
    REQUIRE(restored.exit_code == 0);
    CHECK(sorted(weir::test::part_lines(dir.file(run + "-out"))) == expected);
  }
}
