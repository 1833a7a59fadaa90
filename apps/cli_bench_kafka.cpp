// weir bench kafka: records per second through the Kafka connector (a job
// reading one topic and writing another exactly once, checkpoints every
// second) against a plain librdkafka loop doing the same reads and writes,
// in one run against librdkafka's mock cluster, started in this process
// (Debian packages no Kafka broker).

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/connector_bench.hpp"
#include "cli_args.hpp"
#include "commands.hpp"
#include "weir/kafka.hpp"
#include "weir/stream.hpp"

namespace weir::apps {

namespace {

const char* usage = R"(usage: weir bench kafka [options]

Starts librdkafka's mock Kafka cluster in this process (one broker, topics
of 8 partitions) and runs, alternating: a plain librdkafka loop that
consumes N messages of a topic and produces each to another
(idempotent producer, not transactional), and a Weir job doing the same through
kafka_source and the exactly-once kafka_sink at parallelism 1, checkpoints
every second. Prints a markdown table of median records/s. The mock keeps
messages in memory, a few MB per partition (a fill it did not keep whole is
an error): the figures compare client-side costs, not a broker.

options:
  --records N   messages per run (default 200000)
  --runs K      runs of each (default 3)
  -h, --help    show this help
)";

using clock = std::chrono::steady_clock;

int usage_error(const std::string& message) {
  std::fprintf(stderr, "weir bench kafka: %s (try weir bench kafka --help)\n", message.c_str());
  return 2;
}

void quiet(const rd_kafka_t*, int, const char*, const char*) {}

struct handle {
  rd_kafka_t* rk = nullptr;
  handle(rd_kafka_type_t type, const std::vector<std::pair<std::string, std::string>>& settings) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, quiet);
    for (const auto& [k, v] : settings)
      if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err))
        throw std::runtime_error(err);
    rk = rd_kafka_new(type, conf, err, sizeof err);
    if (!rk) throw std::runtime_error(err);
  }
  ~handle() { rd_kafka_destroy(rk); }
  handle(const handle&) = delete;
  handle& operator=(const handle&) = delete;
};

/// The mock cluster, for as long as the benchmark runs.
struct mock_cluster {
  handle owner{RD_KAFKA_PRODUCER, {}};
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(owner.rk, 1);
  ~mock_cluster() { rd_kafka_mock_cluster_destroy(cluster); }
  std::string bootstrap() const { return rd_kafka_mock_cluster_bootstraps(cluster); }
};

void produce(rd_kafka_t* p, const std::string& topic, const void* key, size_t key_size,
             const void* value, size_t size) {
  for (;;) {
    auto err = rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic.c_str()),
                                 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                 RD_KAFKA_V_KEY(const_cast<void*>(key), key_size),
                                 RD_KAFKA_V_VALUE(const_cast<void*>(value), size), RD_KAFKA_V_END);
    if (!err) return;
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) throw std::runtime_error(rd_kafka_err2str(err));
    rd_kafka_poll(p, 10);
  }
}

/// The mock keeps only a few megabytes per partition and drops the oldest
/// messages beyond that, so the topics are spread over this many partitions
/// and each fill is checked to be whole.
constexpr int partitions = 8;

uint64_t messages_kept(rd_kafka_t* rk, const std::string& topic) {
  uint64_t kept = 0;
  for (int32_t p = 0; p < partitions; ++p) {
    int64_t low = 0, high = 0;
    if (auto err = rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &low, &high, 10000))
      throw std::runtime_error("watermarks of " + topic + ": " + rd_kafka_err2str(err));
    if (low != 0) return 0; // the mock dropped the partition's first messages
    kept += static_cast<uint64_t>(high);
  }
  return kept;
}

void fill(mock_cluster& mock, const std::string& topic, uint64_t n) {
  rd_kafka_mock_topic_create(mock.cluster, topic.c_str(), partitions, 1);
  handle p(RD_KAFKA_PRODUCER, {{"bootstrap.servers", mock.bootstrap()}, {"linger.ms", "5"}});
  std::string value = "n=" + std::string(40, 'x');
  for (uint64_t i = 0; i < n; ++i) {
    auto key = std::to_string(i);
    produce(p.rk, topic, key.data(), key.size(), value.data(), value.size());
  }
  if (rd_kafka_flush(p.rk, 60000)) throw std::runtime_error("filling the input topic timed out");
  if (messages_kept(p.rk, topic) != n)
    throw std::runtime_error("the mock cluster did not keep all " + std::to_string(n) +
                             " messages of " + topic + " (it keeps a few MB per partition): "
                             "use fewer --records");
}

