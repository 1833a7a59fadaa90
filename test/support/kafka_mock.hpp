#pragma once

// librdkafka's mock Kafka cluster, run inside the test process (Debian
// packages no Kafka broker): brokers on loopback ports it picks, topics
// created by the test, brokers taken down and up. A job process the test
// kills does not take the cluster with it. Not thread-safe: main thread.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

struct rd_kafka_s;
struct rd_kafka_mock_cluster_s;

namespace weir::test {

/// A message as a test reads it back.
struct kafka_read {
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t timestamp = 0;
  std::string key, value;
  std::string weir_id; ///< The weir-id header, or empty.
};

class kafka_mock {
public:
  explicit kafka_mock(int brokers = 1);
  ~kafka_mock();
  kafka_mock(const kafka_mock&) = delete;
  kafka_mock& operator=(const kafka_mock&) = delete;

  /// "127.0.0.1:P,...": bootstrap.servers.
  std::string bootstrap() const { return bootstrap_; }
  void create_topic(const std::string& topic, int partitions);
  /// Makes `topic` answer as a broker without it does (the mock creates a
  /// topic asked for; a broker configured as most are does not).
  void set_missing(const std::string& topic);
  /// The next requests of `api_key` (Kafka's numbering: 0 Produce, 26
  /// EndTxn) fail with `errors` (rd_kafka_resp_err_t values), one each.
  void push_errors(int16_t api_key, const std::vector<int>& errors);
  /// Every broker down (connections closed, none accepted) or up again.
  void set_down(bool down);

  /// Produces (key, value) pairs to `topic` (partition -1: by key hash),
  /// not transactionally, and waits until each is acknowledged.
  void produce(const std::string& topic, const std::vector<std::pair<std::string, std::string>>& kv,
               int32_t partition = -1);
  /// Every message of `topic`, partition by partition, in offset order.
  std::vector<kafka_read> read(const std::string& topic);

private:
  rd_kafka_s* owner_ = nullptr; // the handle the cluster runs under
  rd_kafka_mock_cluster_s* cluster_ = nullptr;
  int brokers_ = 1;
  std::string bootstrap_;
};

} // namespace weir::test
