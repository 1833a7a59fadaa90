// The Kafka connector against librdkafka's mock cluster, run in the test
// process (Debian packages no broker): topics read and written exactly once
// through a failure of the job and an outage of every broker; the sink
// stepped through a crash between a checkpoint's completion and its commit;
// an unreachable cluster and bad configuration named.

#include <catch2/catch.hpp>

#include <atomic>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include <librdkafka/rdkafka.h>

#include "support/kafka_mock.hpp"
#include "support/exactly_once.hpp"
#include "support/servers.hpp"
#include "support/temp_dir.hpp"
#include "weir/control.hpp"
#include "weir/kafka.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"

using namespace weir;
using weir::test::exactly_once;

namespace {

/// Messages n=first..last-1 (key n % 7) into `topic`.
void produce_numbers(test::kafka_mock& kafka, const std::string& topic, int first, int last) {
  std::vector<std::pair<std::string, std::string>> kv;
  for (int n = first; n < last; ++n)
    kv.emplace_back(std::to_string(n % 7), std::to_string(n));
  kafka.produce(topic, kv);
}

/// How often each n appears in "out", each value "n,2n" with a weir-id header.
std::map<int, int> counted(test::kafka_mock& kafka) {
  std::map<int, int> seen;
  for (const auto& m : kafka.read("out")) {
    auto comma = m.value.find(',');
    REQUIRE(comma != std::string::npos);
    int n = std::stoi(m.value.substr(0, comma));
    CHECK(m.value.substr(comma + 1) == std::to_string(2 * n));
    CHECK_FALSE(m.weir_id.empty());
    ++seen[n];
  }
  return seen;
}

/// Topic "in" (4 partitions) holding n=0..count-1, topic "out" (3 partitions).
void make_topics(test::kafka_mock& kafka, int count) {
  kafka.create_topic("in", 4);
  kafka.create_topic("out", 3);
  produce_numbers(kafka, "in", 0, count);
}

kafka_cluster where(const test::kafka_mock& kafka, uint32_t reconnect_timeout_ms = 20000) {
  kafka_cluster c;
  c.bootstrap_servers = kafka.bootstrap();
  c.reconnect_timeout_ms = reconnect_timeout_ms;
  return c;
}

/// Parallelism 2, checkpoints every `interval_ms` into DIR/state, `restarts` allowed.
void configure(environment& env, const test::temp_dir& dir, size_t batch, uint64_t interval_ms,
               uint32_t restarts = 0, uint64_t restart_delay_ms = 10) {
  env.set_parallelism(2);
  env.options().batch_size = batch;
  env.options().checkpoints.interval_ms = interval_ms;
  env.options().checkpoints.state_dir = dir.file("state");
  if (restarts > 0)
    env.options().restart = restart_strategy::fixed_delay(restarts, restart_delay_ms);
}

/// Topic "in" read at parallelism 2, each n written to "out" as "n,2n".
void build_doubling(environment& env, const kafka_cluster& cluster, bool stop_at_end = true,
                    std::function<void(int)> on_record = {}) {
  kafka_source_options in;
  in.cluster = cluster;
  in.topics = {"in"};
  in.stop_at_end = stop_at_end;
  kafka_sink_options out;
  out.cluster = cluster;
  out.topic = "out";
  env.add_source(kafka_source(in), "kafka-in")
      .uid("in")
      .map([on_record](const kafka_record& r) {
        int n = std::stoi(r.value);
        if (on_record) on_record(n);
        return kafka_message{r.key, r.value + "," + std::to_string(2 * n)};
      })
      .uid("double")
      .sink(kafka_sink(out))
      .uid("out");
}

} // namespace

TEST_CASE("a job reads a Kafka topic and writes a topic exactly once",
          "[integration][connectors][kafka]") {
  test::kafka_mock kafka;
  make_topics(kafka, 3000);
  test::temp_dir dir;
  environment env;
  configure(env, dir, 8, 5);
  build_doubling(env, where(kafka));
  auto result = env.execute("kafka-doubling");
  INFO(result.failure.message());
  REQUIRE(result.ok());
  CHECK(exactly_once(counted(kafka), 3000));
  CHECK(result.checkpoints > 1);
  // Keys kept: every message of key k went to the partition librdkafka hashes k to.
  std::map<std::string, std::set<int32_t>> partitions_of_key;
  for (const auto& m : kafka.read("out"))
    partitions_of_key[m.key].insert(m.partition);
  CHECK(partitions_of_key.size() == 7);
  for (const auto& [key, partitions] : partitions_of_key)
    CHECK(partitions.size() == 1);
}

