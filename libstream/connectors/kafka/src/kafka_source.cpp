// The Kafka source: partitions assigned by Weir, the next offset per
// partition as the checkpoint position.

#include <algorithm>
#include <map>
#include <stdexcept>
#include <tuple>

#include "kafka_client.hpp"
#include "weir/kafka.hpp"

namespace weir {

namespace {

using partition_id = std::pair<std::string, int32_t>; // topic, partition
// The checkpoint position: (topic, partition, next offset); the offset may be
// RD_KAFKA_OFFSET_BEGINNING while nothing of the partition was read.
using positions = std::vector<std::tuple<std::string, int32_t, int64_t>>;

class source final : public source_function<kafka_record> {
public:
  explicit source(kafka_source_options o) : options_(std::move(o)) {}

  ~source() override {
    if (queue_) rd_kafka_queue_destroy(queue_);
    if (client_) rd_kafka_consumer_close(client_->get());
  }

  void open(const subtask_info& info) override {
    client_ = std::make_unique<kafka::client>(
        RD_KAFKA_CONSUMER, options_.cluster, "kafka source '" + info.name() + "'",
        std::vector<std::pair<std::string, std::string>>{
            {"group.id", "weir-" + info.uid}, // required by librdkafka; nothing is committed
            {"enable.auto.commit", "false"},
            {"enable.auto.offset.store", "false"},
            {"enable.partition.eof",
             "true"}, // stop_at_end: a transaction's marker ends a partition
            {"auto.offset.reset", "earliest"},
            {"isolation.level", options_.read_committed ? "read_committed" : "read_uncommitted"},
            // Prefetch bound: ~16 MiB queued (all partitions together; the message
            // count is set above any byte-bound batch so the bytes bound). Once the
            // bound is hit, librdkafka 2.0.2 waits up to 1 s before it fetches again,
            // so a subtask reads at most about the bound per second: 10,000 messages
            // gave 49k/s, 8 MiB ~150k/s of 50-byte messages (cluster.properties may
            // raise it).
            {"queued.max.messages.kbytes", "16384"},
            {"queued.min.messages", "10000000"}});
    std::vector<partition_id> all;
    for (const auto& topic : options_.topics)
      for (int32_t p : client_->partitions(topic))
        all.emplace_back(topic, p);
    std::sort(all.begin(), all.end());
    kafka::partition_list list(rd_kafka_topic_partition_list_new(static_cast<int>(all.size())));
    for (size_t i = 0; i < all.size(); ++i) {
      if (i % info.parallelism != info.index) continue;
      auto offset = start_offset(all[i]);
      mine_.emplace_back(all[i].first, all[i].second, offset);
      rd_kafka_topic_partition_list_add(list.get(), all[i].first.c_str(), all[i].second)->offset =
          offset;
      if (options_.stop_at_end)
        ends_[all[i]] = client_->watermarks(all[i].first, all[i].second).second;
    }
    auto err = rd_kafka_assign(client_->get(), list.get());
    if (err) client_->fail(std::string("cannot assign partitions: ") + rd_kafka_err2str(err));
    queue_ = rd_kafka_queue_get_consumer(client_->get());
  }

  source_status poll(emitter<kafka_record>& out, size_t max_records) override {
    if (mine_.empty() || (options_.stop_at_end && at_end())) return source_status::exhausted;
    rd_kafka_message_t* batch[512];
    rd_kafka_poll(client_->get(), 0); // serves the error callback (brokers down, fatal errors)
    auto n = rd_kafka_consume_batch_queue(queue_, 0, batch, std::min<size_t>(max_records, 512));
    if (n < 0)
      client_->fail(std::string("cannot read: ") + rd_kafka_err2str(rd_kafka_last_error()));
    bool read = false;
    for (ssize_t i = 0; i < n; ++i) {
      read |= take(batch[i], out);
      rd_kafka_message_destroy(batch[i]);
    }
    if (read) {
      down_since_ = {};
      std::lock_guard<std::mutex> lock(client_->events().mutex);
      client_->events().all_brokers_down = false;
      return source_status::more;
    }
    check_brokers();
    return options_.stop_at_end && at_end() ? source_status::exhausted : source_status::idle;
  }

