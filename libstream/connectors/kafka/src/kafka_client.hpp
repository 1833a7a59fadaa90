#pragma once

// librdkafka handles with Weir's settings and error wording: consumers and
// producers that name their user and the brokers in every error, metadata
// and offsets requests that wait for a broker up to reconnect_timeout_ms.

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "weir/kafka.hpp"

namespace weir::kafka {

/// What librdkafka's background threads report (its error callback), read
/// by the thread using the handle. Owned next to the handle, outliving it.
struct client_events {
  std::mutex mutex;
  std::string last_error;        // the latest error librdkafka reported
  bool all_brokers_down = false; // set by _ALL_BROKERS_DOWN, cleared by the user
  bool fatal = false;            // a fatal error: the handle is unusable

  std::string error() {
    std::lock_guard<std::mutex> lock(mutex);
    return last_error;
  }
};

struct handle_deleter {
  void operator()(rd_kafka_t* rk) const noexcept;
};
using handle = std::unique_ptr<rd_kafka_t, handle_deleter>;

struct partition_list_deleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const noexcept {
    rd_kafka_topic_partition_list_destroy(list);
  }
};
/// A partition list freed however its scope ends (building one calls the
/// broker, which throws on failure).
using partition_list = std::unique_ptr<rd_kafka_topic_partition_list_t, partition_list_deleter>;

/// A client of one cluster: its handle, its events, and who it is in errors.
class client {
public:
  /// `who` names the user ("kafka sink 'out[0/2]'"). `settings` are set
  /// before cluster.properties (which win). Throws std::runtime_error naming
  /// a property librdkafka refuses.
  client(rd_kafka_type_t type, const kafka_cluster& cluster, std::string who,
         const std::vector<std::pair<std::string, std::string>>& settings,
         void (*delivered)(rd_kafka_t*, const rd_kafka_message_t*, void*) = nullptr);

  rd_kafka_t* get() const noexcept { return rk_.get(); }
  client_events& events() noexcept { return *events_; }
  const kafka_cluster& cluster() const noexcept { return cluster_; }

  /// "kafka sink 'out[0/2]': Kafka at 127.0.0.1:9092: " + what.
  [[noreturn]] void fail(const std::string& what) const;
  std::string prefix() const;

  /// The partitions of `topic`, sorted; waits for a broker up to
  /// reconnect_timeout_ms. Throws naming the topic when the cluster does
  /// not have it, naming the brokers when none answered.
  std::vector<int32_t> partitions(const std::string& topic);

  /// The low and high watermark of a partition, asking the broker (waits as
  /// partitions() does).
  std::pair<int64_t, int64_t> watermarks(const std::string& topic, int32_t partition);

  /// Asks the broker once for a partition's watermarks, waiting at most
  /// `timeout_ms`: whether a broker answered.
  bool reachable(const std::string& topic, int32_t partition, int timeout_ms);

private:
  kafka_cluster cluster_;
  std::string who_;
  std::unique_ptr<client_events> events_;
  handle rk_;
};

using clock = std::chrono::steady_clock;

/// Milliseconds from now to `deadline`, at least 1.
int remaining_ms(clock::time_point deadline);

} // namespace weir::kafka
