// The Redis Streams connector against Debian's redis-server, started by the
// tests on loopback: a stream read and written exactly once, through a
// failure and a restart of the job, through a restart of the server; an
// unreachable server and bad configuration named.

#include <catch2/catch.hpp>

#include <atomic>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "support/process.hpp"
#include "support/redis_server.hpp"
#include "support/exactly_once.hpp"
#include "support/servers.hpp"
#include "support/temp_dir.hpp"
#include "weir/control.hpp"
#include "weir/redis.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"

using namespace weir;
using weir::test::exactly_once;

namespace {

/// Adds entries n=first..last-1 to `stream`, pipelined.
void add_numbers(test::redis_server& redis, const std::string& stream, int first, int last) {
  std::vector<std::vector<std::string>> adds;
  for (int i = first; i < last; ++i)
    adds.push_back({"XADD", stream, "*", "n", std::to_string(i)});
  REQUIRE(redis.pipeline(adds));
}

/// How often each n appears in `stream`'s entries, with its doubled value checked.
std::map<int, int> counted(test::redis_server& redis, const std::string& stream) {
  std::map<int, int> seen;
  for (const auto& e : redis.entries(stream)) {
    int n = std::stoi(e.get("n"));
    CHECK(e.get("double") == std::to_string(2 * n));
    ++seen[n];
  }
  return seen;
}

/// Entries n=0..count-1, the first half in stream in0, the rest in in1.
void add_halves(test::redis_server& redis, int count) {
  add_numbers(redis, "in0", 0, count / 2);
  add_numbers(redis, "in1", count / 2, count);
}

/// Parallelism 2, checkpoints every `interval_ms` into DIR/state, `restarts` allowed.
void configure(environment& env, const test::temp_dir& dir, size_t batch, uint64_t interval_ms,
               uint32_t restarts = 0) {
  env.set_parallelism(2);
  env.options().batch_size = batch;
  env.options().checkpoints.interval_ms = interval_ms;
  env.options().checkpoints.state_dir = dir.file("state");
  if (restarts > 0) env.options().restart = restart_strategy::fixed_delay(restarts, 10);
}

/// Two input streams read at parallelism 2, each entry doubled into "out".
void build_doubling(environment& env, const weir::redis_server& where,
                    std::function<void(int)> on_record = {}) {
  redis_stream_source_options in;
  in.server = where;
  in.streams = {"in0", "in1"};
  in.stop_at_end = true;
  redis_stream_sink_options out;
  out.server = where;
  out.stream = "out";
  env.add_source(redis_stream_source(in), "redis-in")
      .uid("in")
      .map([on_record](const redis_entry& e) {
        int n = std::stoi(e.get("n"));
        if (on_record) on_record(n);
        return redis_fields{{"n", e.get("n")}, {"double", std::to_string(2 * n)}};
      })
      .uid("double")
      .sink(redis_stream_sink(out))
      .uid("out");
}

} // namespace

TEST_CASE("a job reads Redis streams and writes a stream exactly once, nothing left staged",
          "[integration][connectors][redis]") {
  test::redis_server redis;
  REQUIRE(redis.ready(10000));
  add_halves(redis, 3000);
  test::temp_dir dir;
  environment env;
  configure(env, dir, 8, 5);
  build_doubling(env, redis.where());
  auto result = env.execute("redis-doubling");
  INFO(result.failure.message());
  REQUIRE(result.ok());
  CHECK(exactly_once(counted(redis, "out"), 3000));
  CHECK(redis.keys("out:weir-staging:*").empty());
  CHECK(result.checkpoints > 1);
}

TEST_CASE("a Redis job that fails mid-run restarts from its checkpoint and writes each entry once",
          "[integration][connectors][redis]") {
  test::redis_server redis;
  REQUIRE(redis.ready(10000));
  add_halves(redis, 4000);
  test::temp_dir dir;
  environment env;
  configure(env, dir, 32, 10, 3);
  auto thrown = std::make_shared<std::atomic<int>>(0);
  build_doubling(env, redis.where(), [thrown](int n) {
    if ((n == 1700 || n == 3100) && thrown->fetch_add(1) < 2)
      throw std::runtime_error("fails once");
  });
  auto result = env.execute("redis-restart");
  INFO(result.failure.message());
  REQUIRE(result.ok());
  CHECK(result.restarts >= 1); // the failure happened
  CHECK(exactly_once(counted(redis, "out"), 4000));
  CHECK(redis.keys("out:weir-staging:*").empty()); // the failed attempts' staging deleted
}

TEST_CASE("a Redis server restarted mid-run: the job reconnects and writes each entry once",
          "[integration][connectors][redis]") {
  test::redis_server redis;
  REQUIRE(redis.ready(10000));
  add_halves(redis, 6000);
  test::temp_dir dir;
  environment env;
  configure(env, dir, 16, 10, 5);
  auto records = std::make_shared<std::atomic<int>>(0);
  auto gate = std::make_shared<std::atomic<bool>>(false);
  build_doubling(env, redis.where(), [records, gate](int) {
    // The job waits for the test's restart of the server at record 1000.
    if (records->fetch_add(1) == 1000)
      while (!gate->load())
        std::this_thread::yield();
  });
  auto run = std::async(std::launch::async, [&env] { return env.execute("redis-server-restart"); });
  while (records->load() <= 1000)
    std::this_thread::yield();
  redis.restart();
  REQUIRE(redis.ready(10000));
  gate->store(true);
  auto result = run.get();
  INFO(result.failure.message());
  REQUIRE(result.ok());
  CHECK(exactly_once(counted(redis, "out"), 6000));
}