  bool has_position() const override { return true; }
  void write_position(byte_writer& out) const override { codec<positions>::encode(mine_, out); }
  void read_position(byte_reader& in) override { restore(in); }
  bool read_rescaled_positions(const subtask_info&, const std::vector<std::string>& old) override {
    // Positions are per partition: whichever subtask reads one now takes its offset.
    for (const auto& bytes : old) {
      if (bytes.empty()) continue;
      byte_reader in(bytes);
      restore(in);
    }
    return true;
  }

private:
  void restore(byte_reader& in) {
    for (auto& [topic, partition, offset] : codec<positions>::decode(in))
      restored_[{topic, partition}] = offset;
  }

  int64_t start_offset(const partition_id& p) {
    if (auto it = restored_.find(p); it != restored_.end()) return it->second;
    if (options_.start == kafka_start::latest) return client_->watermarks(p.first, p.second).second;
    return RD_KAFKA_OFFSET_BEGINNING;
  }

  /// Emits one message; false for an event that is no message.
  bool take(rd_kafka_message_t* m, emitter<kafka_record>& out) {
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      // The end of what can be read: past commit markers and aborted messages.
      for (auto& [topic, partition, next] : mine_)
        if (partition == m->partition && topic == rd_kafka_topic_name(m->rkt))
          next = std::max(next, m->offset);
      return false;
    }
    if (m->err) {
      if (m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART
          || m->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED)
        client_->fail(std::string("cannot read: ") + rd_kafka_message_errstr(m));
      return false; // transient (a broker away): librdkafka retries
    }
    kafka_record r;
    r.topic = rd_kafka_topic_name(m->rkt);
    r.partition = m->partition;
    r.offset = m->offset;
    r.timestamp = rd_kafka_message_timestamp(m, nullptr);
    if (m->key) r.key.assign(static_cast<const char*>(m->key), m->key_len);
    if (m->payload) r.value.assign(static_cast<const char*>(m->payload), m->len);
    for (auto& [topic, partition, next] : mine_)
      if (partition == r.partition && topic == r.topic) next = r.offset + 1;
    out.set_timestamp(r.timestamp >= 0 ? r.timestamp : INT64_MIN); // none: not the previous one's
    out.emit(r);
    return true;
  }

  bool at_end() const {
    for (const auto& [topic, partition, next] : mine_) {
      auto end = ends_.at({topic, partition});
      if (end > 0 && next < end) return false; // next is BEGINNING (-2) until a message is read
    }
    return true;
  }

  /// While librdkafka says every broker is down, asks one now and then
  /// whether it is back; fails once they stayed away reconnect_timeout_ms.
  void check_brokers() {
    auto& events = client_->events();
    {
      std::lock_guard<std::mutex> lock(events.mutex);
      if (events.fatal) client_->fail("fatal client error: " + events.last_error);
      if (!events.all_brokers_down) return;
    }
    auto now = kafka::clock::now();
    if (down_since_ == kafka::clock::time_point{}) down_since_ = now;
    if (now < next_probe_) return;
    next_probe_ = now + std::chrono::milliseconds(500);
    const auto& [topic, partition, next] = mine_.front();
    if (client_->reachable(topic, partition, 100)) {
      std::lock_guard<std::mutex> lock(events.mutex);
      events.all_brokers_down = false;
      down_since_ = {};
      return;
    }
    auto away = std::chrono::duration_cast<std::chrono::milliseconds>(now - down_since_).count();
    if (away > options_.cluster.reconnect_timeout_ms)
      client_->fail("unreachable for " + std::to_string(away) + " ms: " + events.error());
  }

  kafka_source_options options_;
  std::map<partition_id, int64_t> restored_; // before open: where each partition continues
  std::map<partition_id, int64_t> ends_;     // stop_at_end: each partition's end at open
  positions mine_;
  std::unique_ptr<kafka::client> client_;
  rd_kafka_queue_t* queue_ = nullptr;
  kafka::clock::time_point down_since_{}, next_probe_{};
};

} // namespace

source_factory<kafka_record> kafka_source(kafka_source_options options) {
  if (options.topics.empty()) throw std::invalid_argument("kafka_source: no topic given");
  for (const auto& t : options.topics)
    if (t.empty()) throw std::invalid_argument("kafka_source: an empty topic name");
  if (options.cluster.bootstrap_servers.empty())
    throw std::invalid_argument("kafka_source: no bootstrap servers");
  return [options] { return std::make_unique<source>(options); };
}

} // namespace weir
