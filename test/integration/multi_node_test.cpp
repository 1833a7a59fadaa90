// Several node processes and a coordinator (issue 9): results equal the
// embedded run's, subtasks are placed on slots (pipelines together, an
// operator's subtasks spread), and a node that builds the job differently or
// offers too few slots is refused before anything runs.

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <sstream>

#include "jobs/wordcount.hpp"
#include "nexmark/queries.hpp"
#include "support/node_process.hpp"
#include "support/part_files.hpp"
#include "support/text.hpp"
#include "weir/control.hpp"
#include "weir/job_registry.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"

using namespace weir;

namespace {

struct three_nodes {
  std::vector<std::unique_ptr<test::node_process>> nodes;
  std::vector<std::string> addresses;
  explicit three_nodes(const std::string& slots) {
    for (int i = 0; i < 3; ++i) {
      nodes.push_back(std::make_unique<test::node_process>(std::vector<std::string>{"--slots", slots}));
      addresses.push_back(nodes.back()->address);
    }
  }
};

/// The placement line a run logged, split per node: address -> its tasks.
std::map<std::string, std::string> placement_of(const std::vector<std::string>& log) {
  std::map<std::string, std::string> out;
  for (const auto& line : log) {
    auto at = line.find("placement: ");
    if (at == std::string::npos) continue;
    std::istringstream parts(line.substr(at + 11));
    for (std::string part; std::getline(parts, part, ';');) {
      auto node = part.find("node ");
      if (node == std::string::npos) continue;
      auto address = part.substr(node + 5, part.find(' ', node + 5) - node - 5);
      out[address] = part.substr(part.find(": ") + 2);
    }
  }
  return out;
}

} // namespace

TEST_CASE("three nodes run word count like one process, one pipeline per slot, subtasks spread",
          "[integration][remote][multinode]") {
  three_nodes cluster("2");
  test::temp_dir dir;
  std::mt19937_64 rng(31);
  auto text = test::random_text(rng, 5000);
  test::write_file(dir.file("in.txt"), text);
  apps::register_wordcount();
  environment env;
  env.options().nodes = cluster.addresses;
  env.options().batch_size = 64;
  std::vector<std::string> log;
  env.options().log = [&log](const std::string& l) { log.push_back(l); };
  REQUIRE_FALSE(build_registered_job(env, "wordcount",
                                     {{"input", dir.file("in.txt")}, {"output", dir.file("out")}, {"parallelism", "4"}}));
  auto result = env.execute("wordcount");
  INFO(result.failure.to_string());
  REQUIRE(result.ok());
  test::check_word_counts(dir.file("out"), text);

  auto placed = placement_of(log);
  REQUIRE(placed.size() == 3);
  // Slots round robin: subtasks 0 and 3 on the first node, 1 and 2 on the others.
  const auto& a = cluster.addresses;
  for (const char* op : {"lines", "split", "count", "format", "out"}) {
    INFO(op);
    auto task = [&](int i) { return std::string(op) + "[" + std::to_string(i) + "/4]"; };
    CHECK_THAT(placed[a[0]], Catch::Contains(task(0)) && Catch::Contains(task(3)));
    CHECK_THAT(placed[a[1]], Catch::Contains(task(1)));
    CHECK_THAT(placed[a[2]], Catch::Contains(task(2)));
    CHECK_THAT(placed[a[1]], !Catch::Contains(task(0)) && !Catch::Contains(task(2)) && !Catch::Contains(task(3)));
    CHECK_THAT(placed[a[2]], !Catch::Contains(task(0)) && !Catch::Contains(task(1)) && !Catch::Contains(task(3)));
  }
}

TEST_CASE("three nodes run a windowed Nexmark query like one process", "[integration][remote][multinode]") {
  three_nodes cluster("1");
  test::temp_dir dir;
  std::mt19937_64 rng(37);
  auto text = test::random_bids(rng, 1500);
  test::write_file(dir.file("events.json"), text);
  nexmark::register_nexmark();
  auto run = [&](const std::string& out, bool on_nodes) {
    environment env;
    if (on_nodes) env.options().nodes = cluster.addresses;
    REQUIRE_FALSE(build_registered_job(env, "nexmark", {{"query", "q5"}, {"input", dir.file("events.json")},
                                                        {"output", dir.file(out)}, {"parallelism", "3"}}));
    auto r = env.execute("nexmark");
    INFO(r.failure.to_string());
    REQUIRE(r.ok());
    auto lines = test::part_lines(dir.file(out));
    std::sort(lines.begin(), lines.end());
    return lines;
  };
  auto local = run("local", false);
  REQUIRE_FALSE(local.empty());
  CHECK(run("nodes", true) == local);
}

