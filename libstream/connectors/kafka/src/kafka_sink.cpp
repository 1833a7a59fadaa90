// The Kafka sink: an interval's messages stored in the checkpoint, produced
// in one Kafka transaction when the checkpoint completes; a commit that may
// have run before produces only what the topic does not hold yet.

#include <algorithm>
#include <deque>
#include <random>
#include <stdexcept>

#include "kafka_client.hpp"
#include "kafka_txn.hpp"
#include "weir/kafka.hpp"

namespace weir {

namespace {

const char* const id_header = "weir-id";

/// What the delivery reports of one transaction's messages said.
struct delivery_report {
  size_t failed = 0;
  std::string error;
  std::map<int32_t, int64_t> next; // partition -> offset after the last message delivered
};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
  auto* report = static_cast<delivery_report*>(m->_private);
  if (!report) return;
  if (m->err) {
    if (report->failed++ == 0) report->error = rd_kafka_err2str(m->err);
    return;
  }
  auto& next = report->next[m->partition];
  next = std::max(next, m->offset + 1);
}

std::string random_attempt() {
  std::random_device rd;
  uint64_t v = (uint64_t{rd()} << 32) | rd();
  static const char* digits = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4)
    s[static_cast<size_t>(i)] = digits[v & 15];
  return s;
}

class sink final : public sink_function<kafka_message> {
public:
  explicit sink(kafka_sink_options o) : options_(std::move(o)) {}

  void open(const subtask_info& info) override {
    who_ = "kafka sink '" + info.name() + "'";
    uid_ = info.uid;
    index_ = info.index;
    attempt_ = random_attempt();
    producer_ = transactional_producer(index_);
    for (int32_t p : producer_->partitions(options_.topic))
      floor_[p] = producer_->watermarks(options_.topic, p).second;
  }

  void write(const kafka_message& m) override { write_at(m, INT64_MIN); }

  void write_at(const kafka_message& m, int64_t timestamp) override {
    held_bytes_ += m.key.size() + m.value.size() + 16;
    if (held_bytes_ > options_.max_interval_bytes)
      throw std::runtime_error(who_ + ": the messages of one checkpoint interval exceed "
                               + std::to_string(options_.max_interval_bytes)
                               + " bytes (max_interval_bytes): take checkpoints more often or "
                                 "raise the limit");
    if (m.partition >= 0 && !floor_.count(m.partition))
      throw std::runtime_error(who_ + ": a message for partition " + std::to_string(m.partition)
                               + ", which topic '" + options_.topic + "' does not have");
    held_.push_back({m.key, m.value, m.partition, timestamp == INT64_MIN ? -1 : timestamp});
  }

  bool transactional() const override { return true; }

  std::string pre_commit() override {
    if (held_.empty()) return {};
    kafka::transaction t;
    t.uid = uid_;
    t.subtask = index_;
    t.attempt = attempt_;
    t.number = number_++;
    t.floor = floor_;
    t.messages = std::move(held_);
    held_.clear();
    held_bytes_ = 0;
    return kafka::encode(t);
  }

  void commit(const std::string& bytes) override {
    auto t = kafka::decode_transaction(bytes);
    if (t.uid != uid_)
      throw std::runtime_error(who_ + ": a checkpoint's transaction belongs to sink '" + t.uid
                               + "'");
    auto id = t.id_prefix();
    if (std::find(committed_.begin(), committed_.end(), id) != committed_.end()) return;
    // A transaction of an earlier attempt may have been committed, wholly or
    // in part (the mock cluster shows aborted messages), before it failed.
    produce(t, t.attempt != attempt_);
    committed_.push_back(id);
    if (committed_.size() > 64) committed_.pop_front();
  }

  void recover(const std::vector<std::string>& pre_committed) override {
    for (uint32_t old : old_indexes_)
      if (old != index_) transactional_producer(old); // aborts its open transaction, fences it
    for (const auto& txn : pre_committed)
      commit(txn);
    for (const auto& txn : rescaled_txns_)
      commit(txn);
    rescaled_txns_.clear();
  }

