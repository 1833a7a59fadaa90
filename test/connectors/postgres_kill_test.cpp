// Exactly-once into PostgreSQL under kill -9: a process running a keyed
// count into a table by two-phase commit is SIGKILLed at random moments, at
// least five times, and started again until it finishes. Every number must
// be in the table once, every key's counts must run 1..n, and no prepared
// transaction may be left behind.

#include <catch2/catch.hpp>

#include <iostream>
#include <random>
#include <string>

#include "support/kill_loop.hpp"
#include "support/postgres_server.hpp"
#include "support/seed.hpp"
#include "support/temp_dir.hpp"
#include "support/text.hpp"

TEST_CASE("a PostgreSQL job killed with SIGKILL at random moments commits every row and count once",
          "[fault][connectors][postgres]") {
  const int n = 80000, kills = 5;
  auto seed = weir::test::test_seed();
  std::cout << "postgres kill test: seed " << seed << " (WEIR_TEST_SEED replays it)" << std::endl;
  std::mt19937_64 rng(seed);
  weir::test::postgres_server pg;
  REQUIRE(pg.ready(30000));
  REQUIRE(pg.query("CREATE TABLE counted (k integer, n integer, c integer)"));
  weir::test::temp_dir dir;
  std::string text;
  for (int i = 0; i < n; ++i)
    text += std::to_string(i) + "\n";
  weir::test::write_file(dir.file("in.txt"), text);
  std::vector<std::string> argv{
      WEIR_POSTGRES_EO_JOB, "--conninfo",      pg.conninfo(), "--input", dir.file("in.txt"),
      "--state-dir",        dir.file("state"), "--interval",  "100"};
  auto landed = weir::test::kill_and_restart(argv, dir, "postgres-exactly-once", kills, rng);
  int killed = landed.kills, resumed = landed.resumed;
  auto one = [&](const std::string& sql) {
    auto rows = pg.query(sql);
    REQUIRE(rows);
    REQUIRE(rows->size() == 1);
    return rows->front().front();
  };
  auto rows = one("SELECT count(*) FROM counted");
  auto distinct = one("SELECT count(DISTINCT n) FROM counted");
  std::cout << "postgres kill test: " << killed << " kills, " << resumed
            << " resumed from a checkpoint, " << rows << " rows committed, " << distinct
            << " distinct" << std::endl;
  CHECK(rows == std::to_string(n));
  CHECK(distinct == std::to_string(n));
  // Per key: n / 20 rows whose counts are exactly 1..n/20.
  CHECK(one("SELECT count(*) FROM (SELECT k FROM counted GROUP BY k HAVING count(*) = "
            + std::to_string(n / 20)
            + " AND count(DISTINCT c) = count(*) AND min(c) = 1 AND max(c) = count(*)) AS good")
        == "20");
  CHECK(one("SELECT count(*) FROM pg_prepared_xacts") == "0");
  CHECK(resumed > 0); // ineffective unless a kill landed after a completed checkpoint
}
