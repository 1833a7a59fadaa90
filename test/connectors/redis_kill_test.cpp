// Exactly-once through Redis under kill -9: a process running a keyed count
// from two Redis streams into a third is SIGKILLed at random moments, at
// least five times, and started again until it finishes. Every input entry
// must appear in the output stream once, and every key's counts must run
// 1..n with none missing or doubled: state and output both exactly once.

#include <catch2/catch.hpp>

#include <algorithm>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <string>

#include "support/exactly_once.hpp"
#include "support/kill_loop.hpp"
#include "support/redis_server.hpp"
#include "support/seed.hpp"
#include "support/temp_dir.hpp"
#include "support/text.hpp"

TEST_CASE("a Redis job killed with SIGKILL at random moments commits every entry and count once",
          "[fault][connectors][redis]") {
  const int n = 100000, kills = 5;
  auto seed = weir::test::test_seed();
  std::cout << "redis kill test: seed " << seed << " (WEIR_TEST_SEED replays it)" << std::endl;
  std::mt19937_64 rng(seed);
  weir::test::redis_server redis;
  REQUIRE(redis.ready(10000));
  std::vector<std::vector<std::string>> adds;
  for (int i = 0; i < n; ++i)
    adds.push_back({"XADD", i % 2 ? "in1" : "in0", "*", "n", std::to_string(i)});
  REQUIRE(redis.pipeline(adds));
  weir::test::temp_dir dir;
  std::vector<std::string> argv{WEIR_REDIS_EO_JOB,
                                "--port",
                                std::to_string(redis.where().port),
                                "--state-dir",
                                dir.file("state"),
                                "--interval",
                                "100"};
  auto landed = weir::test::kill_and_restart(argv, dir, "redis-exactly-once", kills, rng);
  int killed = landed.kills, resumed = landed.resumed;
  std::set<int> seen;
  std::map<int, std::vector<int>> counts; // per key, the counts committed
  size_t duplicated = 0;
  auto out = redis.entries("out");
  for (const auto& e : out) {
    if (!seen.insert(std::stoi(e.get("n"))).second) ++duplicated;
    counts[std::stoi(e.get("key"))].push_back(std::stoi(e.get("count")));
  }
  std::cout << "redis kill test: " << killed << " kills, " << resumed
            << " resumed from a checkpoint, " << out.size() << " entries committed, " << duplicated
            << " duplicated" << std::endl;
  CHECK(duplicated == 0);
  CHECK(seen.size() == static_cast<size_t>(n));
  CHECK(out.size() == static_cast<size_t>(n));
  weir::test::check_counts_one_to_n(counts, n / 20);
  CHECK(resumed > 0); // ineffective unless a kill landed after a completed checkpoint
  CHECK(redis.keys("out:weir-staging:*").empty());
}