TEST_CASE("an unreachable Redis fails the job naming the server, after the reconnect timeout",
          "[integration][connectors][redis]") {
  weir::redis_server nowhere;
  nowhere.port = test::free_port();
  nowhere.reconnect_timeout_ms = 300;
  redis_stream_source_options in;
  in.server = nowhere;
  in.streams = {"in"};
  environment env;
  env.add_source(redis_stream_source(in), "redis-in")
      .uid("in")
      .sink(function_sink<redis_entry>([](const redis_entry&) {}));
  auto result = env.execute("redis-unreachable");
  REQUIRE_FALSE(result.ok());
  CHECK_THAT(result.failure.message(),
             Catch::Contains("redis source 'in[0/1]': Redis at " + nowhere.address()
                             + " unreachable for 300 ms"));
  CHECK_THAT(result.failure.message(), Catch::Contains("Connection refused"));
}

TEST_CASE("Redis connector configuration a user gets wrong is named", "[unit][connectors][redis]") {
  redis_stream_source_options in;
  CHECK_THROWS_WITH(redis_stream_source(in), "redis_stream_source: no stream given");
  in.streams = {"s", ""};
  CHECK_THROWS_WITH(redis_stream_source(in), "redis_stream_source: an empty stream name");
  in.streams = {"s"};
  in.after_id = "yesterday";
  CHECK_THROWS_WITH(redis_stream_source(in),
                    Catch::Contains("after_id 'yesterday' is not an entry id"));
  redis_stream_sink_options out;
  CHECK_THROWS_WITH(redis_stream_sink(out), "redis_stream_sink: no stream given");
}

TEST_CASE("a Redis source idles on an empty stream and reads on when entries arrive",
          "[integration][connectors][redis]") {
  test::redis_server redis;
  REQUIRE(redis.ready(10000));
  test::temp_dir dir;
  environment env;
  configure(env, dir, 8, 20);
  redis_stream_source_options in;
  in.server = redis.where();
  in.streams = {"in0", "in1"}; // neither exists yet
  redis_stream_sink_options out;
  out.server = redis.where();
  out.stream = "out";
  env.add_source(redis_stream_source(in), "redis-in")
      .uid("in")
      .map([](const redis_entry& e) {
        return redis_fields{{"n", e.get("n")},
                            {"double", std::to_string(2 * std::stoi(e.get("n")))}};
      })
      .uid("double")
      .sink(redis_stream_sink(out))
      .uid("out");
  auto run = std::async(std::launch::async, [&env] { return env.execute("redis-idle"); });
  // Committed output is only known by asking the server: poll it.
  auto committed = [&](size_t want) {
    for (int i = 0; i < 1000 && redis.entries("out").size() < want; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return redis.entries("out").size();
  };
  bool running = false;
  for (int i = 0; i < 500 && !running; ++i) { // the control endpoint answers once the job runs
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    running = control_job(dir.file("state"), "status").has_value();
  }
  REQUIRE(running);
  CHECK(redis.entries("out").empty());
  add_halves(redis, 200); // the sources were idle; now each stream has entries
  CHECK(committed(200) == 200);
  add_numbers(redis, "in1", 200, 300); // and once more, after another idle spell
  CHECK(committed(300) == 300);
  control_job(dir.file("state"), "cancel");
  run.get();
  CHECK(exactly_once(counted(redis, "out"), 300));
}

TEST_CASE("a restored Redis sink commits the transactions its checkpoint holds and deletes the "
          "others' staging",
          "[integration][connectors][redis]") {
  // The sink stepped by hand: a crash after a checkpoint completed but before
  // its commit ran, and after the next interval's entries were staged.
  test::redis_server redis;
  REQUIRE(redis.ready(10000));
  redis_stream_sink_options out;
  out.server = redis.where();
  out.stream = "out";
  subtask_info info;
  info.uid = "out";
  std::string held, newer;
  {
    auto crashed = redis_stream_sink(out)();
    crashed->open(info);
    crashed->write({{"n", "1"}});
    crashed->write({{"n", "2"}});
    held = crashed->pre_commit(); // its checkpoint completed; the commit never ran
    crashed->write({{"n", "3"}});
    newer = crashed->pre_commit(); // its checkpoint never completed
  }
  REQUIRE_FALSE(held.empty());
  REQUIRE_FALSE(newer.empty());
  CHECK(redis.keys("out:weir-staging:*").size() == 2);
  CHECK(redis.entries("out").empty());
  auto restored = redis_stream_sink(out)();
  restored->open(info);
  restored->recover({held});
  auto entries = redis.entries("out");
  REQUIRE(entries.size() == 2); // the held transaction, committed in order
  CHECK(entries[0].get("n") == "1");
  CHECK(entries[1].get("n") == "2");
  CHECK(redis.keys("out:weir-staging:*").empty()); // the newer one's staging deleted
  restored->commit(held);                          // a commit repeated: nothing happens
  CHECK(redis.entries("out").size() == 2);
}

TEST_CASE("weir bench redis compares the connector with a plain hiredis loop on a running server",
          "[integration][connectors][redis][cli]") {
  test::redis_server redis;
  REQUIRE(redis.ready(10000));
  auto port = std::to_string(redis.where().port);
  auto r = test::run_command(
      {WEIR_CLI, "bench", "redis", "--port", port, "--records", "3000", "--runs", "1"}, 120000);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("| Redis stream -> stream, 3000 entries | "));
  CHECK(redis.keys("weir-bench-*").empty()); // its streams deleted
  auto none = test::run_command({WEIR_CLI, "bench", "redis", "--records", "10"});
  CHECK(none.exit_code == 2);
  CHECK_THAT(none.output, Catch::Contains("needs --port"));
}