TEST_CASE(
    "a Kafka job that fails mid-run restarts from its checkpoint and writes each message once",
    "[integration][connectors][kafka]") {
  test::kafka_mock kafka;
  make_topics(kafka, 4000);
  test::temp_dir dir;
  environment env;
  configure(env, dir, 32, 10, 3);
  auto thrown = std::make_shared<std::atomic<int>>(0);
  build_doubling(env, where(kafka), true, [thrown](int n) {
    if ((n == 1700 || n == 3100) && thrown->fetch_add(1) < 2)
      throw std::runtime_error("fails once");
  });
  auto result = env.execute("kafka-restart");
  INFO(result.failure.message());
  REQUIRE(result.ok());
  CHECK(result.restarts >= 1); // the failure happened
  CHECK(exactly_once(counted(kafka), 4000));
}

TEST_CASE("every Kafka broker down mid-run: the job fails over, restarts once they are back, "
          "and writes each message once",
          "[integration][connectors][kafka]") {
  test::kafka_mock kafka;
  make_topics(kafka, 6000);
  test::temp_dir dir;
  environment env;
  configure(env, dir, 16, 10, 50, 100);
  auto records = std::make_shared<std::atomic<int>>(0);
  auto gate = std::make_shared<std::atomic<bool>>(false);
  build_doubling(env, where(kafka, 300), true, [records, gate](int) {
    // The job waits at record 1000 until the brokers are down.
    if (records->fetch_add(1) == 1000)
      while (!gate->load())
        std::this_thread::yield();
  });
  auto run = std::async(std::launch::async, [&env] { return env.execute("kafka-outage"); });
  while (records->load() <= 1000)
    std::this_thread::yield();
  kafka.set_down(true);
  gate->store(true);
  // The outage lasts 1.5 s, five times the job's reconnect timeout: the job
  // must notice it (restarts below), not sleep through it.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  kafka.set_down(false);
  auto result = run.get();
  INFO(result.failure.message());
  REQUIRE(result.ok());
  CHECK(result.restarts >= 1);
  CHECK(exactly_once(counted(kafka), 6000));
}

TEST_CASE("an unreachable Kafka cluster fails the job naming the brokers, after the reconnect "
          "timeout",
          "[integration][connectors][kafka]") {
  kafka_cluster nowhere;
  nowhere.bootstrap_servers = "127.0.0.1:" + std::to_string(test::free_port());
  nowhere.reconnect_timeout_ms = 300;
  kafka_source_options in;
  in.cluster = nowhere;
  in.topics = {"in"};
  environment env;
  env.add_source(kafka_source(in), "kafka-in")
      .uid("in")
      .sink(function_sink<kafka_record>([](const kafka_record&) {}));
  auto result = env.execute("kafka-unreachable");
  REQUIRE_FALSE(result.ok());
  CHECK_THAT(result.failure.message(),
             Catch::Contains("kafka source 'in[0/1]': Kafka at " + nowhere.bootstrap_servers
                             + ": no answer about topic 'in' within 300 ms"));
}

TEST_CASE("Kafka connector configuration a user gets wrong is named",
          "[integration][connectors][kafka]") {
  kafka_source_options in;
  CHECK_THROWS_WITH(kafka_source(in), "kafka_source: no topic given");
  in.topics = {"t", ""};
  CHECK_THROWS_WITH(kafka_source(in), "kafka_source: an empty topic name");
  in.topics = {"t"};
  in.cluster.bootstrap_servers = "";
  CHECK_THROWS_WITH(kafka_source(in), "kafka_source: no bootstrap servers");
  kafka_sink_options out;
  CHECK_THROWS_WITH(kafka_sink(out), "kafka_sink: no topic given");

  test::kafka_mock kafka;
  kafka.create_topic("in", 1);
  kafka.set_missing("nope");
  auto run_with = [&](kafka_source_options o) {
    environment env;
    env.add_source(kafka_source(o), "kafka-in")
        .uid("in")
        .sink(function_sink<kafka_record>([](const kafka_record&) {}));
    return env.execute("kafka-misconfigured");
  };
  kafka_source_options missing;
  missing.cluster = where(kafka, 2000);
  missing.topics = {"nope"};
  auto a = run_with(missing);
  REQUIRE_FALSE(a.ok());
  CHECK_THAT(a.failure.message(),
             Catch::Contains("kafka source 'in[0/1]': Kafka at " + kafka.bootstrap()
                             + ": topic 'nope' does not exist"));
  kafka_source_options unknown = missing;
  unknown.topics = {"in"};
  unknown.cluster.properties["fetch.wait.max.minutes"] = "3";
  auto b = run_with(unknown);
  REQUIRE_FALSE(b.ok());
  CHECK_THAT(b.failure.message(),
             Catch::Contains("librdkafka refuses property 'fetch.wait.max.minutes' = '3'"));
}

