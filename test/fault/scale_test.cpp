// Scale in small (issue 9): sixteen node processes on loopback with one slot
// each run word count at parallelism 16 (80 tasks). Checks the placement
// (node k holds subtask k of every operator) and the result, and reports what
// a coordinator pays: placement and deployment time, checkpoint durations,
// and the messages and bytes per second it reads from the nodes. README,
// "Several processes", turns these figures into an estimate of where one
// coordinator saturates.

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "support/node_process.hpp"
#include "weir/checkpoints.hpp"

using namespace weir;

namespace {

using clock_type = std::chrono::steady_clock;

struct timed_line {
  double at_ms; // since the run began
  std::string text;
};

const timed_line* find_line(const std::vector<timed_line>& log, const std::string& what) {
  for (const auto& l : log)
    if (l.text.find(what) != std::string::npos) return &l;
  return nullptr;
}

/// The number after `after` in `text`, or -1.
long number_after(const std::string& text, const std::string& after) {
  auto at = text.find(after);
  return at == std::string::npos ? -1 : std::strtol(text.c_str() + at + after.size(), nullptr, 10);
}

} // namespace

TEST_CASE("sixteen nodes at parallelism 16: placement, deployment, checkpoints and the "
          "coordinator's load",
          "[fault][scale][multinode]") {
  constexpr int nodes = 16;
  std::vector<std::unique_ptr<test::node_process>> cluster;
  std::vector<std::string> addresses;
  auto started = clock_type::now();
  for (int i = 0; i < nodes; ++i) {
    cluster.push_back(
        std::make_unique<test::node_process>(std::vector<std::string>{"--slots", "1"}));
    addresses.push_back(cluster.back()->address);
  }
  auto nodes_up_s = std::chrono::duration<double>(clock_type::now() - started).count();
  test::temp_dir dir;
  std::mt19937_64 rng(79);
  auto text = test::random_text(rng, 150000);
  test::write_file(dir.file("in.txt"), text);
  apps::register_wordcount();
  environment env;
  env.options().nodes = addresses;
  env.options().batch_size = 64;
  env.options().checkpoints.interval_ms = 100;
  env.options().checkpoints.state_dir = dir.file("state");
  std::vector<timed_line> log;
  auto begin = clock_type::now();
  env.options().log = [&](const std::string& l) {
    log.push_back(
        {std::chrono::duration<double, std::milli>(clock_type::now() - begin).count(), l});
  };
  REQUIRE_FALSE(build_registered_job(env, "wordcount",
                                     {{"input", dir.file("in.txt")},
                                      {"output", dir.file("out")},
                                      {"parallelism", std::to_string(nodes)}}));
  begin = clock_type::now();
  auto result = env.execute("wordcount");
  for (const auto& l : log)
    UNSCOPED_INFO(l.at_ms << " ms: " << l.text);
  INFO(result.failure.to_string());
  REQUIRE(result.ok());
  test::check_word_counts(dir.file("out"), text);

  // Slot k is subtask k of every operator, and slot k went to node k.
  const auto* placement = find_line(log, "placement: ");
  REQUIRE(placement);
  for (int k = 0; k < nodes; ++k) {
    auto part = placement->text.substr(placement->text.find("node " + addresses[size_t(k)] + " "));
    part = part.substr(0, part.find(';'));
    auto sub = "[" + std::to_string(k) + "/16]";
    CHECK_THAT(part, Catch::Contains("lines" + sub) && Catch::Contains("split" + sub)
                         && Catch::Contains("count" + sub) && Catch::Contains("format" + sub)
                         && Catch::Contains("out" + sub));
  }
  const auto* deployed = find_line(log, "tasks deployed, wired and restored in ");
  REQUIRE(deployed);
  CHECK(number_after(deployed->text, "attempt 1: ") == 5 * nodes);
  auto deploy_ms = number_after(deployed->text, "restored in ");

  auto history = list_checkpoints(dir.file("state"));
  REQUIRE(history);
  std::vector<double> durations;
  for (const auto& c : history->second)
    if (c.completed) durations.push_back(static_cast<double>(c.duration_ms));
  REQUIRE_FALSE(durations.empty());
  std::sort(durations.begin(), durations.end());
  double run_s = result.seconds;
  std::printf(
      "scale: %d nodes (started in %.2f s), %d tasks; placement (connect, join, mesh) %.0f ms; "
      "deployment %ld ms; %zu checkpoints, duration median %.0f ms, max %.0f ms; run %.2f s; "
      "the coordinator read %.0f messages/s and %.0f KB/s from the nodes (%llu messages, %llu "
      "bytes)\n",
      nodes, nodes_up_s, 5 * nodes, placement->at_ms, deploy_ms, durations.size(),
      durations[durations.size() / 2], durations.back(), run_s,
      static_cast<double>(result.messages_from_nodes) / run_s,
      static_cast<double>(result.bytes_from_nodes) / run_s / 1e3,
      static_cast<unsigned long long>(result.messages_from_nodes),
      static_cast<unsigned long long>(result.bytes_from_nodes));
  CHECK(result.messages_from_nodes > 0);
}