/// The plain loop: consume everything, produce each message to the output topic.
double plain_run(mock_cluster& mock, const std::string& in, const std::string& out, uint64_t n) {
  rd_kafka_mock_topic_create(mock.cluster, out.c_str(), partitions, 1);
  handle c(RD_KAFKA_CONSUMER, {{"bootstrap.servers", mock.bootstrap()},
                               {"group.id", "weir-bench"},
                               {"enable.auto.commit", "false"},
                               // the prefetch bound kafka_source sets
                               {"queued.max.messages.kbytes", "16384"},
                               {"queued.min.messages", "10000000"}});
  handle p(RD_KAFKA_PRODUCER, {{"bootstrap.servers", mock.bootstrap()},
                               {"enable.idempotence", "true"},
                               {"linger.ms", "5"}});
  auto* list = rd_kafka_topic_partition_list_new(partitions);
  for (int32_t i = 0; i < partitions; ++i)
    rd_kafka_topic_partition_list_add(list, in.c_str(), i)->offset = 0;
  // Connected and with metadata before the clock starts, and concrete start
  // offsets (a logical BEGINNING costs librdkafka offset queries that were
  // retried after 0.5 s), so the baseline's figure is its steady rate.
  int64_t low = 0, high = 0;
  rd_kafka_query_watermark_offsets(c.rk, in.c_str(), 0, &low, &high, 10000);
  rd_kafka_query_watermark_offsets(p.rk, out.c_str(), 0, &low, &high, 10000);
  auto start = clock::now();
  rd_kafka_assign(c.rk, list);
  rd_kafka_topic_partition_list_destroy(list);
  auto last_progress = clock::now();
  for (uint64_t copied = 0; copied < n;) {
    auto* m = rd_kafka_consumer_poll(c.rk, 100);
    if (!m) {
      if (clock::now() - last_progress > std::chrono::seconds(30))
        throw std::runtime_error("the plain loop got no message for 30 s after " +
                                 std::to_string(copied) + " of " + std::to_string(n));
      continue;
    }
    last_progress = clock::now();
    if (!m->err) {
      produce(p.rk, out, m->key, m->key_len, m->payload, m->len);
      ++copied;
    }
    rd_kafka_message_destroy(m);
    rd_kafka_poll(p.rk, 0); // delivery reports
  }
  if (rd_kafka_flush(p.rk, 60000)) throw std::runtime_error("the plain loop's flush timed out");
  auto seconds = std::chrono::duration<double>(clock::now() - start).count();
  rd_kafka_consumer_close(c.rk);
  return static_cast<double>(n) / seconds;
}

double weir_run(mock_cluster& mock, const std::string& in, const std::string& out, uint64_t n,
                const std::string& state_dir) {
  std::filesystem::remove_all(state_dir);
  rd_kafka_mock_topic_create(mock.cluster, out.c_str(), partitions, 1);
  kafka_source_options source;
  source.cluster.bootstrap_servers = mock.bootstrap();
  source.topics = {in};
  source.stop_at_end = true;
  kafka_sink_options sink;
  sink.cluster.bootstrap_servers = mock.bootstrap();
  sink.topic = out;
  environment env;
  env.set_parallelism(1);
  env.options().checkpoints.interval_ms = 1000;
  env.options().checkpoints.state_dir = state_dir;
  env.add_source(kafka_source(source), "in")
      .uid("in")
      .map([](const kafka_record& r) { return kafka_message{r.key, r.value}; })
      .uid("message")
      .sink(kafka_sink(sink))
      .uid("out");
  auto start = clock::now();
  auto result = env.execute("bench-kafka");
  if (!result.ok()) throw std::runtime_error(result.failure.to_string());
  if (result.source_records != n)
    throw std::runtime_error("the job read a different number of messages");
  return static_cast<double>(n) / std::chrono::duration<double>(clock::now() - start).count();
}

} // namespace

int bench_kafka_command(int argc, char** argv, int first) {
  auto args = parse_cli(argc, argv, first, {"records", "runs"});
  if (!args) return usage_error(args.error_value().message());
  if (args->help) {
    std::fputs(usage, stdout);
    return 0;
  }
  if (!args->positional.empty()) return usage_error("unexpected '" + args->positional[0] + "'");
  auto n = args->get_number("records", 200000, 1, 100000000);
  auto runs = args->get_number("runs", 3, 1, 100);
  for (auto* e : {&n, &runs})
    if (!*e) return usage_error(e->error_value().message());
  bench::connector_table table{
      "records/s, plain librdkafka loop", "records/s, Weir job (exactly once, checkpoints 1 s)",
      "Kafka topic -> topic (mock cluster), " + std::to_string(*n) + " messages"};
  return bench::run_connector_bench("kafka", table, [&](auto& plain, auto& job, const std::string& state) {
    mock_cluster mock;
    for (uint64_t r = 0; r < *runs; ++r) {
      auto run = std::to_string(r);
      fill(mock, "plain-in-" + run, *n);
      plain.push_back(plain_run(mock, "plain-in-" + run, "plain-out-" + run, *n));
      fill(mock, "weir-in-" + run, *n);
      job.push_back(weir_run(mock, "weir-in-" + run, "weir-out-" + run, *n, state));
    }
  });
}

} // namespace weir::apps