TEST_CASE("a job needing more slots than the nodes offer is refused before it runs, naming the offer",
          "[integration][remote][multinode]") {
  three_nodes cluster("1");
  test::temp_dir dir;
  test::write_file(dir.file("in.txt"), "a b c\n");
  apps::register_wordcount();
  environment env;
  env.options().nodes = cluster.addresses;
  REQUIRE_FALSE(build_registered_job(env, "wordcount",
                                     {{"input", dir.file("in.txt")}, {"output", dir.file("out")}, {"parallelism", "4"}}));
  auto result = env.execute("wordcount");
  REQUIRE_FALSE(result.ok());
  CHECK(result.failure.code() == errc::bad_argument);
  CHECK_THAT(result.failure.message(), Catch::Contains("needs 4 slots") && Catch::Contains("offer 3")
                                         && Catch::Contains(cluster.addresses[2] + " 1"));
  CHECK_FALSE(std::filesystem::exists(dir.file("out"))); // nothing ran: no sink opened it
}

TEST_CASE("a node that builds the job differently is refused, naming what differs",
          "[integration][remote][multinode]") {
  test::node_process node; // the weir CLI: its word count as shipped
  test::temp_dir dir;
  test::write_file(dir.file("in.txt"), "a b c\n");
  // This process's "wordcount" gains an operator the node's build lacks:
  // what a coordinator built from other sources than its nodes looks like.
  apps::register_wordcount();
  auto shipped = find_job("wordcount");
  REQUIRE(shipped);
  register_job("wordcount", [build = *shipped](environment& env, const job_args& args) -> error {
    if (auto err = build(env, args)) return err;
    env.from_collection(std::vector<std::string>{"x"}).uid("extra").sink(file_sink(args.at("output") + "-extra"));
    return {};
  });
  environment env;
  env.options().nodes = {node.address};
  REQUIRE_FALSE(build_registered_job(env, "wordcount", {{"input", dir.file("in.txt")}, {"output", dir.file("out")}}));
  auto result = env.execute("wordcount");
  apps::register_wordcount(); // the shipped one again, for whatever runs next in this process
  REQUIRE_FALSE(result.ok());
  CHECK(result.failure.code() == errc::bad_argument);
  CHECK_THAT(result.failure.message(), Catch::Contains("builds job 'wordcount' differently")
                                         && Catch::Contains("the coordinator has operator extra = collection"));
}

TEST_CASE("a node killed after a checkpoint: the job restarts on the nodes left with every count committed once",
          "[integration][remote][multinode]") {
  three_nodes cluster("1");
  test::temp_dir dir;
  std::mt19937_64 rng(41);
  auto text = test::random_text(rng, 30000);
  test::write_file(dir.file("in.txt"), text);
  apps::register_wordcount();
  environment env;
  env.options().nodes = cluster.addresses;
  env.options().batch_size = 4; // small frames: the run lasts long enough to be cut
  env.options().checkpoints.interval_ms = 50;
  env.options().checkpoints.state_dir = dir.file("state");
  env.options().restart = restart_strategy::fixed_delay(2, 0);
  std::vector<std::string> log;
  env.options().log = [&log](const std::string& l) { log.push_back(l); };
  REQUIRE_FALSE(build_registered_job(env, "wordcount",
                                     {{"input", dir.file("in.txt")}, {"output", dir.file("out")}, {"parallelism", "2"}}));
  // Killed once a part file is visible: only a completed checkpoint commits one.
  std::atomic<bool> killed_after_checkpoint{false};
  std::thread killer([&] {
    for (int i = 0; i < 2000 && test::count_visible_lines(dir.file("out")) == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10)); // another process writes it: polled
    if (test::count_visible_lines(dir.file("out")) > 0) killed_after_checkpoint = cluster.nodes[1]->process->kill();
  });
  auto result = env.execute("wordcount");
  killer.join();
  for (const auto& l : log) UNSCOPED_INFO(l);
  INFO(result.failure.to_string());
  REQUIRE(killed_after_checkpoint); // the fault happened, after a checkpoint, while the job ran
  REQUIRE(result.ok());
  CHECK(result.restarts >= 1);
  auto lost = std::count_if(log.begin(), log.end(), [&](const std::string& l) {
    return l.find("node " + cluster.addresses[1] + " is lost") != std::string::npos;
  });
  CHECK(lost == 1);
  auto replaced = std::find_if(log.begin(), log.end(), [](const std::string& l) {
    return l.find("placed on the nodes up: ") != std::string::npos;
  });
  REQUIRE(replaced != log.end());
  CHECK_THAT(*replaced, !Catch::Contains(cluster.addresses[1]));
  auto last = test::counts_committed_once(dir.file("out"));
  auto expected = test::reference_counts(text);
  CHECK(last == std::map<std::string, int64_t>(expected.begin(), expected.end()));
  std::cout << "node lost: " << result.restarts << " restart(s), " << result.checkpoints << " checkpoints, "
            << result.seconds << " s; " << *replaced << std::endl;
}

