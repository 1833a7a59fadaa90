// Node options a user gets wrong (found when nodes were tried as a hostile
// user would): each is named, with exit code 2 for usage and 1 for what a
// node meets once started; nothing runs locally instead, and a port file
// never replaces anything but a regular file.

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <regex>
#include <string>

#include "support/node_process.hpp"
#include "support/part_files.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace {

weir::test::command_result weir_cli(std::vector<std::string> args) {
  args.insert(args.begin(), WEIR_CLI);
  return weir::test::run_command(args, 60000);
}

} // namespace

TEST_CASE("node addresses a user gets wrong are usage errors, never a local run",
          "[integration][remote][cli]") {
  weir::test::temp_dir dir;
  auto out = dir.file("out");
  for (auto [args, says] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--nodes", "localhost:port"}, "node address 'localhost:port' is not host:port"},
           {{"--nodes", "localhost:0"}, "node address 'localhost:0' is not host:port"},
           {{"--nodes", "localhost:70000"}, "node address 'localhost:70000' is not host:port"},
           {{"--nodes", ":7000"}, "node address ':7000' is not host:port"},
           {{"--nodes", ","}, "--nodes lists no node"},
           {{"--remote-operators", "count"}, "--remote-operators goes with --nodes"},
           {{"--nodes", "127.0.0.1:7000", "--remote-operators", ","},
            "--remote-operators lists no operator"}}) {
    std::vector<std::string> argv{"run", "wordcount",   "--output",
                                  out,   "--state-dir", dir.file("state")};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = weir_cli(argv);
    INFO(r.output);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.output, Catch::Contains(says));
  }
  struct stat st {};
  CHECK(::stat(out.c_str(), &st) != 0); // nothing ran
}

TEST_CASE("a node's port file is only ever a regular file, and one it cannot write is named",
          "[integration][remote][cli]") {
  weir::test::temp_dir dir;
  // As root a rename onto /dev/null used to turn the device into a file; a
  // FIFO and a symlink of our own stand for it (a regression must not
  // damage the machine it runs on).
  auto fifo = dir.file("fifo"), link = dir.file("link");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  weir::test::write_file(dir.file("target"), "keep\n");
  REQUIRE(::symlink(dir.file("target").c_str(), link.c_str()) == 0);
  for (const auto& path : {fifo, link}) {
    auto r = weir_cli({"node", "--port-file", path});
    INFO(r.output);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.output, Catch::Contains("port file: '" + path
                                         + "' is in the way and is not a regular file"));
  }
  struct stat st {};
  REQUIRE(::lstat(fifo.c_str(), &st) == 0);
  CHECK(S_ISFIFO(st.st_mode));
  REQUIRE(::lstat(link.c_str(), &st) == 0);
  CHECK(S_ISLNK(st.st_mode));
  CHECK(weir::test::read_file(dir.file("target")) == "keep\n");
  auto missing = weir_cli({"node", "--port-file", dir.file("no/such/dir/port")});
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.output, Catch::Contains("port file: cannot create '"
                                             + dir.file("no/such/dir/port") + ".tmp'"));
}

TEST_CASE(
    "weir nexmark runs on nodes like in one process, a relative output made absolute for the nodes",
    "[integration][remote][cli][multinode]") {
  weir::test::node_process node({"--slots", "2"});
  weir::test::temp_dir dir;
  auto run = [&](const std::string& out, std::vector<std::string> extra) {
    std::vector<std::string> argv{WEIR_CLI,
                                  "nexmark",
                                  "--query",
                                  "q5",
                                  "--events",
                                  "20000",
                                  "--output",
                                  out,
                                  "--parallelism",
                                  "2",
                                  "--checkpoint-interval",
                                  "0"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    // Run from DIR so that the relative "nodes" means DIR/nodes to the coordinator.
    std::vector<std::string> shell{"/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", dir.path()};
    shell.insert(shell.end(), argv.begin(), argv.end());
    return weir::test::run_command(shell, 60000);
  };
  auto local = run(dir.file("local"), {});
  INFO(local.output);
  REQUIRE(local.exit_code == 0);
  auto remote = run("nodes", {"--nodes", node.address});
  INFO(remote.output);
  REQUIRE(remote.exit_code == 0);
  CHECK_THAT(remote.output, Catch::Contains("placement: node " + node.address));
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  auto expected = sorted(weir::test::part_lines(dir.file("local")));
  REQUIRE_FALSE(expected.empty());
  CHECK(sorted(weir::test::part_lines(dir.file("nodes"))) == expected);

  auto alone = weir_cli({"nexmark", "--query", "q5", "--events", "10", "--output", dir.file("x"),
                         "--node-wait-ms", "5"});
  CHECK(alone.exit_code == 2);
  CHECK_THAT(alone.output,
             Catch::Contains("--node-silence-timeout-ms and --node-wait-ms go with --nodes"));
}

TEST_CASE(
    "a node logs one line per event with time and level, jobs and tasks named, from the level "
    "asked for up",
    "[integration][remote][cli]") {
  weir::test::temp_dir dir;
  weir::test::write_file(dir.file("in.txt"), "a b a\nc a\n");
  weir::test::node_process debug({"--log-level", "debug"});
  weir::test::node_process strict({"--allowed-dirs", dir.file("elsewhere")});
  auto run = [&](const weir::test::node_process& node, const std::string& out) {
    return weir_cli({"run", "wordcount", "--input", dir.file("in.txt"), "--output", dir.file(out),
                     "--state-dir", dir.file("state-" + out), "--nodes", node.address,
                     "--node-wait-ms", "0"});
  };
  auto served = run(debug, "out");
  INFO(served.output);
  REQUIRE(served.exit_code == 0);
  auto log = debug.log();
  INFO(log);
  auto has = [&log](const std::string& pattern) {
    return std::regex_search(
        log, std::regex(R"((^|\n)\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z )" + pattern));
  };
  CHECK(has(R"(INFO  node listening on 127\.0\.0\.1:)" + debug.port + " with "));
  CHECK(has(R"(INFO  job=wordcount a coordinator joined, \d+ slot\(s\) offered)"));
  CHECK(has(R"(DEBUG job=wordcount task=count\[0/\d+\] deployed)"));
  auto refused = run(strict, "refused");
  INFO(refused.output);
  CHECK(refused.exit_code != 0);
  auto strict_log = strict.log();
  INFO(strict_log);
  CHECK_THAT(strict_log, Catch::Contains("WARN  job=wordcount refused to join: "));
  CHECK_THAT(strict_log, Catch::Contains("outside the directories this node allows"));
  CHECK_THAT(strict_log, !Catch::Contains(" DEBUG "));
}
