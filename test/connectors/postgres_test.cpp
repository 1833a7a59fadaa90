// The PostgreSQL sink against Debian's PostgreSQL 15, started by the tests
// on loopback: rows written exactly once by two-phase commit through a job
// failure and through a kill and restart of the server, invisible to a READ
// COMMITTED reader until their checkpoint completes, upserts idempotent, an
// unreachable server named.

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "support/paced_source.hpp"
#include "support/postgres_server.hpp"
#include "support/process.hpp"
#include "support/servers.hpp"
#include "support/temp_dir.hpp"
#include "weir/postgres.hpp"
#include "weir/stream.hpp"

using namespace weir;

namespace {

/// DIR/in.txt holding the numbers 0..count-1, a line each.
void write_numbers(const test::temp_dir& dir, int count) {
  std::string text;
  for (int i = 0; i < count; ++i)
    text += std::to_string(i) + "\n";
  test::write_file(dir.file("in.txt"), text);
}

/// The single value `sql` answers, or "?".
std::string value(test::postgres_server& pg, const std::string& sql) {
  std::string error;
  auto rows = pg.query(sql, &error);
  INFO(error);
  REQUIRE(rows);
  return rows->empty() || rows->front().empty() ? "?" : rows->front().front();
}

/// Numbers doubled into table doubled(n, d) at parallelism 2; `on_record` sees each n.
void build_doubling(environment& env, const test::temp_dir& dir, const std::string& conninfo,
                    std::function<void(int)> on_record = {}) {
  postgres_sink_options out;
  out.conninfo = conninfo;
  out.table = "doubled";
  out.columns = {"n", "d"};
  env.set_parallelism(2);
  env.read_text_file(dir.file("in.txt"))
      .uid("numbers")
      .map([on_record](const std::string& line) {
        int n = std::stoi(line);
        if (on_record) on_record(n);
        return postgres_row{line, std::to_string(2 * n)};
      })
      .uid("double")
      .sink(postgres_sink(out))
      .uid("out");
}

/// Every n in 0..count-1 once, each with d = 2n, and no transaction left prepared.
void check_exactly_once(test::postgres_server& pg, int count) {
  CHECK(value(pg, "SELECT count(*) FROM doubled") == std::to_string(count));
  CHECK(value(pg, "SELECT count(DISTINCT n) FROM doubled") == std::to_string(count));
  CHECK(value(pg, "SELECT count(*) FROM doubled WHERE d <> 2 * n OR n < 0 OR n >= "
                      + std::to_string(count))
        == "0");
  CHECK(value(pg, "SELECT count(*) FROM pg_prepared_xacts") == "0");
}

} // namespace

TEST_CASE("a job writes PostgreSQL rows exactly once by two-phase commit, through a failure",
          "[integration][connectors][postgres]") {
  test::postgres_server pg;
  REQUIRE(pg.ready(30000));
  REQUIRE(pg.query("CREATE TABLE doubled (n integer, d integer)"));
  test::temp_dir dir;
  write_numbers(dir, 4000);
  environment env;
  env.options().batch_size = 16;
  env.options().checkpoints.interval_ms = 10;
  env.options().checkpoints.state_dir = dir.file("state");
  env.options().restart = restart_strategy::fixed_delay(3, 10);
  auto thrown = std::make_shared<std::atomic<int>>(0);
  build_doubling(env, dir, pg.conninfo(), [thrown](int n) {
    // 50 us of work a record: the run spans many checkpoints.
    auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(50);
    while (std::chrono::steady_clock::now() < until) {
    }
    if ((n == 1700 || n == 3100) && thrown->fetch_add(1) < 2)
      throw std::runtime_error("fails once");
  });
  auto result = env.execute("pg-doubling");
  INFO(result.failure.message());
  REQUIRE(result.ok());
  CHECK(result.restarts >= 1); // the failure happened
  CHECK(result.checkpoints > 1);
  check_exactly_once(pg, 4000);
}