  bool read_rescaled_state(const subtask_info& now, const std::vector<old_subtask>& old) override {
    // Old subtask i is recovered by new subtask i % parallelism.
    for (const auto& o : old) {
      if (o.index % now.parallelism != now.index) continue;
      old_indexes_.push_back(o.index);
      for (const auto& txn : o.pre_committed)
        rescaled_txns_.push_back(txn);
    }
    return true;
  }

private:
  /// A producer with subtask `index`'s transactional.id, transactions
  /// initialized: Kafka aborts that id's open transaction and fences any
  /// other producer still using it.
  std::unique_ptr<kafka::client> transactional_producer(uint32_t index) {
    auto id = options_.transactional_id_prefix + "-" + uid_ + "-" + std::to_string(index);
    auto timeout = options_.cluster.reconnect_timeout_ms;
    auto producer = std::make_unique<kafka::client>(
        RD_KAFKA_PRODUCER, options_.cluster, who_,
        std::vector<std::pair<std::string, std::string>>{
            {"transactional.id", id},
            {"message.timeout.ms", std::to_string(timeout)},
            // Above the time a commit may take, within brokers' default
            // transaction.max.timeout.ms (15 min), which refuses more.
            {"transaction.timeout.ms",
             std::to_string(std::min<uint64_t>(std::max<uint64_t>(uint64_t{timeout} + 30000, 60000),
                                               900000))},
            {"linger.ms", "5"},
            {"allow.auto.create.topics",
             "false"}, // a misspelled topic is an error, not a new topic
            {"queue.buffering.max.messages", "100000"}},
        on_delivery);
    if (auto* e = rd_kafka_init_transactions(producer->get(), static_cast<int>(timeout)))
      fail(*producer, "cannot initialize transactions of transactional.id '" + id + "'", e);
    return producer;
  }

  [[noreturn]] void fail(const kafka::client& c, const std::string& what, rd_kafka_error_t* e) {
    std::string why = rd_kafka_error_string(e);
    rd_kafka_error_destroy(e);
    c.fail(what + ": " + why);
  }

  /// Produces `t`'s messages in one transaction and commits it; with
  /// `check`, first leaves out those the topic already holds. Retries an
  /// aborted transaction (checking then) until reconnect_timeout_ms; the
  /// read-back, the commit and the abort each get that long of their own.
  void produce(const kafka::transaction& t, bool check) {
    auto give_up = after_timeout();
    for (;;) {
      std::vector<bool> present(t.messages.size(), false);
      if (check) scan(t, present, after_timeout());
      auto* p = producer_->get();
      if (auto* e = rd_kafka_begin_transaction(p))
        fail(*producer_, "cannot begin a transaction", e);
      delivery_report report;
      for (size_t i = 0; i < t.messages.size(); ++i)
        if (!present[i]) send(t, i, report);
      while (rd_kafka_flush(p, 100) == RD_KAFKA_RESP_ERR__TIMED_OUT) {
      } // message.timeout.ms bounds this: undelivered messages fail
      std::string why = report.failed ? report.error : "";
      if (!report.failed && commit_transaction(why)) {
        for (const auto& [partition, next] : report.next)
          floor_[partition] = std::max(floor_[partition], next);
        return;
      }
      if (auto* e = rd_kafka_abort_transaction(p, kafka::remaining_ms(after_timeout())))
        fail(*producer_, "cannot abort a failed transaction (" + why + ")", e);
      if (kafka::clock::now() >= give_up)
        producer_->fail("cannot write " + std::to_string(t.messages.size()) + " messages to '"
                        + options_.topic + "' within "
                        + std::to_string(options_.cluster.reconnect_timeout_ms) + " ms: " + why);
      check = true; // some may have landed (and show, on a cluster without isolation)
    }
  }

  /// Commits the open transaction: true once committed, false when it must
  /// be aborted (`why` then says why). A retriable error leaves the outcome
  /// unknown, so the commit is called again, as librdkafka asks, until the
  /// timeout; any other error fails the subtask.
  bool commit_transaction(std::string& why) {
    auto deadline = after_timeout();
    for (;;) {
      auto* e = rd_kafka_commit_transaction(producer_->get(), kafka::remaining_ms(deadline));
      if (!e) return true;
      why = rd_kafka_error_string(e);
      if (rd_kafka_error_txn_requires_abort(e)) {
        rd_kafka_error_destroy(e);
        return false;
      }
      if (!rd_kafka_error_is_retriable(e) || kafka::clock::now() >= deadline)
        fail(*producer_, "cannot commit a transaction", e);
      rd_kafka_error_destroy(e);
    }
  }

  kafka::clock::time_point after_timeout() const {
    return kafka::clock::now() + std::chrono::milliseconds(options_.cluster.reconnect_timeout_ms);
  }