TEST_CASE("a Kafka source idles on an empty topic and reads on when messages arrive",
          "[integration][connectors][kafka]") {
  test::kafka_mock kafka;
  make_topics(kafka, 0);
  test::temp_dir dir;
  environment env;
  configure(env, dir, 8, 20);
  build_doubling(env, where(kafka), false);
  auto run = std::async(std::launch::async, [&env] { return env.execute("kafka-idle"); });
  // Committed output is only known by asking the cluster: poll it.
  auto committed = [&](size_t want) {
    for (int i = 0; i < 1000 && kafka.read("out").size() < want; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return kafka.read("out").size();
  };
  bool running = false;
  for (int i = 0; i < 500 && !running; ++i) { // the control endpoint answers once the job runs
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    running = control_job(dir.file("state"), "status").has_value();
  }
  REQUIRE(running);
  CHECK(kafka.read("out").empty());
  produce_numbers(kafka, "in", 0, 200); // the sources were idle; now every partition has messages
  CHECK(committed(200) == 200);
  produce_numbers(kafka, "in", 200, 300); // and once more, after another idle spell
  CHECK(committed(300) == 300);
  control_job(dir.file("state"), "cancel");
  run.get();
  CHECK(exactly_once(counted(kafka), 300));
}

TEST_CASE("a restored Kafka sink commits what its checkpoint holds once, whether or not the "
          "crashed attempt had committed it",
          "[integration][connectors][kafka]") {
  // The sink stepped by hand through crashes between a checkpoint's
  // completion and its commit.
  test::kafka_mock kafka;
  kafka.create_topic("out", 3);
  kafka_sink_options out;
  out.cluster = where(kafka, 5000);
  out.topic = "out";
  subtask_info info;
  info.uid = "out";
  auto message = [](int n) {
    return kafka_message{std::to_string(n % 7), std::to_string(n) + "," + std::to_string(2 * n)};
  };
  std::string held, newer;
  {
    auto crashed = kafka_sink(out)();
    crashed->open(info);
    crashed->write(message(0));
    crashed->write(message(1));
    held = crashed->pre_commit(); // its checkpoint completed; the commit never ran
    crashed->write(message(2));
    newer = crashed->pre_commit(); // its checkpoint never completed
  }
  REQUIRE_FALSE(held.empty());
  REQUIRE_FALSE(newer.empty());
  CHECK(kafka.read("out").empty()); // write-ahead: nothing reaches Kafka before a commit
  {
    auto restored = kafka_sink(out)();
    restored->open(info);
    restored->recover({held});
    CHECK(exactly_once(counted(kafka), 2));
    restored->commit(held); // a commit repeated: nothing happens
    CHECK(kafka.read("out").size() == 2);
    restored->write(message(2));
    held = restored->pre_commit();
    restored->commit(held); // committed, then the attempt crashed before its next checkpoint
  }
  CHECK(exactly_once(counted(kafka), 3));
  auto again = kafka_sink(out)();
  again->open(info);
  again->recover({held}); // the restore finds it committed: it adds nothing
  CHECK(exactly_once(counted(kafka), 3));
  CHECK_THROWS_WITH(again->commit("not a transaction"), Catch::Contains("is malformed"));
}

TEST_CASE("a Kafka sink whose transaction fails aborts it and writes it again, each message once",
          "[integration][connectors][kafka]") {
  test::kafka_mock kafka;
  kafka.create_topic("out", 1);
  kafka_sink_options out;
  out.cluster = where(kafka, 5000);
  out.topic = "out";
  subtask_info info;
  info.uid = "out";
  auto sink = kafka_sink(out)();
  sink->open(info);
  for (int n = 0; n < 3; ++n)
    sink->write(kafka_message{std::to_string(n), std::to_string(n) + "," + std::to_string(2 * n)});
  auto held = sink->pre_commit();
  // The broker refuses the produce for good: the messages fail, the
  // transaction must be aborted and written again.
  kafka.push_errors(0, {RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE});
  sink->commit(held);
  CHECK(exactly_once(counted(kafka), 3));
  // Then the next one goes through as usual.
  for (int n = 3; n < 6; ++n)
    sink->write(kafka_message{std::to_string(n), std::to_string(n) + "," + std::to_string(2 * n)});
  sink->commit(sink->pre_commit());
  CHECK(exactly_once(counted(kafka), 6));
}