TEST_CASE("a READ COMMITTED reader never sees PostgreSQL rows of a checkpoint not yet complete",
          "[integration][connectors][postgres]") {
  test::postgres_server pg;
  REQUIRE(pg.ready(30000));
  REQUIRE(pg.query("CREATE TABLE doubled (n integer, d integer)"));
  test::temp_dir dir;
  write_numbers(dir, 2000);
  environment env;
  env.options().batch_size = 16; // no checkpoints: everything commits when the job succeeds
  auto seen = std::make_shared<std::atomic<int>>(0);
  auto gate = std::make_shared<std::atomic<bool>>(false);
  build_doubling(env, dir, pg.conninfo(), [seen, gate](int) {
    // Held at its 1500th record, well past the 256 rows a subtask inserts at once.
    if (seen->fetch_add(1) == 1500)
      while (!gate->load())
        std::this_thread::yield();
  });
  auto run = std::async(std::launch::async, [&env] { return env.execute("pg-invisible"); });
  while (seen->load() <= 1500)
    std::this_thread::yield();
  // Rows are inserted (a transaction is open on the server) but not visible.
  std::string open_transactions;
  for (int i = 0; i < 100 && (open_transactions.empty() || open_transactions == "0"); ++i) {
    open_transactions =
        value(pg, "SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction'");
    std::this_thread::sleep_for(
        std::chrono::milliseconds(20)); // the server is only known by asking
  }
  CHECK(open_transactions != "0"); // a sink subtask has begun and inserted rows
  CHECK(value(pg, "SELECT count(*) FROM doubled") == "0");
  gate->store(true);
  auto result = run.get();
  INFO(result.failure.message());
  REQUIRE(result.ok());
  check_exactly_once(pg, 2000);
}

TEST_CASE("a PostgreSQL server killed and restarted mid-run: the job recovers and writes each row once",
          "[integration][connectors][postgres]") {
  test::postgres_server pg;
  REQUIRE(pg.ready(30000));
  REQUIRE(pg.query("CREATE TABLE doubled (n integer, d integer)"));
  auto started_before = value(pg, "SELECT pg_postmaster_start_time()");
  test::temp_dir dir;
  environment env;
  env.options().batch_size = 16;
  env.options().checkpoints.interval_ms = 10;
  env.options().checkpoints.state_dir = dir.file("state");
  env.options().restart = restart_strategy::fixed_delay(5, 10);
  auto seen = std::make_shared<std::atomic<int>>(0);
  auto gate = std::make_shared<std::atomic<bool>>(false);
  postgres_sink_options out;
  out.conninfo = pg.conninfo();
  out.table = "doubled";
  out.columns = {"n", "d"};
  env.set_parallelism(2);
  // 40 records a millisecond, so barriers come between records, and checkpoints
  // complete (and commit) before the hold at the 1500th record; the kill then
  // loses the rows in open transactions after the last barrier.
  env.add_source<uint64_t>(test::paced(4000, 40.0, [](uint64_t i) { return i; }), "numbers")
      .uid("numbers")
      .map([seen, gate](const uint64_t& n) {
        if (seen->fetch_add(1) == 1500)
          while (!gate->load())
            std::this_thread::yield();
        return postgres_row{std::to_string(n), std::to_string(2 * n)};
      })
      .uid("double")
      .sink(postgres_sink(out))
      .uid("out");
  auto run = std::async(std::launch::async, [&env] { return env.execute("pg-server-restart"); });
  while (seen->load() <= 1500)
    std::this_thread::yield();
  // Checkpoints before the hold complete and commit; the kill comes after one did.
  std::string committed = "0";
  for (int i = 0; i < 500 && committed == "0"; ++i) {
    committed = value(pg, "SELECT count(*) FROM doubled");
    std::this_thread::sleep_for(std::chrono::milliseconds(20)); // the server is only known by asking
  }
  CHECK(committed != "0");
  pg.restart(); // SIGKILL: open transactions are lost, prepared ones survive
  REQUIRE(pg.ready(30000));
  CHECK(value(pg, "SELECT pg_postmaster_start_time()") != started_before); // the restart happened
  gate->store(true);
  auto result = run.get();
  INFO(result.failure.message());
  REQUIRE(result.ok());
  check_exactly_once(pg, 4000);
}

TEST_CASE("PostgreSQL upserts by key are idempotent: a second run leaves the same rows",
          "[integration][connectors][postgres]") {
  test::postgres_server pg;
  REQUIRE(pg.ready(30000));
  REQUIRE(pg.query("CREATE TABLE counts (k text PRIMARY KEY, c bigint)"));
  test::temp_dir dir;
  write_numbers(dir, 1000);
  for (int run = 0; run < 2; ++run) {
    postgres_sink_options out;
    out.conninfo = pg.conninfo();
    out.table = "counts";
    out.columns = {"k", "c"};
    out.upsert_keys = {"k"};
    environment env;
    env.read_text_file(dir.file("in.txt"))
        .uid("numbers")
        .map([](const std::string& line) {
          return std::make_pair(std::to_string(std::stoi(line) % 7), int64_t{1});
        })
        .uid("key")
        .key_by([](const std::pair<std::string, int64_t>& p) { return p.first; })
        .reduce(
            [](const std::pair<std::string, int64_t>& a, const std::pair<std::string, int64_t>& b) {
              return std::make_pair(a.first, a.second + b.second);
            })
        .uid("count")
        .map([](const std::pair<std::string, int64_t>& p) {
          return postgres_row{p.first, std::to_string(p.second)};
        })
        .uid("row")
        .sink(postgres_sink(out))
        .uid("out");
    auto result = env.execute("pg-upsert");
    INFO(result.failure.message());
    REQUIRE(result.ok());
    CHECK(value(pg, "SELECT count(*) FROM counts") == "7");
    CHECK(value(pg, "SELECT sum(c) FROM counts") == "1000");
    CHECK(value(pg, "SELECT c FROM counts WHERE k = '0'") == "143");
  }
}

