// Exactly-once through Kafka under kill -9: a process running a keyed count
// from one topic into another is SIGKILLed at random moments, at least five
// times, and started again until it finishes. The mock cluster runs in the
// test process, so it outlives every kill. Every input message must appear
// in the output topic once, and every key's counts must run 1..n with none
// missing or doubled: state and output both exactly once.

#include <catch2/catch.hpp>

#include <algorithm>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <string>

#include "support/kafka_mock.hpp"
#include "support/exactly_once.hpp"
#include "support/kill_loop.hpp"
#include "support/seed.hpp"
#include "support/temp_dir.hpp"

TEST_CASE("a Kafka job killed with SIGKILL at random moments commits every message and count once",
          "[fault][connectors][kafka]") {
  const int n = 100000, kills = 5;
  auto seed = weir::test::test_seed();
  std::cout << "kafka kill test: seed " << seed << " (WEIR_TEST_SEED replays it)" << std::endl;
  std::mt19937_64 rng(seed);
  weir::test::kafka_mock kafka;
  kafka.create_topic("in", 4);
  kafka.create_topic("out", 3);
  std::vector<std::pair<std::string, std::string>> kv;
  for (int i = 0; i < n; ++i)
    kv.emplace_back("", std::to_string(i));
  kafka.produce("in", kv);
  weir::test::temp_dir dir;
  std::vector<std::string> argv{
      WEIR_KAFKA_EO_JOB, "--bootstrap", kafka.bootstrap(), "--state-dir", dir.file("state"),
      "--interval",      "100"};
  auto landed = weir::test::kill_and_restart(argv, dir, "kafka-exactly-once", kills, rng);
  std::set<int> seen;
  std::map<int, std::vector<int>> counts; // per key, the counts committed
  size_t duplicated = 0;
  auto out = kafka.read("out");
  for (const auto& m : out) {
    int key = 0, number = 0, count = 0;
    REQUIRE(std::sscanf(m.value.c_str(), "%d,%d,%d", &key, &number, &count) == 3);
    if (!seen.insert(number).second) ++duplicated;
    counts[key].push_back(count);
  }
  std::cout << "kafka kill test: " << landed.kills << " kills, " << landed.resumed
            << " resumed from a checkpoint, " << out.size() << " messages committed, " << duplicated
            << " duplicated" << std::endl;
  CHECK(duplicated == 0);
  CHECK(seen.size() == static_cast<size_t>(n));
  CHECK(out.size() == static_cast<size_t>(n));
  weir::test::check_counts_one_to_n(counts, n / 20);
  CHECK(landed.resumed > 0); // ineffective unless a kill landed after a completed checkpoint
}
