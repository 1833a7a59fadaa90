#include <catch2/catch.hpp>

#include <iostream>
#include <thread>

#include <algorithm>
#include <map>
#include <filesystem>
#include <fstream>
#include <random>

#include "jobs/wordcount.hpp"
#include "nexmark/queries.hpp"
#include "support/node_process.hpp"
#include "support/part_files.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/text.hpp"
#include "weir/checkpoints.hpp"
#include "weir/job_registry.hpp"
#include "weir/stream.hpp"

using namespace weir;

namespace {

using test::node_process;

job_result run_wordcount(const std::string& input, const std::string& output, const std::string& node,
                         std::vector<std::string> remote_uids) {
  return test::run_wordcount_on({node}, input, output, [&](runtime_options& o) { o.remote_uids = remote_uids; });
}

} // namespace

TEST_CASE("a pipeline split over two processes gives the reference result", "[integration][remote]") {
  node_process node;
  test::temp_dir dir;
  std::mt19937_64 rng(11);
  auto text = test::random_text(rng, 2000);
  test::write_file(dir.file("in.txt"), text);
  SECTION("keyed stages on the node, sources in the coordinator") {
    auto result = run_wordcount(dir.file("in.txt"), dir.file("out"), node.address, {"count", "format", "out"});
    REQUIRE(result.ok());
    auto counts = apps::read_final_counts(dir.file("out"));
    REQUIRE(counts);
    auto expected = test::reference_counts(text);
    CHECK(std::map<std::string, int64_t>(counts->begin(), counts->end()) == expected);
    CHECK(result.sink_records > 0);
  }
  SECTION("every task on the node") {
    auto result = run_wordcount(dir.file("in.txt"), dir.file("out"), node.address, {});
    REQUIRE(result.ok());
    test::check_word_counts(dir.file("out"), text);
  }
}

TEST_CASE("a node that cannot be reached is a clear error", "[integration][remote]") {
  std::string address;
  {
    node_process node; // learn a port that was free, then free it again
    address = node.address;
    REQUIRE(node.process->kill());
  }
  test::temp_dir dir;
  test::write_file(dir.file("in.txt"), "a b c\n");
  auto result = run_wordcount(dir.file("in.txt"), dir.file("out"), address, {});
  REQUIRE_FALSE(result.ok());
  CHECK(result.failure.code() == errc::unreachable);
  CHECK_THAT(result.failure.message(), Catch::StartsWith("cannot reach node " + address));
}

TEST_CASE("a node killed during a run fails the job naming a task on it", "[integration][remote]") {
  node_process node;
  test::temp_dir dir;
  environment env;
  test::build_long_wordcount(env, node.address, dir);
  // The node is killed when the first output file appears: the job is running then.
  bool killed_while_running = false;
  std::thread killer([&] {
    test::wait_for_file_line(dir.file("out/.part-out-0.000000.inprogress"), 20000);
    killed_while_running = node.process->kill();
  });
  auto result = env.execute("wordcount");
  killer.join();
  REQUIRE(killed_while_running); // the fault happened, and during the run
  REQUIRE_FALSE(result.ok());
  CHECK_THAT(result.failure.message(), Catch::Contains("count[0/1]"));
}

TEST_CASE("event-time windows split over two processes give the local result", "[integration][remote]") {
  // Watermarks and idle frames cross the process boundary like records: the
  // windowed Nexmark queries must not notice where their operators run.
  node_process node;
  test::temp_dir dir;
  std::mt19937_64 rng(17);
  auto text = test::random_bids(rng, 600);
  test::write_file(dir.file("events.json"), text);
  nexmark::register_nexmark();
  auto run = [&](const std::string& query, const std::string& out, bool remote) {
    environment env;
    if (remote) {
      env.options().nodes = {node.address};
      // The window operators of each query (see apps/nexmark/queries.cpp).
      static const std::map<std::string, std::vector<std::string>> windows{
        {"q5", {"q5-count", "q5"}}, {"q7", {"q7-per-auction", "q7"}}, {"q11", {"q11"}}};
      env.options().remote_uids = windows.at(query);
    }
    REQUIRE_FALSE(build_registered_job(env, "nexmark", {{"query", query}, {"input", dir.file("events.json")},
                                                        {"output", dir.file(out)}, {"parallelism", "2"}}));
    auto r = env.execute("nexmark");
    REQUIRE(r.ok());
    auto lines = test::part_lines(dir.file(out));
    std::sort(lines.begin(), lines.end());
    return lines;
  };
  for (const char* q : {"q5", "q7", "q11"}) {
    INFO("query " << q);
    auto local = run(q, std::string(q) + "-local", false);
    REQUIRE_FALSE(local.empty());
    CHECK(run(q, std::string(q) + "-remote", true) == local);
  }
}

