// The job the Kafka kill test kills: topic "in" (messages n, 4 partitions)
// read at parallelism 2, a running count per key n % 20, each result
// written to topic "out" as "key,n,count" by the exactly-once sink. Run
// again with the same arguments, it resumes from its latest checkpoint.
//
// usage: weir_kafka_eo_job --bootstrap HOST:PORT --state-dir DIR --interval MS

#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <tuple>

#include "weir/kafka.hpp"
#include "weir/stream.hpp"

using namespace weir;
using counted = std::tuple<int64_t, int64_t, int64_t>; // key, n, count

int main(int argc, char** argv) {
  std::map<std::string, std::string> args;
  for (int i = 1; i + 1 < argc; i += 2)
    args[argv[i]] = argv[i + 1];
  for (const char* k : {"--bootstrap", "--state-dir", "--interval"})
    if (!args.count(k)) {
      std::fprintf(stderr, "weir_kafka_eo_job: missing %s\n", k);
      return 2;
    }
  kafka_cluster cluster;
  cluster.bootstrap_servers = args["--bootstrap"];
  kafka_source_options in;
  in.cluster = cluster;
  in.topics = {"in"};
  in.stop_at_end = true;
  kafka_sink_options out;
  out.cluster = cluster;
  out.topic = "out";
  environment env;
  env.set_parallelism(2);
  env.options().batch_size = 16;
  env.options().checkpoints.interval_ms = std::stoull(args["--interval"]);
  env.options().checkpoints.state_dir = args["--state-dir"];
  env.options().log = [](const std::string& line) {
    std::fprintf(stderr, "weir: %s\n", line.c_str());
  };
  env.add_source(kafka_source(in), "kafka-in")
      .uid("in")
      .map([](const kafka_record& r) {
        // About 100 us of work a record, so a run lasts long enough to be cut.
        auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(100);
        while (std::chrono::steady_clock::now() < until) {
        }
        auto n = std::stoll(r.value);
        return counted{n % 20, n, 1};
      })
      .uid("parse")
      .key_by([](const counted& c) { return std::get<0>(c); })
      .reduce([](const counted& acc, const counted& c) {
        return counted{std::get<0>(c), std::get<1>(c), std::get<2>(acc) + 1};
      })
      .uid("count")
      .map([](const counted& c) {
        auto key = std::to_string(std::get<0>(c));
        return kafka_message{key, key + "," + std::to_string(std::get<1>(c)) + ","
                                      + std::to_string(std::get<2>(c))};
      })
      .uid("format")
      .sink(kafka_sink(out))
      .uid("out");
  auto result = env.execute("kafka-exactly-once");
  if (!result.ok()) {
    std::fprintf(stderr, "weir_kafka_eo_job: %s\n", result.failure.to_string().c_str());
    return 1;
  }
  std::printf("done: %llu checkpoints\n", static_cast<unsigned long long>(result.checkpoints));
  return 0;
}
