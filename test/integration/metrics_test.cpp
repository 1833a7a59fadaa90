// Live metrics (issue 10): the supervisor gathers every task's figures each
// interval and hands them to the embedder's callback, serves them as
// Prometheus text that a real Prometheus scrapes, and pushes them to a real
// InfluxDB; an InfluxDB that is down or silent never holds the job up, and
// what it cannot take is dropped oldest first and counted.

#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <random>
#include <regex>
#include <string>
#include <thread>

#include "support/node_process.hpp"
#include "support/process.hpp"
#include "support/servers.hpp"
#include "support/temp_dir.hpp"
#include "weir/control.hpp"
#include "weir/sinks.hpp"
#include "weir/stream.hpp"

using namespace weir;

namespace {

/// lines -> first (about 100 us of work per record: the bottleneck) ->
/// second -> out, over `lines` input lines, checkpointing every 300 ms into
/// `dir`/state (so the test can cancel it), metrics every 200 ms.
void build_slow_job(environment& env, const test::temp_dir& dir, int lines) {
  std::string text;
  for (int i = 0; i < lines; ++i)
    text += "line " + std::to_string(i) + "\n";
  test::write_file(dir.file("in.txt"), text);
  env.options().batch_size = 64;
  env.options().checkpoints.interval_ms = 300;
  env.options().checkpoints.state_dir = dir.file("state");
  env.options().metrics.interval_ms = 200;
  auto slow = [](const std::string& s) {
    auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(100);
    while (std::chrono::steady_clock::now() < until) {
    }
    return s;
  };
  env.read_text_file(dir.file("in.txt"))
      .uid("lines")
      .map(slow)
      .uid("first")
      .map([](const std::string& s) { return s; })
      .uid("second")
      .sink(file_sink(dir.file("out")))
      .uid("out");
}

/// Snapshots handed to on_metrics, kept for the test thread.
struct snapshots {
  std::mutex mtx;
  std::condition_variable arrived;
  std::vector<job_metrics> all;

  std::function<void(const job_metrics&)> callback() {
    return [this](const job_metrics& m) {
      std::lock_guard<std::mutex> guard(mtx);
      all.push_back(m);
      arrived.notify_all();
    };
  }
};

const task_metrics* task_of(const job_metrics& m, const std::string& uid) {
  for (const auto& t : m.tasks)
    if (t.operator_uid == uid) return &t;
  return nullptr;
}

/// Every string value of `key` in the JSON file `path` (a Grafana dashboard
/// of ours: its queries), unescaped, with Grafana's variables as a user
/// looking at job "metrics-job" over the last hour would have them.
std::vector<std::string> dashboard_queries(const std::string& path, const std::string& key) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> out;
  std::regex value("\"" + key + R"re(":\s*"((?:[^"\\]|\\.)*)")re");
  for (std::sregex_iterator i(text.begin(), text.end(), value), end; i != end; ++i) {
    auto q = std::regex_replace((*i)[1].str(), std::regex(R"(\\(.))"), "$1");
    for (auto [from, to] :
         std::vector<std::pair<std::string, std::string>>{{"$job", "metrics-job"},
                                                          {"$__rate_interval", "1m"},
                                                          {"$__interval", "1s"},
                                                          {"$timeFilter", "time > now() - 1h"}})
      for (size_t at; (at = q.find(from)) != std::string::npos;)
        q.replace(at, from.size(), to);
    out.push_back(q);
  }
  return out;
}