TEST_CASE("a node lost when the nodes left have too few slots fails the run for good, saying so",
          "[integration][remote][multinode]") {
  three_nodes cluster("1");
  test::temp_dir dir;
  std::mt19937_64 rng(43);
  test::write_file(dir.file("in.txt"), test::random_text(rng, 30000));
  apps::register_wordcount();
  environment env;
  env.options().nodes = cluster.addresses;
  env.options().batch_size = 4;
  env.options().restart = restart_strategy::fixed_delay(5, 0);
  env.options().node_return_timeout_ms = 0; // no wait for the node (node_rejoin_test waits)
  REQUIRE_FALSE(build_registered_job(env, "wordcount",
                                     {{"input", dir.file("in.txt")}, {"output", dir.file("out")}, {"parallelism", "3"}}));
  std::atomic<bool> killed_while_running{false};
  std::thread killer([&] {
    if (!test::wait_for_file_line(dir.file("out/.part-out-2.000000.inprogress"), 20000).empty())
      killed_while_running = cluster.nodes[2]->process->kill();
  });
  auto result = env.execute("wordcount");
  killer.join();
  REQUIRE(killed_while_running);
  REQUIRE_FALSE(result.ok());
  CHECK(result.failure.code() == errc::unreachable);
  CHECK_THAT(result.failure.message(), Catch::Contains("cannot run on the nodes left")
                                         && Catch::Contains("needs 3 slots") && Catch::Contains("offer 2"));
}

TEST_CASE("frames between tasks on two nodes go directly between them, not through the coordinator",
          "[integration][remote][multinode]") {
  three_nodes cluster("1");
  test::temp_dir dir;
  std::mt19937_64 rng(47);
  auto text = test::random_text(rng, 20000);
  test::write_file(dir.file("in.txt"), text);
  apps::register_wordcount();
  // Every task on the nodes, parallelism 3: split -> count is keyed, so
  // about two thirds of the words cross from one node to another.
  auto run = [&](bool direct, const std::string& out) {
    environment env;
    env.options().nodes = cluster.addresses;
    env.options().batch_size = 64;
    env.options().direct_node_channels = direct;
    REQUIRE_FALSE(build_registered_job(env, "wordcount",
                                       {{"input", dir.file("in.txt")}, {"output", dir.file(out)}, {"parallelism", "3"}}));
    auto result = env.execute("wordcount");
    INFO(result.failure.to_string());
    REQUIRE(result.ok());
    test::check_word_counts(dir.file(out), text);
    return std::make_pair(result.bytes_from_nodes, result.bytes_read_by_nodes);
  };
  auto [relayed, nodes_read_relayed] = run(false, "relayed");
  auto [direct, nodes_read_direct] = run(true, "direct");
  std::cout << "bytes the coordinator read from the nodes: " << relayed << " with nodes connected only to it, "
            << direct << " with nodes connected to each other; the nodes read " << nodes_read_relayed << " and "
            << nodes_read_direct << std::endl;
  CHECK(direct > 0); // control traffic: acks, reports
  CHECK(direct * 4 < relayed);
  // The frames still cross between the nodes, now read by the nodes from each other.
  CHECK(nodes_read_direct * 2 > relayed);
  CHECK(nodes_read_relayed > relayed / 2);
}