TEST_CASE("an unreachable PostgreSQL fails the job naming the server, after the reconnect timeout",
          "[integration][connectors][postgres]") {
  test::temp_dir dir;
  write_numbers(dir, 10);
  postgres_sink_options out;
  out.conninfo = "host=127.0.0.1 port=" + std::to_string(test::free_port())
                 + " dbname=x user=weir connect_timeout=1";
  out.table = "t";
  out.columns = {"n"};
  out.reconnect_timeout_ms = 300;
  environment env;
  env.read_text_file(dir.file("in.txt"))
      .uid("numbers")
      .map([](const std::string& s) { return postgres_row{s}; })
      .uid("row")
      .sink(postgres_sink(out))
      .uid("out");
  auto result = env.execute("pg-unreachable");
  REQUIRE_FALSE(result.ok());
  CHECK_THAT(result.failure.message(),
             Catch::Contains("postgres sink 'out[0/1]': PostgreSQL at 127.0.0.1:"));
  CHECK_THAT(result.failure.message(), Catch::Contains("unreachable for 300 ms"));
  CHECK_THROWS_WITH(postgres_sink(postgres_sink_options{}), "postgres_sink: no conninfo given");
}

TEST_CASE("a restored PostgreSQL sink commits the prepared transactions its checkpoint holds and "
          "rolls back the others",
          "[integration][connectors][postgres]") {
  // The sink stepped by hand: a crash after a checkpoint completed but before
  // its commit ran, and after the next interval's transaction was prepared.
  test::postgres_server pg;
  REQUIRE(pg.ready(30000));
  REQUIRE(pg.query("CREATE TABLE doubled (n integer, d integer)"));
  postgres_sink_options out;
  out.conninfo = pg.conninfo();
  out.table = "doubled";
  out.columns = {"n", "d"};
  subtask_info info;
  info.uid = "out";
  std::string held, newer;
  {
    auto crashed = postgres_sink(out)();
    crashed->open(info);
    crashed->write({"1", "2"});
    crashed->write({"2", "4"});
    held = crashed->pre_commit(); // its checkpoint completed; the commit never ran
    crashed->write({"3", "6"});
    newer = crashed->pre_commit(); // its checkpoint never completed
  } // the "crash": connections closed, both transactions stay prepared on the server
  REQUIRE_FALSE(held.empty());
  REQUIRE_FALSE(newer.empty());
  CHECK(value(pg, "SELECT count(*) FROM pg_prepared_xacts") == "2");
  CHECK(value(pg, "SELECT count(*) FROM doubled") == "0");
  auto restored = postgres_sink(out)();
  restored->open(info);
  restored->recover({held});
  CHECK(value(pg, "SELECT count(*) FROM doubled") == "2"); // the held transaction, committed
  CHECK(value(pg, "SELECT count(*) FROM doubled WHERE n = 3") == "0");
  CHECK(value(pg, "SELECT count(*) FROM pg_prepared_xacts") == "0"); // the newer one rolled back
  restored->commit(held); // a commit repeated: nothing happens
  CHECK(value(pg, "SELECT count(*) FROM doubled") == "2");
}

TEST_CASE("weir bench postgres compares the sink with a plain libpq loop on a running server",
          "[integration][connectors][postgres][cli]") {
  test::postgres_server pg;
  REQUIRE(pg.ready(30000));
  auto r = test::run_command(
      {WEIR_CLI, "bench", "postgres", "--conninfo", pg.conninfo(), "--records", "3000", "--runs", "1"},
      120000);
  INFO(r.output);
  REQUIRE(r.exit_code == 0); // each run checked the table held 3000 rows
  CHECK_THAT(r.output, Catch::Contains("| rows -> PostgreSQL table, 3000 rows | "));
  CHECK(value(pg, "SELECT count(*) FROM pg_prepared_xacts") == "0");
  CHECK(value(pg, "SELECT to_regclass('weir_bench_rows') IS NULL") == "t"); // dropped
  auto none = test::run_command({WEIR_CLI, "bench", "postgres", "--records", "10"});
  CHECK(none.exit_code == 2);
  CHECK_THAT(none.output, Catch::Contains("needs --conninfo"));
}
