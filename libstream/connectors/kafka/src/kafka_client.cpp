// librdkafka handles with Weir's settings and error wording.

#include "kafka_client.hpp"

#include <algorithm>
#include <thread>

namespace weir::kafka {

void handle_deleter::operator()(rd_kafka_t* rk) const noexcept {
  rd_kafka_destroy(rk);
}

namespace {

void on_error(rd_kafka_t*, int err, const char* reason, void* opaque) {
  auto* events = static_cast<client_events*>(opaque);
  std::lock_guard<std::mutex> lock(events->mutex);
  events->last_error = reason ? reason : rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(err));
  if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) events->all_brokers_down = true;
  if (err == RD_KAFKA_RESP_ERR__FATAL) events->fatal = true;
}

// librdkafka's own log lines (connection refused, ...) would flood the job's
// stderr while a broker is away; what matters reaches on_error and the
// errors Weir raises.
void on_log(const rd_kafka_t*, int, const char*, const char*) {}

void set(rd_kafka_conf_t* conf, const std::string& name, const std::string& value,
         const std::string& who) {
  char err[512];
  if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(who + ": librdkafka refuses property '" + name + "' = '" + value
                             + "': " + err);
  }
}

} // namespace

client::client(rd_kafka_type_t type, const kafka_cluster& cluster, std::string who,
               const std::vector<std::pair<std::string, std::string>>& settings,
               void (*delivered)(rd_kafka_t*, const rd_kafka_message_t*, void*))
    : cluster_(cluster), who_(std::move(who)), events_(std::make_unique<client_events>()) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", cluster_.bootstrap_servers, who_);
  set(conf, "reconnect.backoff.ms", "100", who_);
  set(conf, "reconnect.backoff.max.ms", "10000", who_);
  set(conf, "socket.timeout.ms", std::to_string(std::max<uint32_t>(cluster_.timeout_ms, 10)), who_);
  for (const auto& [k, v] : settings)
    set(conf, k, v, who_);
  for (const auto& [k, v] : cluster_.properties)
    set(conf, k, v, who_);
  rd_kafka_conf_set_opaque(conf, events_.get());
  rd_kafka_conf_set_error_cb(conf, on_error);
  rd_kafka_conf_set_log_cb(conf, on_log);
  if (delivered) rd_kafka_conf_set_dr_msg_cb(conf, delivered); // with each message's opaque
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(who_ + ": cannot create a Kafka client: " + err);
  }
  rk_.reset(rk);
}

std::string client::prefix() const {
  return who_ + ": Kafka at " + cluster_.bootstrap_servers + ": ";
}

void client::fail(const std::string& what) const {
  throw std::runtime_error(prefix() + what);
}

std::vector<int32_t> client::partitions(const std::string& topic) {
  auto deadline = clock::now() + std::chrono::milliseconds(cluster_.reconnect_timeout_ms);
  rd_kafka_topic_t* t = rd_kafka_topic_new(rk_.get(), topic.c_str(), nullptr);
  std::string why;
  for (;;) {
    const rd_kafka_metadata_t* md = nullptr;
    int wait = std::min<int>(remaining_ms(deadline), static_cast<int>(cluster_.timeout_ms));
    auto err = rd_kafka_metadata(rk_.get(), 0, t, &md, wait);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::vector<int32_t> found;
      auto terr = md->topic_cnt == 1 ? md->topics[0].err : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
      if (terr == RD_KAFKA_RESP_ERR_NO_ERROR)
        for (int i = 0; i < md->topics[0].partition_cnt; ++i)
          found.push_back(md->topics[0].partitions[i].id);
      rd_kafka_metadata_destroy(md);
      if (terr == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
        rd_kafka_topic_destroy(t);
        fail("topic '" + topic + "' does not exist");
      }
      if (terr == RD_KAFKA_RESP_ERR_NO_ERROR && !found.empty()) {
        rd_kafka_topic_destroy(t);
        std::sort(found.begin(), found.end());
        return found;
      }
      why = terr == RD_KAFKA_RESP_ERR_NO_ERROR ? "no partitions" : rd_kafka_err2str(terr);
    } else {
      why = rd_kafka_err2str(err);
    }
    if (clock::now() >= deadline) {
      rd_kafka_topic_destroy(t);
      auto last = events_->error();
      fail("no answer about topic '" + topic + "' within "
           + std::to_string(cluster_.reconnect_timeout_ms) + " ms: " + why
           + (last.empty() ? "" : " (" + last + ")"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(100, remaining_ms(deadline))));
  }
}

std::pair<int64_t, int64_t> client::watermarks(const std::string& topic, int32_t partition) {
  auto deadline = clock::now() + std::chrono::milliseconds(cluster_.reconnect_timeout_ms);
  for (;;) {
    int64_t low = 0, high = 0;
    int wait = std::min<int>(remaining_ms(deadline), static_cast<int>(cluster_.timeout_ms));
    auto err =
        rd_kafka_query_watermark_offsets(rk_.get(), topic.c_str(), partition, &low, &high, wait);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return {low, high};
    if (clock::now() >= deadline) {
      auto last = events_->error();
      fail("no offsets for '" + topic + "' partition " + std::to_string(partition) + " within "
           + std::to_string(cluster_.reconnect_timeout_ms) + " ms: " + rd_kafka_err2str(err)
           + (last.empty() ? "" : " (" + last + ")"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(100, remaining_ms(deadline))));
  }
}

bool client::reachable(const std::string& topic, int32_t partition, int timeout_ms) {
  int64_t low = 0, high = 0;
  return rd_kafka_query_watermark_offsets(rk_.get(), topic.c_str(), partition, &low, &high,
                                          timeout_ms)
         == RD_KAFKA_RESP_ERR_NO_ERROR;
}

int remaining_ms(clock::time_point deadline) {
  auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
  return static_cast<int>(std::max<int64_t>(left, 1));
}

} // namespace weir::kafka
