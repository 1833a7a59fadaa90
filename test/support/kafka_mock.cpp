#include "support/kafka_mock.hpp"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <map>
#include <stdexcept>

namespace weir::test {

namespace {

void quiet(const rd_kafka_t*, int, const char*, const char*) {}

rd_kafka_t* client(rd_kafka_type_t type, const std::string& bootstrap,
                   const std::map<std::string, std::string>& settings) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set_log_cb(conf, quiet);
  if (!bootstrap.empty()
      && rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err))
    throw std::runtime_error(err);
  for (const auto& [k, v] : settings)
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err))
      throw std::runtime_error(err);
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
  if (!rk) throw std::runtime_error(err);
  return rk;
}

} // namespace

kafka_mock::kafka_mock(int brokers) : brokers_(brokers) {
  owner_ = client(RD_KAFKA_PRODUCER, "", {});
  cluster_ = rd_kafka_mock_cluster_new(owner_, brokers);
  if (!cluster_) throw std::runtime_error("cannot start librdkafka's mock cluster");
  bootstrap_ = rd_kafka_mock_cluster_bootstraps(cluster_);
}

kafka_mock::~kafka_mock() {
  rd_kafka_mock_cluster_destroy(cluster_);
  rd_kafka_destroy(owner_);
}

void kafka_mock::create_topic(const std::string& topic, int partitions) {
  if (rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, 1))
    throw std::runtime_error("mock cluster: cannot create topic " + topic);
}

void kafka_mock::set_missing(const std::string& topic) {
  rd_kafka_mock_topic_set_error(cluster_, topic.c_str(), RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
}

void kafka_mock::push_errors(int16_t api_key, const std::vector<int>& errors) {
  std::vector<rd_kafka_resp_err_t> codes;
  for (int e : errors)
    codes.push_back(static_cast<rd_kafka_resp_err_t>(e));
  rd_kafka_mock_push_request_errors_array(cluster_, api_key, codes.size(), codes.data());
}

void kafka_mock::set_down(bool down) {
  for (int id = 1; id <= brokers_; ++id)
    if (down)
      rd_kafka_mock_broker_set_down(cluster_, id);
    else
      rd_kafka_mock_broker_set_up(cluster_, id);
}

void kafka_mock::produce(const std::string& topic,
                         const std::vector<std::pair<std::string, std::string>>& kv,
                         int32_t partition) {
  rd_kafka_t* p = client(RD_KAFKA_PRODUCER, bootstrap_, {{"linger.ms", "5"}});
  for (const auto& [k, v] : kv) {
    for (;;) {
      auto err = rd_kafka_producev(
          p, RD_KAFKA_V_TOPIC(topic.c_str()),
          RD_KAFKA_V_PARTITION(partition < 0 ? RD_KAFKA_PARTITION_UA : partition),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_KEY(k.empty() ? nullptr : k.data(), k.size()),
          RD_KAFKA_V_VALUE(const_cast<char*>(v.data()), v.size()), RD_KAFKA_V_END);
      if (!err) break;
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) throw std::runtime_error(rd_kafka_err2str(err));
      rd_kafka_poll(p, 10);
    }
  }
  auto flushed = rd_kafka_flush(p, 30000);
  rd_kafka_destroy(p);
  if (flushed) throw std::runtime_error("mock cluster: produce not acknowledged");
}

std::vector<kafka_read> kafka_mock::read(const std::string& topic) {
  rd_kafka_t* c = client(RD_KAFKA_CONSUMER, bootstrap_,
                         {{"group.id", "weir-test-reader"},
                          {"enable.auto.commit", "false"},
                          {"enable.partition.eof", "true"}});
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_topic_t* t = rd_kafka_topic_new(c, topic.c_str(), nullptr);
  if (rd_kafka_metadata(c, 0, t, &md, 10000) || md->topic_cnt != 1 || md->topics[0].err)
    throw std::runtime_error("mock cluster: no metadata for " + topic);
  std::map<int32_t, int64_t> ends;
  auto* list = rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt);
  for (int i = 0; i < md->topics[0].partition_cnt; ++i) {
    int32_t p = md->topics[0].partitions[i].id;
    int64_t low = 0, high = 0;
    rd_kafka_query_watermark_offsets(c, topic.c_str(), p, &low, &high, 10000);
    if (high > low) ends[p] = high;
    rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  rd_kafka_metadata_destroy(md);
  rd_kafka_topic_destroy(t);
  rd_kafka_assign(c, list);
  rd_kafka_topic_partition_list_destroy(list);
  std::map<int32_t, std::vector<kafka_read>> by_partition;
  while (!ends.empty()) {
    auto* m = rd_kafka_consumer_poll(c, 10000);
    if (!m) throw std::runtime_error("mock cluster: reading " + topic + " stalled");
    if (!m->err) {
      kafka_read r;
      r.partition = m->partition;
      r.offset = m->offset;
      r.timestamp = rd_kafka_message_timestamp(m, nullptr);
      if (m->key) r.key.assign(static_cast<const char*>(m->key), m->key_len);
      if (m->payload) r.value.assign(static_cast<const char*>(m->payload), m->len);
      rd_kafka_headers_t* headers = nullptr;
      const void* value = nullptr;
      size_t size = 0;
      if (!rd_kafka_message_headers(m, &headers)
          && !rd_kafka_header_get_last(headers, "weir-id", &value, &size))
        r.weir_id.assign(static_cast<const char*>(value), size);
      by_partition[m->partition].push_back(r);
    }
    auto it = ends.find(m->partition);
    bool eof = m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF;
    if (it != ends.end() && (!m->err || eof) && m->offset + (eof ? 0 : 1) >= it->second)
      ends.erase(it);
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(c);
  rd_kafka_destroy(c);
  std::vector<kafka_read> all;
  for (auto& [p, messages] : by_partition)
    all.insert(all.end(), messages.begin(), messages.end());
  return all;
}

} // namespace weir::test
