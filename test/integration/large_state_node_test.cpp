// State larger than the largest message a process reads (issue 9): a task's
// snapshot travels from its node to the coordinator in parts, and restored
// state back in parts, so a job whose state outgrows max_message_bytes
// checkpoints, stops with a savepoint and resumes on nodes like any other.

#include <catch2/catch.hpp>

#include <algorithm>
#include <future>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "support/node_process.hpp"
#include "support/part_files.hpp"
#include "weir/checkpoints.hpp"
#include "weir/control.hpp"

using namespace weir;

namespace {

constexpr size_t max_message = 16u << 20; // on the nodes and the coordinator

/// `distinct` random ten-letter words, each twice, shuffled, twelve per line.
std::string vocabulary_text(size_t distinct, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::string> words;
  words.reserve(2 * distinct);
  for (size_t i = 0; i < distinct; ++i) {
    std::string w(10, 'a');
    for (auto& c : w)
      c = static_cast<char>('a' + rng() % 26);
    words.push_back(w);
    words.push_back(w);
  }
  std::shuffle(words.begin(), words.end(), rng);
  std::string text;
  for (size_t i = 0; i < words.size(); ++i)
    text += words[i] + (i % 12 == 11 ? "\n" : " ");
  return text + "\n";
}

job_result run_on(const std::vector<std::string>& nodes, const test::temp_dir& dir,
                  std::vector<std::string>& log) {
  apps::register_wordcount();
  environment env;
  env.options().nodes = nodes;
  env.options().max_message_bytes = max_message;
  env.options().checkpoints.interval_ms = 300;
  env.options().checkpoints.state_dir = dir.file("state");
  env.options().log = [&log](const std::string& l) { log.push_back(l); };
  if (auto err = build_registered_job(
          env, "wordcount",
          {{"input", dir.file("in.txt")}, {"output", dir.file("out")}, {"parallelism", "1"}})) {
    job_result failed;
    failed.failure = err;
    return failed;
  }
  return env.execute("wordcount");
}

} // namespace

TEST_CASE("state larger than the largest message crosses between node and coordinator in parts, "
          "both ways",
          "[integration][remote][multinode]") {
  auto cap = std::to_string(max_message);
  test::node_process node({"--slots", "1", "--max-message-bytes", cap});
  test::temp_dir dir;
  auto text = vocabulary_text(1200000, 83);
  test::write_file(dir.file("in.txt"), text);

  // Stopped with a savepoint once the committed output shows 900,000 words
  // counted: their state (word and count each) is well over 16 MiB.
  std::vector<std::string> log;
  auto first = std::async(std::launch::async, [&] { return run_on({node.address}, dir, log); });
  for (int i = 0; i < 6000 && test::count_visible_lines(dir.file("out")) < 900000; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10)); // another process writes it: polled
  auto stopped = control_job(dir.file("state"), "stop big");
  auto result = first.get();
  for (const auto& l : log)
    UNSCOPED_INFO(l);
  INFO(result.failure.to_string());
  REQUIRE(stopped);
  REQUIRE(result.ok());
  REQUIRE(result.stopped_with == "big@1");
  CHECK(result.restarts == 0); // no connection was lost to a large message

  auto history = list_checkpoints(dir.file("state"));
  REQUIRE(history);
  uint64_t largest = 0;
  for (const auto& c : history->second)
    largest = std::max(largest, c.completed ? c.bytes : 0);
  INFO("largest checkpoint: " << largest << " bytes");
  CHECK(largest > max_message);

  // Resumed from the savepoint on the node: the state goes back in parts.
  std::vector<std::string> log2;
  auto second = run_on({node.address}, dir, log2);
  for (const auto& l : log2)
    UNSCOPED_INFO(l);
  INFO(second.failure.to_string());
  REQUIRE(second.ok());
  CHECK(second.restarts == 0);
  CHECK(second.resumed_from > 0);
  auto expected = test::reference_counts(text);
  CHECK(test::counts_committed_once(dir.file("out"))
        == std::map<std::string, int64_t>(expected.begin(), expected.end()));
}