/// Polls `ok` every 200 ms up to `timeout_ms` (a server is only known ready by asking).
template <class F> bool eventually(int timeout_ms, F ok) {
  for (int waited = 0; waited < timeout_ms; waited += 200) {
    if (ok()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return ok();
}

} // namespace

TEST_CASE("the job hands its metrics to on_metrics every interval, naming the slow operator the "
          "bottleneck",
          "[integration][metrics]") {
  test::temp_dir dir;
  environment env;
  build_slow_job(env, dir, 20000);
  snapshots got;
  env.options().metrics.on_metrics = got.callback();
  auto result = env.execute("metrics-job");
  REQUIRE(result.ok());
  std::lock_guard<std::mutex> guard(got.mtx);
  INFO(got.all.size() << " snapshots");
  REQUIRE(got.all.size() >= 3);
  bool named = false;
  uint64_t before = 0;
  for (const auto& m : got.all) {
    CHECK(m.job == "metrics-job");
    CHECK(m.attempt == 1);
    const auto* first = task_of(m, "first");
    const auto* lines = task_of(m, "lines");
    REQUIRE(first);
    REQUIRE(lines);
    CHECK(first->records_in >= before); // counters only grow within an attempt
    before = first->records_in;
    if (m.bottleneck && m.tasks[*m.bottleneck].operator_uid == "first" && first->busy_share >= 0.5
        && lines->backpressured_share >= 0.5 && first->records_in_per_s > 0)
      named = true;
  }
  CHECK(named);
  const auto& last = got.all.back();
  REQUIRE_FALSE(last.checkpoints.empty());
  CHECK(last.checkpoints.back().bytes > 0);
  CHECK(last.checkpoints_completed >= last.checkpoints.size());
  for (size_t i = 1; i < last.checkpoints.size(); ++i)
    CHECK(last.checkpoints[i].id > last.checkpoints[i - 1].id);
  CHECK(task_of(last, "lines")->checkpoint_bytes > 0); // its source position
}

TEST_CASE("a real Prometheus scrapes the job's endpoint and its query API returns Weir's series",
          "[integration][metrics][servers]") {
  REQUIRE(test::installed("prometheus")); // .ci/install-deps installs it
  test::temp_dir dir;
  environment env;
  build_slow_job(env, dir, 300000);
  test::ports_from_log log;
  env.options().log = log.callback();
  env.options().metrics.port = 0;
  auto run = std::async(std::launch::async, [&env] { return env.execute("metrics-job"); });
  REQUIRE(log.wait(20000));
  auto own = test::http_get(uint16_t(log.metrics), "/metrics");
  REQUIRE(own);
  test::prometheus_server prometheus("127.0.0.1:" + std::to_string(log.metrics.load()));
  REQUIRE(prometheus.ready(30000));
  std::string answer;
  bool scraped = eventually(30000, [&] {
    auto a =
        prometheus.query(R"(weir_task_records_in_total{job="metrics-job",operator="first"} > 0)");
    if (a) answer = *a;
    return a && a->find(R"("subtask":"0")") != std::string::npos;
  });
  std::string bottleneck;
  bool named =
      scraped && eventually(30000, [&] {
        auto a = prometheus.query(
            R"(max_over_time(weir_task_bottleneck{job="metrics-job",operator="first"}[1m]))");
        if (a) bottleneck = *a;
        return a && a->find(R"(,"1"])") != std::string::npos;
      });
  // Every panel of the Grafana dashboard for Prometheus: a valid query, and
  // data for each but those that may be empty (no event time in this job; the
  // bottleneck table filters on == 1).
  auto queries = dashboard_queries(WEIR_GRAFANA_DIR "/weir-prometheus.json", "expr");
  CHECK(queries.size() >= 10);
  std::vector<std::string> failing;
  eventually(20000, [&] {
    failing.clear();
    for (const auto& q : queries) {
      auto a = prometheus.query(q);
      bool may_be_empty =
          q.find("watermark") != std::string::npos || q.find("== 1") != std::string::npos;
      if (!a || a->find(R"("status":"success")") == std::string::npos
          || (!may_be_empty && a->find(R"("result":[])") != std::string::npos))
        failing.push_back(q + " -> " + a.value_or("(no answer)"));
    }
    return failing.empty();
  });
  auto targets = test::http_get(prometheus.port(), "/api/v1/targets");
  control_job(dir.file("state"), "cancel");
  run.get();
  INFO("Prometheus's targets: " << targets.value_or("(no answer)"));
  INFO("Prometheus answered: " << answer);
  CHECK(scraped);
  INFO("bottleneck query answered: " << bottleneck);
  CHECK(named);
  INFO(failing.size() << " dashboard queries failed, first: "
                      << (failing.empty() ? "" : failing.front()));
  CHECK(failing.empty());
}

TEST_CASE("a real InfluxDB receives the job's points", "[integration][metrics][servers]") {
  REQUIRE(test::installed("influxd")); // .ci/install-deps installs it
  test::influxdb_server influx;
  REQUIRE(influx.ready(30000));
  test::temp_dir dir;
  environment env;
  build_slow_job(env, dir, 300000);
  env.options().metrics.influxdb_url = influx.url();
  env.options().metrics.influxdb_db = "weir_test";
  auto run = std::async(std::launch::async, [&env] { return env.execute("metrics-job"); });
  std::string answer;
  bool received = eventually(30000, [&] {
    auto a = influx.query(
        "weir_test", R"(SELECT max("records_in") FROM "weir_task" WHERE "operator" = 'first')");
    if (a) answer = *a;
    return a && std::regex_search(*a, std::regex(R"("values":\[\["[^"]+",[1-9][0-9]*\]\])"));
  });
  bool checkpoints =
      received && eventually(10000, [&] {
        auto a = influx.query(
            "weir_test",
            R"(SELECT count("bytes") FROM "weir_checkpoint" WHERE "job" = 'metrics-job')");
        return a && std::regex_search(*a, std::regex(R"("values":\[\["[^"]+",[1-9][0-9]*\]\])"));
      });
  // Every panel of the Grafana dashboard for InfluxDB: a valid InfluxQL query
  // with data (but the watermark lag: no event time in this job).
  auto queries = dashboard_queries(WEIR_GRAFANA_DIR "/weir-influxdb.json", "query");
  std::vector<std::string> failing;
  eventually(20000, [&] {
    failing.clear();
    for (const auto& q : queries) {
      if (q.rfind("SELECT", 0) != 0) continue; // the variable's SHOW TAG VALUES is checked below
      auto a = influx.query("weir_test", q);
      bool may_be_empty = q.find("watermark") != std::string::npos;
      if (!a || a->find(R"("error")") != std::string::npos
          || (!may_be_empty && a->find(R"("series")") == std::string::npos))
        failing.push_back(q + " -> " + a.value_or("(no answer)"));
    }
    return failing.empty();
  });
  auto jobs = influx.query("weir_test", R"(SHOW TAG VALUES FROM "weir_job" WITH KEY = "job")");
  control_job(dir.file("state"), "cancel");
  run.get();
  CHECK(queries.size() >= 10);
  INFO(failing.size() << " dashboard queries failed, first: "
                      << (failing.empty() ? "" : failing.front()));
  CHECK(failing.empty());
  CHECK_THAT(jobs.value_or(""), Catch::Contains("metrics-job"));
  INFO("InfluxDB answered: " << answer);
  CHECK(received);
  CHECK(checkpoints);
}

TEST_CASE(
    "an InfluxDB that is down or silent never holds the job up, and lines beyond the buffer are "
    "dropped and counted",
    "[integration][metrics]") {
  // A listening socket nobody accepts on: connects succeed, nothing answers.
  test::silent_listener silent;
  REQUIRE(silent.port() != 0);
  std::string url;
  SECTION("nothing listens") {
    url = "http://127.0.0.1:" + std::to_string(test::free_port());
  }
  SECTION("it accepts and never answers") {
    url = "http://127.0.0.1:" + std::to_string(silent.port());
  }
  test::temp_dir dir;
  environment env;
  build_slow_job(env, dir, 30000);
  env.options().metrics.interval_ms = 50;
  env.options().metrics.influxdb_url = url;
  env.options().metrics.influxdb_buffer_lines = 10;
  env.options().metrics.port = 0;
  snapshots got;
  env.options().metrics.on_metrics = got.callback();
  test::ports_from_log log;
  env.options().log = log.callback();
  auto run = std::async(std::launch::async, [&env] { return env.execute("metrics-job"); });
  REQUIRE(log.wait(20000));
  std::string text;
  bool counted = eventually(20000, [&] {
    auto t = test::http_get(uint16_t(log.metrics), "/metrics");
    if (t) text = *t;
    std::smatch m;
    return t
           && std::regex_search(*t, m, std::regex(R"(weir_influxdb_lines_dropped_total\{job="metrics-job"\} ([0-9]+))"))
           && std::stoull(m[1].str()) > 0;
  });
  auto result = run.get();
  INFO(text);
  CHECK(counted);
  REQUIRE(result.ok());
  std::lock_guard<std::mutex> guard(got.mtx);
  // About 3 s of running at 50 ms: snapshots kept coming while pushes failed.
  CHECK(got.all.size() >= 10);
}

TEST_CASE(
    "hostile bytes on the metrics port get nothing and leave the endpoint and the job as they were",
    "[integration][metrics][hostile]") {
  test::temp_dir dir;
  environment env;
  build_slow_job(env, dir, 20000);
  env.options().metrics.port = 0;
  test::ports_from_log log;
  env.options().log = log.callback();
  auto run = std::async(std::launch::async, [&env] { return env.execute("metrics-job"); });
  REQUIRE(log.wait(20000));
  auto send_raw = [&](const std::string& bytes) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(uint16_t(log.metrics));
    bool sent = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0
                && ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) > 0;
    ::close(fd);
    return sent;
  };
  std::mt19937_64 rng(7);
  std::string noise(1 << 20, '\0');
  for (auto& c : noise)
    c = static_cast<char>(rng());
  CHECK(send_raw(noise)); // 1 MiB of random bytes
  CHECK(
      send_raw("GET /" + std::string(100000, 'a') + " HTTP/1.1\r\n\r\n")); // a 100 KB request line
  CHECK(send_raw(
      "POST /metrics HTTP/1.1\r\nContent-Length: 4294967295\r\n\r\nxx")); // a 4 GiB body announced
  std::string after;
  bool serving = eventually(10000, [&] { // the first snapshot comes one interval in
    after = test::http_get(uint16_t(log.metrics), "/metrics").value_or("");
    return after.find("weir_task_records_in_total{job=\"metrics-job\"") != std::string::npos;
  });
  auto result = run.get();
  INFO(after);
  CHECK(serving);
  REQUIRE(result.ok());
  CHECK(result.sink_records == 20000);
}

TEST_CASE("metrics name the node each task runs on and cover tasks on nodes",
          "[integration][metrics][remote]") {
  test::node_process node;
  test::temp_dir dir;
  environment env;
  test::build_long_wordcount(env, node.address, dir); // the count operator on the node
  env.options().metrics.interval_ms = 100;
  snapshots got;
  env.options().metrics.on_metrics = got.callback();
  auto result = env.execute("wordcount");
  INFO(result.failure.message());
  REQUIRE(result.ok());
  std::lock_guard<std::mutex> guard(got.mtx);
  REQUIRE_FALSE(got.all.empty());
  bool answered_from_node = false;
  for (const auto& m : got.all)
    for (const auto& t : m.tasks) {
      CHECK((t.operator_uid == "count") == (t.node == node.address)); // only count runs there
      if (t.node == node.address && t.running && t.records_in > 0 && t.busy_ns > 0)
        answered_from_node = true;
    }
  CHECK(answered_from_node);
}