TEST_CASE("a remote operator that does not exist is a clear error", "[integration][remote]") {
  apps::register_wordcount();
  test::temp_dir dir;
  test::write_file(dir.file("in.txt"), "a b\n");
  environment env;
  env.options().nodes = {"127.0.0.1:1"};
  env.options().remote_uids = {"cuont"};
  REQUIRE_FALSE(build_registered_job(env, "wordcount", {{"input", dir.file("in.txt")}, {"output", dir.file("out")}}));
  auto result = env.execute("wordcount");
  REQUIRE_FALSE(result.ok());
  CHECK(result.failure.message() == "no operator 'cuont' to place on nodes");
}

TEST_CASE("settings made outside the job builder reach the nodes", "[integration][remote]") {
  // Chaining changes the plan: a node that did not know would deploy other tasks.
  node_process node;
  test::temp_dir dir;
  std::mt19937_64 rng(23);
  auto text = test::random_text(rng, 500);
  test::write_file(dir.file("in.txt"), text);
  apps::register_wordcount();
  environment env;
  env.set_chaining(true);
  env.options().nodes = {node.address};
  env.options().remote_uids = {"count"};
  REQUIRE_FALSE(build_registered_job(env, "wordcount", {{"input", dir.file("in.txt")},
                                                        {"output", dir.file("out")},
                                                        {"parallelism", "2"}}));
  auto result = env.execute("wordcount");
  REQUIRE(result.ok());
  test::check_word_counts(dir.file("out"), text);
}

TEST_CASE("checkpoints of tasks on a node reach the coordinator's state dir with exact results",
          "[integration][remote][checkpoint]") {
  node_process node;
  test::temp_dir dir;
  std::mt19937_64 rng(17);
  auto text = test::random_text(rng, 30000);
  test::write_file(dir.file("in.txt"), text);
  apps::register_wordcount();
  environment env;
  env.options().nodes = {node.address};
  env.options().remote_uids = {"count", "format"}; // the keyed state lives on the node
  env.options().batch_size = 4;                    // small frames: the run lasts a while
  env.options().checkpoints.interval_ms = 30;
  env.options().checkpoints.state_dir = dir.file("state");
  REQUIRE_FALSE(build_registered_job(env, "wordcount", {{"input", dir.file("in.txt")}, {"output", dir.file("out")},
                                                        {"parallelism", "2"}}));
  auto result = env.execute("wordcount");
  REQUIRE(result.ok());
  std::cout << "remote checkpoints: " << result.checkpoints << " completed in " << result.seconds << " s" << std::endl;
  CHECK(result.checkpoints >= 3); // periodic ones and the final one, with the node's snapshots in them
  auto counts = apps::read_final_counts(dir.file("out"));
  REQUIRE(counts);
  auto expected = test::reference_counts(text);
  CHECK(std::map<std::string, int64_t>(counts->begin(), counts->end())
        == std::map<std::string, int64_t>(expected.begin(), expected.end()));
  auto listed = list_checkpoints(dir.file("state"));
  REQUIRE(listed);
  uint64_t with_state = 0;
  for (const auto& c : listed->second) with_state += c.completed && c.bytes > 0 ? 1 : 0;
  // Every checkpoint the run counted is in the state dir with state in it.
  // Under load the history has sometimes held one completed checkpoint more
  // than the run counted (without restarts): an open bug, noted in issue 8's
  // note; the figures are printed to chase it.
  std::cout << "remote checkpoints: " << with_state << " completed with state in the history, "
            << result.checkpoints << " counted, " << result.restarts << " restarts" << std::endl;
  CHECK(with_state >= result.checkpoints);
  CHECK(with_state <= result.checkpoints + 1);
}

TEST_CASE("a node refuses a relative path: it would resolve in the node's working directory",
          "[integration][remote]") {
  node_process node;
  test::temp_dir dir;
  test::write_file(dir.file("in.txt"), "a b c\n");
  auto result = run_wordcount(dir.file("in.txt"), "relative-out", node.address, {"count", "format", "out"});
  REQUIRE_FALSE(result.ok());
  CHECK_THAT(result.failure.message(), Catch::Contains("job argument 'output' is the relative path 'relative-out'")
                                          && Catch::Contains("give an absolute path"));
}