TEST_CASE("a node started with --allowed-dirs refuses paths outside them, symlinks resolved",
          "[integration][remote][multinode]") {
  test::temp_dir dir;
  std::filesystem::create_directories(dir.file("allowed"));
  std::filesystem::create_directories(dir.file("elsewhere"));
  std::filesystem::create_directory_symlink(dir.file("elsewhere"), dir.file("allowed/escape"));
  test::write_file(dir.file("allowed/in.txt"), "a b a\n");
  test::node_process node({"--allowed-dirs", dir.file("allowed")});
  apps::register_wordcount();
  auto run = [&](const std::string& output) {
    environment env;
    env.options().nodes = {node.address};
    REQUIRE_FALSE(build_registered_job(env, "wordcount", {{"input", dir.file("allowed/in.txt")}, {"output", output}}));
    return env.execute("wordcount");
  };
  auto outside = run(dir.file("elsewhere/out"));
  REQUIRE_FALSE(outside.ok());
  CHECK_THAT(outside.failure.message(), Catch::Contains("job argument 'output' is '" + dir.file("elsewhere/out")
                                                        + "', outside the directories this node allows"));
  auto through_link = run(dir.file("allowed/escape/out"));
  REQUIRE_FALSE(through_link.ok());
  CHECK_THAT(through_link.failure.message(), Catch::Contains("outside the directories this node allows"));
  CHECK_FALSE(std::filesystem::exists(dir.file("elsewhere/out")));
  auto inside = run(dir.file("allowed/out"));
  INFO(inside.failure.to_string());
  REQUIRE(inside.ok());
  test::check_word_counts(dir.file("allowed/out"), "a b a\n");
}

TEST_CASE("a node takes only absolute allowed directories", "[integration][cli][multinode]") {
  auto relative = test::run_command({WEIR_CLI, "node", "--allowed-dirs", "data"});
  CHECK(relative.exit_code == 2);
  CHECK_THAT(relative.output, Catch::Contains("--allowed-dirs: 'data' is not an absolute path"));
  auto empty = test::run_command({WEIR_CLI, "node", "--allowed-dirs", ","});
  CHECK(empty.exit_code == 2);
  CHECK_THAT(empty.output, Catch::Contains("--allowed-dirs lists no directory"));
}

TEST_CASE("weir job status names each node, up or lost, and where each task runs",
          "[integration][remote][multinode]") {
  three_nodes cluster("1");
  test::temp_dir dir;
  std::mt19937_64 rng(59);
  test::write_file(dir.file("in.txt"), test::random_text(rng, 200000));
  apps::register_wordcount();
  environment env;
  env.options().nodes = cluster.addresses;
  env.options().batch_size = 4; // a long run: it is cancelled once the status was seen
  env.options().checkpoints.interval_ms = 50;
  env.options().checkpoints.state_dir = dir.file("state");
  env.options().restart = restart_strategy::fixed_delay(2, 0);
  REQUIRE_FALSE(build_registered_job(env, "wordcount",
                                     {{"input", dir.file("in.txt")}, {"output", dir.file("out")}, {"parallelism", "2"}}));
  std::string before, after;
  std::thread watcher([&] {
    for (int i = 0; i < 2000 && test::count_visible_lines(dir.file("out")) == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10)); // another process writes it: polled
    auto status = control_job(dir.file("state"), "status");
    if (status) before = *status;
    cluster.nodes[1]->process->kill();
    // The restart re-places the job; ask until the status says the node is
    // lost and the next attempt runs (while restarting, tasks of the failed
    // attempt still name the node they ran on).
    auto replaced = [&] {
      return after.find(" lost") != std::string::npos && after.find(": running, attempt") != std::string::npos;
    };
    for (int i = 0; i < 200 && !replaced(); ++i) {
      if (auto s = control_job(dir.file("state"), "status")) after = *s;
      std::this_thread::sleep_for(std::chrono::milliseconds(50)); // polled: status is a question, not an event
    }
    control_job(dir.file("state"), "cancel");
  });
  auto result = env.execute("wordcount");
  watcher.join();
  INFO(before << "\n---\n" << after);
  const auto& a = cluster.addresses;
  CHECK_THAT(before, Catch::Contains("node " + a[0] + ": up, 1 slot(s)") && Catch::Contains("node " + a[1] + ": up")
                       && Catch::Contains("count[1/2]: running on node " + a[1]));
  CHECK_THAT(after, Catch::Contains("node " + a[1] + ": lost") && Catch::Contains("node " + a[2] + ": up")
                      && !Catch::Contains("on node " + a[1]));
}

TEST_CASE("a node that reads smaller messages than the coordinator is refused at the join, naming both",
          "[integration][remote][multinode]") {
  test::node_process node({"--slots", "2", "--max-message-bytes", std::to_string(16u << 20)});
  test::temp_dir dir;
  test::write_file(dir.file("in.txt"), "a b c\n");
  auto result = test::run_wordcount_on({node.address}, dir.file("in.txt"), dir.file("out"));
  REQUIRE_FALSE(result.ok());
  CHECK(result.failure.code() == errc::bad_argument);
  CHECK_THAT(result.failure.message(), Catch::Contains("node " + node.address + " reads messages of at most 16777216 bytes")
                                         && Catch::Contains("this coordinator's 536870912")
                                         && Catch::Contains("--max-message-bytes 536870912"));
}