  void send(const kafka::transaction& t, size_t i, delivery_report& report) {
    const auto& m = t.messages[i];
    auto id = t.id_prefix() + std::to_string(i);
    for (;;) {
      auto err = rd_kafka_producev(
          producer_->get(), RD_KAFKA_V_TOPIC(options_.topic.c_str()),
          RD_KAFKA_V_PARTITION(m.partition < 0 ? RD_KAFKA_PARTITION_UA : m.partition),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_KEY(m.key.empty() ? nullptr : m.key.data(), m.key.size()),
          RD_KAFKA_V_VALUE(const_cast<char*>(m.value.data()), m.value.size()),
          RD_KAFKA_V_TIMESTAMP(m.timestamp < 0 ? 0 : m.timestamp),
          RD_KAFKA_V_HEADER(id_header, id.data(), static_cast<ssize_t>(id.size())),
          RD_KAFKA_V_OPAQUE(&report), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return;
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
        producer_->fail("cannot produce to '" + options_.topic + "': " + rd_kafka_err2str(err));
      rd_kafka_poll(producer_->get(), 10); // the queue is full: deliveries make room
    }
  }

  /// Marks the messages of `t` the topic already holds (read_committed),
  /// reading each partition from t.floor to its current end.
  void scan(const kafka::transaction& t, std::vector<bool>& present,
            kafka::clock::time_point deadline) {
    kafka::client reader(RD_KAFKA_CONSUMER, options_.cluster, who_,
                         {{"group.id", "weir-scan-" + uid_},
                          {"enable.auto.commit", "false"},
                          {"enable.partition.eof", "true"},
                          {"auto.offset.reset", "earliest"},
                          {"isolation.level", "read_committed"}});
    std::map<int32_t, int64_t> ends;
    kafka::partition_list list(rd_kafka_topic_partition_list_new(static_cast<int>(floor_.size())));
    for (int32_t p : reader.partitions(options_.topic)) {
      auto from = t.floor.count(p) ? t.floor.at(p) : 0;
      // The high watermark (the producer reads uncommitted): the end of the
      // log, not the last stable offset an open transaction can hold back.
      auto end = producer_->watermarks(options_.topic, p).second;
      if (from >= end) continue;
      ends[p] = end;
      rd_kafka_topic_partition_list_add(list.get(), options_.topic.c_str(), p)->offset = from;
    }
    rd_kafka_assign(reader.get(), list.get());
    auto prefix = t.id_prefix();
    while (!ends.empty()) {
      if (kafka::clock::now() >= deadline)
        reader.fail("cannot read back '" + options_.topic
                    + "' to find what an earlier attempt wrote");
      auto* m = rd_kafka_consumer_poll(reader.get(), 100);
      if (!m) continue;
      if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) mark(m, prefix, present);
      // Read up to the end taken above: its last message, or the end of the
      // partition at or past it (a transaction's commit marker takes an
      // offset no message has).
      auto it = ends.find(m->partition);
      if (it != ends.end()
          && ((m->err == RD_KAFKA_RESP_ERR_NO_ERROR && m->offset + 1 >= it->second)
              || (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF && m->offset >= it->second)))
        ends.erase(it);
      rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(reader.get());
  }

  static void mark(const rd_kafka_message_t* m, const std::string& prefix,
                   std::vector<bool>& present) {
    rd_kafka_headers_t* headers = nullptr;
    if (rd_kafka_message_headers(m, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR) return;
    const void* value = nullptr;
    size_t size = 0;
    if (rd_kafka_header_get_last(headers, id_header, &value, &size) != RD_KAFKA_RESP_ERR_NO_ERROR)
      return;
    std::string id(static_cast<const char*>(value), size);
    if (id.size() <= prefix.size() || id.compare(0, prefix.size(), prefix) != 0) return;
    size_t i = 0;
    for (size_t k = prefix.size(); k < id.size(); ++k) {
      if (id[k] < '0' || id[k] > '9') return;
      i = i * 10 + static_cast<size_t>(id[k] - '0');
    }
    if (i < present.size()) present[i] = true;
  }

  kafka_sink_options options_;
  std::string who_, uid_, attempt_;
  uint32_t index_ = 0;
  std::unique_ptr<kafka::client> producer_;
  std::map<int32_t, int64_t> floor_;         // partition -> none of our later messages before it
  std::vector<kafka::pending_message> held_; // this interval's messages
  size_t held_bytes_ = 0;
  uint64_t number_ = 0;
  std::deque<std::string> committed_; // the latest transactions committed by this attempt
  std::vector<uint32_t> old_indexes_;
  std::vector<std::string> rescaled_txns_;
};

} // namespace

sink_factory<kafka_message> kafka_sink(kafka_sink_options options) {
  if (options.topic.empty()) throw std::invalid_argument("kafka_sink: no topic given");
  if (options.cluster.bootstrap_servers.empty())
    throw std::invalid_argument("kafka_sink: no bootstrap servers");
  if (options.transactional_id_prefix.empty())
    throw std::invalid_argument("kafka_sink: an empty transactional_id_prefix");
  return [options] { return std::make_unique<sink>(options); };
}

} // namespace weir
